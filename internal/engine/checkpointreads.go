package engine

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// checkpointReads is the engine's CLI as the Automation API runs it, but
// for the reads its Stack.Up, Destroy and Refresh make once an update is
// over: the stack's outputs (`stack output --json`, with and without
// --show-secrets) and the update's summary (`stack history --json
// --page-size 1 --page 1`). Each of those is another CLI process that
// loads the whole checkpoint and derives the passphrase's key again,
// seconds per stack at 1,500 resources, to read back what the file
// backend holds in plain files: on a file backend they are answered from
// the stack's checkpoint and its newest history entry, which is what the
// CLI reads for them. Outputs holding a secret, a stack without a
// checkpoint, and every other command run the CLI.
type checkpointReads struct {
	auto.PulumiCommand
	r *Runner
}

func (c checkpointReads) Run(ctx context.Context, workdir string, stdin io.Reader, out, errOut []io.Writer, env []string, args ...string) (string, string, int, error) {
	if answer, ok := c.answer(args); ok {
		return answer, "", 0, nil
	}
	return c.PulumiCommand.Run(ctx, workdir, stdin, out, errOut, env, args...)
}

// answer is the CLI's standard output for args, when the backend's files
// answer them.
func (c checkpointReads) answer(args []string) (string, bool) {
	stack, rest, ok := withoutStack(args)
	if !ok {
		return "", false
	}
	switch strings.Join(rest, " ") {
	case "stack output --json", "stack output --json --show-secrets":
		outs, ok := c.r.StateOutputs(stack) // false when one is secret
		if !ok {
			return "", false
		}
		b, err := json.Marshal(outs)
		return string(b), err == nil
	case "stack history --json --show-secrets --page-size 1 --page 1", "stack history --json --page-size 1 --page 1":
		return c.r.latestUpdate(stack)
	}
	return "", false
}

// withoutStack splits "--stack NAME" off a command line.
func withoutStack(args []string) (stack string, rest []string, ok bool) {
	i := slices.Index(args, "--stack")
	if i < 0 || i+1 >= len(args) || slices.Index(args[i+1:], "--stack") >= 0 {
		return "", nil, false
	}
	return args[i+1], append(slices.Clone(args[:i]), args[i+2:]...), true
}

// latestUpdate is `pulumi stack history --json --page-size 1` of a stack
// in a file backend: its newest history entry (the update that just
// ended, the stack being locked while it ran), as the CLI prints it.
func (r *Runner) latestUpdate(stack string) (string, bool) {
	root, ok := r.fileBackend()
	if !ok {
		return "", false
	}
	dir := filepath.Join(root, ".pulumi", "history", r.cfg.Project, stack)
	names, err := filepath.Glob(filepath.Join(dir, stack+"-*.history.json"))
	if err != nil || len(names) == 0 {
		return "", false
	}
	stamp := func(name string) int64 { // <stack>-<unix nanoseconds>.history.json
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), stack+"-"), ".history.json"), 10, 64)
		return n
	}
	newest := slices.MaxFunc(names, func(a, b string) int { return int(stamp(a) - stamp(b)) })
	raw, err := os.ReadFile(newest)
	if err != nil {
		return "", false
	}
	var entry struct {
		Version         int               `json:"version"`
		Kind            string            `json:"kind"`
		StartTime       int64             `json:"startTime"`
		Message         string            `json:"message"`
		Environment     map[string]string `json:"environment"`
		Result          string            `json:"result"`
		EndTime         int64             `json:"endTime"`
		ResourceChanges map[string]int    `json:"resourceChanges"`
	}
	if json.Unmarshal(raw, &entry) != nil || entry.Kind == "" {
		return "", false
	}
	end := time.Unix(entry.EndTime, 0).UTC().Format(time.RFC3339)
	summary := auto.UpdateSummary{
		Version: entry.Version, Kind: entry.Kind, StartTime: time.Unix(entry.StartTime, 0).UTC().Format(time.RFC3339),
		Message: entry.Message, Environment: entry.Environment, Result: entry.Result, EndTime: &end,
		ResourceChanges: &entry.ResourceChanges,
	}
	b, err := json.Marshal([]auto.UpdateSummary{summary})
	return string(b), err == nil
}
