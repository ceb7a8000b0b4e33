package envlock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A second operation on a held environment is refused at once, naming the
// holder; another environment is free; once released, it is taken.
func TestHeldEnvironmentNamesItsHolder(t *testing.T) {
	state := t.TempDir()
	ctx := context.Background()
	first, err := Acquire(ctx, state, "dev", "up", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, state, "dev", "destroy", 0)
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) || held.Holder.Operation != "up" || held.Holder.PID != os.Getpid() ||
		!strings.Contains(err.Error(), "environment dev is held by `bulwark up` (pid ") {
		t.Fatalf("second acquire: %v", err)
	}
	other, err := Acquire(ctx, state, "prod", "up", 0)
	if err != nil {
		t.Fatalf("another environment: %v", err)
	}
	other.Release()
	first.Release()
	again, err := Acquire(ctx, state, "dev", "destroy", 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
	if _, err := Acquire(ctx, state, "../etc", "up", 0); err == nil {
		t.Error("a path as an environment name was taken")
	}
}

// A waiting operation takes the environment when its holder lets go.
func TestWaitsForTheHolder(t *testing.T) {
	state := t.TempDir()
	ctx := context.Background()
	first, err := Acquire(ctx, state, "dev", "up", 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(300 * time.Millisecond); first.Release() }()
	second, err := Acquire(ctx, state, "dev", "refresh", 10*time.Second)
	if err != nil {
		t.Fatalf("waited, yet: %v", err)
	}
	second.Release()
}

// The kernel drops the lock of a holder killed with SIGKILL: the next
// operation takes the environment without anything to clear.
func TestKilledHolderLetsGo(t *testing.T) {
	if os.Getenv("ENVLOCK_HOLD") != "" {
		l, err := Acquire(context.Background(), os.Getenv("ENVLOCK_HOLD"), "dev", "up", 0)
		if err != nil {
			os.Exit(3)
		}
		defer l.Release()
		time.Sleep(time.Minute) // killed long before
		return
	}
	state := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderLetsGo$")
	cmd.Env = append(os.Environ(), "ENVLOCK_HOLD="+state)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := 0; readHolder(Path(state, "dev")).PID != cmd.Process.Pid; i++ { // up to 10 s for the child to hold it
		if i == 100 {
			t.Fatal("the child never held the environment")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var held *HeldError
	if _, err := Acquire(context.Background(), state, "dev", "destroy", 0); !errors.As(err, &held) || held.Holder.PID != cmd.Process.Pid {
		t.Fatalf("while the child holds it: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := Acquire(context.Background(), state, "dev", "up", 5*time.Second)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}
