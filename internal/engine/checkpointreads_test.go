package engine

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blang/semver"
)

// recordingCLI stands in for the engine's CLI: it records what it is asked
// and answers "from the CLI".
type recordingCLI struct{ ran [][]string }

func (c *recordingCLI) Run(_ context.Context, _ string, _ io.Reader, _, _ []io.Writer, _ []string, args ...string) (string, string, int, error) {
	c.ran = append(c.ran, args)
	return "from the CLI", "", 0, nil
}
func (c *recordingCLI) Version() semver.Version { return semver.MustParse(PulumiVersion) }

// The reads the Automation API makes after an update are answered from a
// file backend's checkpoint and newest history entry, as the CLI would
// answer them; outputs holding a secret, and every other command, go to
// the CLI.
func TestCheckpointReadsAnswerThePostUpdateReads(t *testing.T) {
	dir := t.TempDir()
	backend := filepath.Join(dir, "backend")
	r := &Runner{cfg: Config{Project: "p", Backend: "file://" + backend}}
	writeFile(t, r.stateFile(backend, "e.east", ".json"), `{"version":3,"checkpoint":{"latest":{"resources":[
		{"type":"pulumi:pulumi:Stack","outputs":{"region":"east","ports":[1,2]}},
		{"type":"bulwark:local:Parameter","outputs":{"value":"x"}}]}}}`)
	writeFile(t, r.stateFile(backend, "e.west", ".json"), `{"version":3,"checkpoint":{"latest":{"resources":[
		{"type":"pulumi:pulumi:Stack","outputs":{"token":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:abc"}}}]}}}`)
	history := filepath.Join(backend, ".pulumi", "history", "p", "e.east")
	writeFile(t, filepath.Join(history, "e.east-1700000000000000000.history.json"), `{"kind":"update","startTime":1700000000,"endTime":1700000009,"result":"succeeded","resourceChanges":{"create":7}}`)
	writeFile(t, filepath.Join(history, "e.east-1700000100000000000.history.json"), `{"kind":"destroy","startTime":1700000100,"endTime":1700000103,"result":"succeeded","resourceChanges":{"delete":7}}`)
	cli := &recordingCLI{}
	c := checkpointReads{PulumiCommand: cli, r: r}
	run := func(args ...string) string {
		out, _, code, err := c.Run(context.Background(), dir, nil, nil, nil, nil, args...)
		if err != nil || code != 0 {
			t.Fatalf("%v: %d %v", args, code, err)
		}
		return out
	}

	for _, args := range [][]string{
		{"stack", "output", "--json", "--stack", "e.east"},
		{"stack", "output", "--json", "--show-secrets", "--stack", "e.east"},
	} {
		var outs map[string]any
		if err := json.Unmarshal([]byte(run(args...)), &outs); err != nil || outs["region"] != "east" || len(outs) != 2 {
			t.Errorf("%v answered %v (%v), want the stack's outputs", args, outs, err)
		}
	}
	var summaries []struct {
		Kind            string         `json:"kind"`
		Result          string         `json:"result"`
		ResourceChanges map[string]int `json:"resourceChanges"`
	}
	if err := json.Unmarshal([]byte(run("stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", "e.east")), &summaries); err != nil ||
		len(summaries) != 1 || summaries[0].Kind != "destroy" || summaries[0].ResourceChanges["delete"] != 7 {
		t.Errorf("history answered %+v (%v), want the newest entry: the destroy of 7", summaries, err)
	}
	if len(cli.ran) != 0 {
		t.Errorf("the CLI ran for reads the files answer: %v", cli.ran)
	}

	for _, args := range [][]string{
		{"stack", "output", "--json", "--show-secrets", "--stack", "e.west"}, // a secret: the CLI decrypts
		{"stack", "output", "--json", "--stack", "e.north"},                  // no checkpoint
		{"stack", "history", "--json", "--page-size", "5", "--page", "1", "--stack", "e.east"},
		{"up", "--yes", "--stack", "e.east"},
	} {
		if out := run(args...); out != "from the CLI" {
			t.Errorf("%s answered %q, want the CLI's", strings.Join(args, " "), out)
		}
	}
	if len(cli.ran) != 4 {
		t.Errorf("the CLI ran %d times, want 4", len(cli.ran))
	}
	s3 := checkpointReads{PulumiCommand: cli, r: &Runner{cfg: Config{Project: "p", Backend: "s3://b/p"}}}
	if out, _, _, _ := s3.Run(context.Background(), dir, nil, nil, nil, nil, "stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", "e.east"); out != "from the CLI" {
		t.Errorf("an s3 backend's history answered %q, want the CLI's", out)
	}
}

// A stack's resources are counted from a file backend's checkpoint: none
// once a destroy emptied it; another backend cannot say.
func TestStateResources(t *testing.T) {
	dir := t.TempDir()
	r := &Runner{cfg: Config{Project: "p", Backend: "file://" + dir}}
	writeFile(t, r.stateFile(dir, "e.east", ".json"), `{"version":3,"checkpoint":{"latest":{"resources":[{"type":"pulumi:pulumi:Stack"},{"type":"x"}]}}}`)
	writeFile(t, r.stateFile(dir, "e.west", ".json"), `{"version":3,"checkpoint":{"stack":"e.west","latest":{"manifest":{}}}}`)
	if n, ok := r.StateResources("e.east"); n != 2 || !ok {
		t.Errorf("e.east holds %d (%v), want 2", n, ok)
	}
	if n, ok := r.StateResources("e.west"); n != 0 || !ok {
		t.Errorf("destroyed e.west holds %d (%v), want 0", n, ok)
	}
	if _, ok := r.StateResources("e.north"); ok {
		t.Error("a stack without state was counted")
	}
	if _, ok := (&Runner{cfg: Config{Project: "p", Backend: "s3://b"}}).StateResources("e.east"); ok {
		t.Error("an s3 backend's stack was counted")
	}
}
