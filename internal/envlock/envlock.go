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
	// Lease is the lease object of a holder on another machine, or one
	// sharing the bucket ("" for this machine's lock file), and Expires
	// when it lapses unless its holder renews it.
	Lease   string
	Expires time.Time
}

func (e *HeldError) Error() string {
	msg := fmt.Sprintf("environment %s is held by %s; wait for it to finish (BULWARK_LOCK_WAIT=5m waits)", e.Environment, e.Holder)
	if e.Lease != "" && !e.Expires.IsZero() {
		msg += fmt.Sprintf("; its lease %s lapses at %s unless its holder renews it", e.Lease, e.Expires.Local().Format(time.TimeOnly))
	}
	return msg
}

// Unwrap is ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held environment; Release lets it go.
type Lock struct {
	f     *os.File
	lease *lease
}

// Path is an environment's lock file.
func Path(stateDir, env string) string {
	return filepath.Join(stateDir, "locks", env+".lock")
}

// Options are how an environment is taken.
type Options struct {
	// Wait is how long to wait for another holder to let go (0: not at all).
	Wait time.Duration
	// Backend is the environment's state backend URL: an s3:// one adds
	// the lease in its bucket, shared by every operator.
	Backend string
	// Lease is the lease's term (DefaultLease when 0); it is renewed every
	// sixth of it.
	Lease time.Duration
}

// Acquire takes the environment for the operation on this machine. When
// another holds it, it waits up to wait (polling, until ctx ends) and then
// returns a *HeldError naming the holder.
func Acquire(ctx context.Context, stateDir, env, operation string, wait time.Duration) (*Lock, error) {
	return AcquireWith(ctx, stateDir, env, operation, Options{Wait: wait})
}

// AcquireWith takes the environment for the operation: with an s3://
// backend its lease in the bucket first, then this machine's lock, both
// within o.Wait. A held environment is a *HeldError (ErrHeld); an s3 URL
// that cannot work is an s3url.ErrInvalid; the bucket's refusals are
// teamstate.ErrS3.
func AcquireWith(ctx context.Context, stateDir, env, operation string, o Options) (*Lock, error) {
	if env == "" || strings.ContainsAny(env, `/\`) || env == "." || env == ".." {
		return nil, fmt.Errorf("lock environment %q: not an environment name", env)
	}
	deadline := time.Now().Add(o.Wait)
	var ls *lease
	if strings.HasPrefix(o.Backend, "s3://") {
		var err error
		if ls, err = acquireLease(ctx, o.Backend, env, operation, o.Lease, deadline); err != nil {
			return nil, err
		}
	}
	f, err := lockFile(ctx, stateDir, env, operation, deadline)
	if err != nil {
		ls.release()
		return nil, err
	}
	return &Lock{f: f, lease: ls}, nil
}

// lockFile takes this machine's lock on the environment, waiting until
// deadline.
func lockFile(ctx context.Context, stateDir, env, operation string, deadline time.Time) (*os.File, error) {
	path := Path(stateDir, env)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock environment %s: %w", env, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock environment %s: %w", env, err)
	}
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
	b, _ := json.Marshal(Holder{Operation: operation, PID: os.Getpid(), Host: hostname(), Since: time.Now()})
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return f, nil
}

// Release lets the environment go: the lease is marked released (the
// holder's record on this machine stays, stale, for nobody: the lock is
// what counts).
func (l *Lock) Release() {
	if l == nil {
		return
	}
	if l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		_ = l.f.Close()
		l.f = nil
	}
	l.lease.release() // once: a second call does nothing
}

// Lost is closed when the lease was lost while held (a nil channel, never
// closed, without a lease): another operator has the environment, and
// this operation must stop. Err says why.
func (l *Lock) Lost() <-chan struct{} {
	if l == nil || l.lease == nil {
		return nil
	}
	return l.lease.lost
}

// Err is why the lease was lost (nil while it is held), ErrLeaseLost.
func (l *Lock) Err() error {
	if l == nil || l.lease == nil {
		return nil
	}
	return l.lease.err()
}

// TookOver is the holder whose lapsed lease this lock replaced, if it did.
func (l *Lock) TookOver() (Lapsed, bool) {
	if l == nil || l.lease == nil || l.lease.tookOver == nil {
		return Lapsed{}, false
	}
	return *l.lease.tookOver, true
}

// hostname is this machine's name (a variable for the tests, which play
// another machine).
var hostname = func() string {
	h, _ := os.Hostname()
	return h
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
