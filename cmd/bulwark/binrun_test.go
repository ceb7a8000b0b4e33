package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
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

// writeFiles writes files (a path below dir: its content), their folders
// made.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// localPlane is the control plane's folder of a state directory; the
// plane, and all it runs, is stopped when the test ends.
func localPlane(t *testing.T, state string) string {
	t.Helper()
	plane := localcloud.Dir(state)
	t.Cleanup(func() {
		if err := localcloud.Stop(context.Background(), plane); err != nil {
			t.Error(err)
		}
	})
	return plane
}

// mustRun runs bin in project with env (runBin) and fails the test, with
// the end of the control plane's log, unless it exits 0; it returns the
// output.
func mustRun(t *testing.T, bin, project, plane string, env []string, args ...string) string {
	t.Helper()
	code, out := runBin(t, bin, project, env, args...)
	if code != exitOK {
		planeLog, _ := os.ReadFile(localcloud.LogPath(plane))
		t.Fatalf("bulwark %s exits %d:\n%s\ncontrol plane log (tail):\n%s", strings.Join(args, " "), code, out, tail(string(planeLog), 3000))
	}
	return out
}
