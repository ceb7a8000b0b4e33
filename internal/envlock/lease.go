package envlock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/teamstate"
)

// DefaultLease is a lease's term: renewed every 5 s, it lapses 30 s after
// its holder's last renewal.
const DefaultLease = 30 * time.Second

// LeaseEnv overrides the lease's term (a duration of at least MinLease).
const LeaseEnv = "BULWARK_LOCK_LEASE"

// MinLease is the shortest term (a renewal every 200 ms).
const MinLease = 1200 * time.Millisecond

// ErrLeaseLost is a lease its holder could not renew: another operator
// replaced it, or the bucket could not be reached for most of a term.
var ErrLeaseLost = errors.New("lost the environment's lease")

// leasePoll is how often a waiting operator reads the lease.
const leasePoll = 500 * time.Millisecond

// maxLapsed bounds the lapsed holders a lease remembers.
const maxLapsed = 8

// LeaseKey is an environment's lease object, relative to the backend's
// prefix (beside the engine's .pulumi/).
func LeaseKey(env string) string { return ".bulwark/locks/" + env + ".json" }

// Lapsed is a holder whose lease ran out unrenewed (killed, its machine
// gone, cut off from the bucket): from its Since to Expires (both on its
// host's clock) it held the environment, and what it left behind, such as
// the engine's stack locks taken on its host in that time, is stale.
type Lapsed struct {
	Holder
	Expires time.Time `json:"expires"`
}

func (l Lapsed) String() string {
	return fmt.Sprintf("%s, whose lease lapsed at %s", l.Holder, l.Expires.Local().Format(time.DateTime))
}

// leaseRecord is the lease object's content.
type leaseRecord struct {
	Holder
	// Token is this hold's own (a holder knows its record by it).
	Token   string    `json:"token"`
	Term    string    `json:"term"`
	Renewed time.Time `json:"renewed"`
	Expires time.Time `json:"expires"`
	// Released is a lease let go: free to take.
	Released bool `json:"released,omitempty"`
	// Lapsed are the holders before this one whose leases lapsed, newest
	// last.
	Lapsed []Lapsed `json:"lapsed,omitempty"`
}

func (r *leaseRecord) term() time.Duration {
	d, err := time.ParseDuration(r.Term)
	if err != nil || d < MinLease {
		return DefaultLease
	}
	return d
}

// free says whether the lease may be replaced, and why: released, its
// holder gone from this host, unrenewed while watched since seenAt for a
// full term, or past its expiry by more than a term (allowing that much
// clock skew between the hosts).
func (r *leaseRecord) free(seenAt, now time.Time) (lapsed, free bool) {
	switch {
	case r.Released:
		return false, true
	case r.Host == hostname() && r.PID > 0 && !processRuns(r.PID):
		return true, true
	case now.Sub(seenAt) >= r.term():
		return true, true
	case now.After(r.Expires.Add(r.term())):
		return true, true
	}
	return false, false
}

// lease is a held lease, renewed in the background until released.
type lease struct {
	c        *teamstate.Client
	key      string
	term     time.Duration
	tookOver *Lapsed

	mu   sync.Mutex
	rec  leaseRecord
	etag string
	why  error

	stop, done, lost chan struct{}
}

// acquireLease takes the environment's lease in the backend's bucket,
// waiting until deadline for its holder to release it or let it lapse.
func acquireLease(ctx context.Context, backend, env, operation string, term time.Duration, deadline time.Time) (*lease, error) {
	if term == 0 {
		term = DefaultLease
	}
	if term < MinLease {
		return nil, fmt.Errorf("lock environment %s: a lease of %s: at least %s", env, term, MinLease)
	}
	c, err := teamstate.Open(ctx, backend)
	if err != nil {
		return nil, fmt.Errorf("lock environment %s: %w", env, err)
	}
	key := LeaseKey(env)
	var (
		seen   string    // the ETag last read
		seenAt time.Time // when it was first read
		last   *leaseRecord
	)
	tries := int(time.Until(deadline)/leasePoll) + 20
	for try := 0; try < tries; try++ {
		body, etag, err := c.Get(ctx, key)
		switch {
		case errors.Is(err, teamstate.ErrNotFound):
			l, err := putLease(ctx, c, key, newRecord(operation, term, nil), teamstate.Condition{IfNoneMatch: true})
			if err == nil {
				l.start()
				return l, nil
			}
			if !errors.Is(err, teamstate.ErrPrecondition) {
				return nil, fmt.Errorf("lock environment %s: lease in %s: %w", env, c.Location(), err)
			}
			continue // another took it first: read who
		case err != nil:
			return nil, fmt.Errorf("lock environment %s: lease in %s: %w", env, c.Location(), err)
		}
		cur := &leaseRecord{}
		_ = json.Unmarshal(body, cur) // unreadable: no holder, long expired
		now := time.Now()
		if etag != seen {
			seen, seenAt = etag, now
		}
		last = cur
		if lapsed, free := cur.free(seenAt, now); free {
			carried := cur.Lapsed
			var prev *Lapsed
			if lapsed && cur.PID > 0 {
				prev = &Lapsed{Holder: cur.Holder, Expires: cur.Expires}
				carried = append(carried, *prev)
			}
			l, err := putLease(ctx, c, key, newRecord(operation, term, carried), teamstate.Condition{IfMatch: etag})
			if err == nil {
				l.tookOver = prev
				l.start()
				return l, nil
			}
			if !errors.Is(err, teamstate.ErrPrecondition) && !errors.Is(err, teamstate.ErrNotFound) {
				return nil, fmt.Errorf("lock environment %s: lease in %s: %w", env, c.Location(), err)
			}
			continue // another replaced it first: read who
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(leasePoll, time.Until(deadline))):
		}
	}
	held := &HeldError{Environment: env, Lease: c.Location().String() + key}
	if last != nil {
		held.Holder, held.Expires = last.Holder, last.Expires
	}
	return nil, held
}

// newRecord is a fresh hold of the lease by this process.
func newRecord(operation string, term time.Duration, lapsed []Lapsed) leaseRecord {
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	now := time.Now()
	if len(lapsed) > maxLapsed {
		lapsed = lapsed[len(lapsed)-maxLapsed:]
	}
	return leaseRecord{
		Holder: Holder{Operation: operation, PID: os.Getpid(), Host: hostname(), Since: now},
		Token:  hex.EncodeToString(token), Term: term.String(), Renewed: now, Expires: now.Add(term),
		Lapsed: lapsed,
	}
}

// putLease writes rec under cond and returns the lease it holds (not yet
// renewed: start).
func putLease(ctx context.Context, c *teamstate.Client, key string, rec leaseRecord, cond teamstate.Condition) (*lease, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	etag, err := c.Put(ctx, key, b, cond)
	if err != nil {
		return nil, err
	}
	term := rec.term()
	return &lease{c: c, key: key, term: term, rec: rec, etag: etag,
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}, nil
}

// start renews the lease every sixth of its term until it is released or
// lost.
func (l *lease) start() {
	go func() {
		defer close(l.done)
		every := l.term / 6
		lastOK := time.Now()
		for {
			select {
			case <-l.stop:
				return
			case <-time.After(every):
			}
			err := l.renew(every)
			switch {
			case err == nil:
				lastOK = time.Now()
			case errors.Is(err, ErrLeaseLost):
				l.lose(err)
				return
			case time.Since(lastOK) >= l.term-every:
				// the others may take it a term after the last renewal
				// they saw: give up before that
				l.lose(fmt.Errorf("%w: not renewed for %s: %w", ErrLeaseLost, time.Since(lastOK).Round(time.Second), err))
				return
			}
		}
	}()
}

// renew extends the lease by a term, if it is still this hold's.
func (l *lease) renew(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := l.rec
	now := time.Now()
	rec.Renewed, rec.Expires = now, now.Add(l.term)
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	etag, err := l.c.Put(ctx, l.key, b, teamstate.Condition{IfMatch: l.etag})
	if err == nil {
		l.rec, l.etag = rec, etag
		return nil
	}
	if !errors.Is(err, teamstate.ErrPrecondition) && !errors.Is(err, teamstate.ErrNotFound) {
		return err
	}
	// refused: still this hold's (a conflict with a takeover that failed)
	// or another's now
	body, etag, gerr := l.c.Get(ctx, l.key)
	if gerr != nil {
		return gerr
	}
	var cur leaseRecord
	if json.Unmarshal(body, &cur) == nil && cur.Token == l.rec.Token {
		l.etag = etag
		return fmt.Errorf("renewal refused (%w); the lease is still this operation's", err)
	}
	return fmt.Errorf("%w: %s holds it now", ErrLeaseLost, cur.Holder)
}

func (l *lease) lose(err error) {
	l.mu.Lock()
	l.why = err
	l.mu.Unlock()
	close(l.lost)
}

func (l *lease) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.why
}

// release stops the renewals and marks the lease released, if it is still
// this hold's (if that fails, the lease lapses after its term).
func (l *lease) release() {
	if l == nil {
		return
	}
	select {
	case <-l.stop:
		return // released already
	default:
	}
	close(l.stop)
	<-l.done
	if l.err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := l.rec
	rec.Released, rec.Renewed = true, time.Now()
	if b, err := json.Marshal(rec); err == nil {
		_, _ = l.c.Put(ctx, l.key, b, teamstate.Condition{IfMatch: l.etag})
	}
}

// ReadLapsed is the holders of env's lease whose leases lapsed, as its
// record in the backend's bucket keeps them (none when there is no lease).
func ReadLapsed(ctx context.Context, c *teamstate.Client, env string) ([]Lapsed, error) {
	body, _, err := c.Get(ctx, LeaseKey(env))
	if errors.Is(err, teamstate.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec leaseRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("lease of environment %s: %w", env, err)
	}
	return rec.Lapsed, nil
}

// processRuns reports whether a process with that PID exists.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
