package main

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// runBin runs the built bulwark (bin) in project with env, for at most 3
// minutes, and returns its exit code and combined output; a run that could
// not start, or did not end, fails the test.
func runBin(t *testing.T, bin, project string, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = project, env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit) && ctx.Err() == nil:
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("bulwark %v: %v\n%s", args, err, out)
	return -1, ""
}
