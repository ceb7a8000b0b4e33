package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckpointsFor(t *testing.T) {
	for _, c := range []struct {
		adopts   bool
		override string
		want     Checkpoints
		err      bool
	}{
		{true, "", CheckpointAtEnd, false},
		{false, "", CheckpointEveryStep, false},
		{true, "every-step", CheckpointEveryStep, false},
		{false, "every-step", CheckpointEveryStep, false},
		{false, "end", "", true}, // would orphan what an interrupted update created
		{true, "sometimes", "", true},
	} {
		got, err := CheckpointsFor(c.adopts, "x", c.override)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("CheckpointsFor(%t, %q) = %q, %v; want %q, error %v", c.adopts, c.override, got, err, c.want, c.err)
		}
	}
}

// Only the lock of an update process that no longer runs on this host is
// removed; a running one's and another host's stay.
func TestClearStaleLocks(t *testing.T) {
	root := t.TempDir()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".pulumi", "locks", "organization", "proj", "dev.east")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := func(name string, pid int, host string) string {
		b, _ := json.Marshal(map[string]any{"pid": pid, "hostname": host, "username": "u", "timestamp": time.Now()})
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".attrs", []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	dead := lock("dead", deadPID(t), host)
	live := lock("live", os.Getpid(), host)
	remote := lock("remote", deadPID(t), "another-host")
	r := &Runner{cfg: Config{Backend: "file://" + root, Project: "proj"}}
	notes := r.clearStaleLocks(context.Background(), "dev.east")
	if len(notes) != 1 || !strings.Contains(notes[0], "no longer runs") {
		t.Errorf("notes = %q, want one removal", notes)
	}
	for path, want := range map[string]bool{dead: false, dead + ".attrs": false, live: true, remote: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	// an s3 backend's locks are judged by the environment's lease
	// (s3locks_test.go), not by this machine's processes; one that cannot
	// be reached clears nothing
	unreachable := "s3://bucket?endpoint=http://127.0.0.1:1&s3ForcePathStyle=true&region=us-east-1"
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": ""} {
		t.Setenv(k, v) // no reach for the instance metadata service
	}
	if notes := (&Runner{cfg: Config{Backend: unreachable, Project: "proj"}}).clearStaleLocks(context.Background(), "dev.east"); notes != nil {
		t.Errorf("an unreachable s3 backend: %q", notes)
	}
}

// deadPID is the PID of a process that ran and exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// A state file's metadata sidecar left empty by a killed write would fail
// every read of the stack ("failed to load checkpoint: EOF"): it is removed;
// an intact one stays.
func TestRepairBrokenStateMetadata(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".pulumi", "stacks", "proj")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"dev.east.json": "{}", "dev.east.json.attrs": "", // cut off by a kill
		"dev.east.json.bak": "{}", "dev.east.json.bak.attrs": `{"user.content_type":"application/json"}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &Runner{cfg: Config{Backend: "file://" + root, Project: "proj"}}
	notes := r.repairAfterCrash(context.Background(), "dev.east")
	if len(notes) != 1 || !strings.Contains(notes[0], "dev.east.json.attrs") {
		t.Errorf("notes = %q", notes)
	}
	for name, want := range map[string]bool{"dev.east.json.attrs": false, "dev.east.json.bak.attrs": true, "dev.east.json": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", name, err == nil, want)
		}
	}
}

// A stack's outputs are read from a file backend's state; a secret output,
// or a stack without state, is left to the CLI.
func TestStateOutputs(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".pulumi", "stacks", "proj")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	state := func(outputs string) string {
		return `{"version":3,"checkpoint":{"stack":"organization/proj/dev.east","latest":{"resources":[` +
			`{"urn":"urn:pulumi:dev.east::proj::pulumi:pulumi:Stack::proj-dev.east","type":"pulumi:pulumi:Stack","outputs":` + outputs + `},` +
			`{"urn":"urn:pulumi:dev.east::proj::bulwark:local:Region::east","type":"bulwark:local:Region","outputs":{"index":3}}]}}}`
	}
	write := func(stack, content string) {
		if err := os.WriteFile(filepath.Join(dir, stack+".json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dev.east", state(`{"services":{"shop":{"endpoint":"127.0.3.1:8080"}}}`))
	write("dev.west", state(`{"token":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"x"}}`))
	r := &Runner{cfg: Config{Backend: "file://" + root, Project: "proj"}}
	outs, ok := r.StateOutputs("dev.east")
	if !ok || outs["services"].(map[string]any)["shop"].(map[string]any)["endpoint"] != "127.0.3.1:8080" {
		t.Errorf("dev.east outputs = %v, %v", outs, ok)
	}
	for _, stack := range []string{"dev.west", "dev.north"} {
		if outs, ok := r.StateOutputs(stack); ok {
			t.Errorf("%s: read %v, want it left to the CLI", stack, outs)
		}
	}
	if _, ok := (&Runner{cfg: Config{Backend: "s3://bucket", Project: "proj"}}).StateOutputs("dev.east"); ok {
		t.Error("a cloud backend's state was read from the disk")
	}
}
