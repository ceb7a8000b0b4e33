package main

import (
	"context"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/envlock"
)

// While one operation holds an environment, a second is refused at once,
// naming the holder, before it plans or deploys anything; an invalid
// BULWARK_LOCK_WAIT is bad input; once released, the environment is free.
func TestSecondOperationOnAnEnvironmentIsRefused(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	held, err := envlock.Acquire(context.Background(), state, "dev", "up", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"up", "--env", "dev"},
		{"destroy", "--env", "dev", "--yes"},
		{"drift", "--env", "dev"},
	} {
		code, out, errOut := inProject(t, args...)
		if code != exitFailed || !strings.Contains(errOut, "environment dev is held by `bulwark up` (pid ") || strings.Contains(out, "STACK") {
			t.Errorf("%v while up holds dev: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	t.Setenv("BULWARK_LOCK_WAIT", "a while")
	if code, _, errOut := inProject(t, "up", "--env", "dev"); code != exitBadInput || !strings.Contains(errOut, "BULWARK_LOCK_WAIT") {
		t.Errorf("a bad BULWARK_LOCK_WAIT: exit %d: %s", code, errOut)
	}
	held.Release()
	if l, err := envlock.Acquire(context.Background(), state, "dev", "up", 0); err != nil {
		t.Errorf("after the holder let go: %v", err)
	} else {
		l.Release()
	}
}
