package envlock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrHeld is an environment another operation holds.
var ErrHeld = errors.New("environment held by another operation")

// Holder is who holds an environment.
type Holder struct {
	Operation string    `json:"operation"`
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	Since     time.Time `json:"since"`
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "another operation"
	}
	return fmt.Sprintf("`bulwark %s` (pid %d on %s, since %s)", h.Operation, h.PID, h.Host, h.Since.Local().Format(time.DateTime))
}

// HeldError says which operation holds the environment.
type HeldError struct {
	Environment string
	Holder      Holder
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("environment %s is held by %s; wait for it to finish (BULWARK_LOCK_WAIT=5m waits)", e.Environment, e.Holder)
}

// Unwrap is ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held environment; Release lets it go.
type Lock struct {
	f *os.File
}

// Path is an environment's lock file.
func Path(stateDir, env string) string {
	return filepath.Join(stateDir, "locks", env+".lock")
}

// Acquire takes the environment for the operation. When another holds it,
// it waits up to wait (polling, until ctx ends) and then returns a
// *HeldError naming the holder.
func Acquire(ctx context.Context, stateDir, env, operation string, wait time.Duration) (*Lock, error) {
	if env == "" || strings.ContainsAny(env, `/\`) || env == "." || env == ".." {
		return nil, fmt.Errorf("lock environment %q: not an environment name", env)
	}
	path := Path(stateDir, env)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock environment %s: %w", env, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock environment %s: %w", env, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock environment %s: %w", env, err)
		}
		if !time.Now().Before(deadline) {
			holder := readHolder(path)
			f.Close()
			return nil, &HeldError{Environment: env, Holder: holder}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(Holder{Operation: operation, PID: os.Getpid(), Host: host, Since: time.Now()})
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f}, nil
}

// Release lets the environment go (the holder's record stays, stale, for
// nobody: the lock is what counts).
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// readHolder reads who holds the lock (zero when it cannot say).
func readHolder(path string) Holder {
	var h Holder
	b, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}
