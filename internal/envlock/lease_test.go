package envlock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/teamstate"
	"github.com/bulwark-dev/bulwark/internal/teamstate/miniotest"
)

// testTerm is the lease term of these tests: a renewal every 200 ms.
const testTerm = MinLease

// teamBucket starts MinIO with a bucket and returns its state URL and a
// client of it.
func teamBucket(t *testing.T) (string, *teamstate.Client) {
	t.Helper()
	srv := miniotest.Start(t)
	srv.Setenv(t)
	url := srv.Bucket(t, "state")
	c, err := teamstate.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return url, c
}

// readLease is the environment's lease record (zero when there is none).
func readLease(t *testing.T, c *teamstate.Client, env string) leaseRecord {
	t.Helper()
	var rec leaseRecord
	body, _, err := c.Get(context.Background(), LeaseKey(env))
	if errors.Is(err, teamstate.ErrNotFound) {
		return rec
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// Two operators (two state directories, one bucket): the second is
// refused naming the first, host included, and keeps being refused for
// more than two terms because the first renews its lease; it takes the
// environment once the first releases it. Another environment is free
// meanwhile.
func TestLeaseKeepsASecondOperatorOut(t *testing.T) {
	url, c := teamBucket(t)
	ctx := context.Background()
	if _, err := AcquireWith(ctx, t.TempDir(), "dev", "up", Options{Backend: url, Lease: 100 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("a 100ms lease: %v", err)
	}
	a, err := AcquireWith(ctx, t.TempDir(), "dev", "up", Options{Backend: url, Lease: testTerm})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	var held *HeldError
	_, err = AcquireWith(ctx, t.TempDir(), "dev", "destroy", Options{Backend: url})
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) || held.Holder.Operation != "up" || held.Holder.PID != os.Getpid() || held.Holder.Host != hostname() ||
		held.Lease != "s3://state/.bulwark/locks/dev.json" || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d on %s, since ", os.Getpid(), hostname())) ||
		!strings.Contains(err.Error(), "lapses at") {
		t.Fatalf("second operator: %v", err)
	}
	start := time.Now()
	if _, err := AcquireWith(ctx, t.TempDir(), "dev", "destroy", Options{Backend: url, Wait: 2*testTerm + 500*time.Millisecond}); !errors.As(err, &held) {
		t.Fatalf("second operator waiting %s while the first renews: %v", 2*testTerm+500*time.Millisecond, err)
	}
	if waited := time.Since(start); waited < 2*testTerm {
		t.Errorf("gave up after %s", waited)
	}
	if rec := readLease(t, c, "dev"); rec.Renewed.Sub(rec.Since) < testTerm {
		t.Errorf("the lease was not renewed: since %s, renewed %s", rec.Since, rec.Renewed)
	}
	prod, err := AcquireWith(ctx, t.TempDir(), "prod", "up", Options{Backend: url})
	if err != nil {
		t.Fatalf("another environment: %v", err)
	}
	prod.Release()
	go func() { time.Sleep(300 * time.Millisecond); a.Release() }()
	b, err := AcquireWith(ctx, t.TempDir(), "dev", "destroy", Options{Backend: url, Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("after the first released it: %v", err)
	}
	if prev, ok := b.TookOver(); ok {
		t.Errorf("a released lease counted as lapsed: %v", prev)
	}
	if rec := readLease(t, c, "dev"); rec.Operation != "destroy" || rec.Released || len(rec.Lapsed) != 0 {
		t.Errorf("lease after the second took it: %+v", rec)
	}
	b.Release()
	select {
	case <-a.Lost():
		t.Errorf("a released lease reported lost: %v", a.Err())
	default:
	}
	if rec := readLease(t, c, "dev"); !rec.Released {
		t.Errorf("lease after release: %+v", rec)
	}
}

// holdLeaseChild is the helper process of the kill tests: the test binary
// run again, holding environment dev's lease as ENVLOCK_LEASE_HOST (another
// machine when set) until it is killed.
func holdLeaseChild() {
	if h := os.Getenv("ENVLOCK_LEASE_HOST"); h != "" {
		hostname = func() string { return h }
	}
	l, err := AcquireWith(context.Background(), os.Getenv("ENVLOCK_LEASE_STATE"), "dev", "up",
		Options{Backend: os.Getenv("ENVLOCK_LEASE_HOLD"), Lease: testTerm})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	defer l.Release()
	time.Sleep(time.Minute) // killed long before
}

// startHolder starts the helper process and waits until it holds the lease.
func startHolder(t *testing.T, test, url, host string, c *teamstate.Client) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), "ENVLOCK_LEASE_HOLD="+url, "ENVLOCK_LEASE_STATE="+t.TempDir(), "ENVLOCK_LEASE_HOST="+host)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; readLease(t, c, "dev").PID != cmd.Process.Pid; i++ { // up to 10 s
		if i == 100 {
			t.Fatal("the helper process never held the lease")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmd
}

// A holder on another machine killed with SIGKILL stops renewing: the
// waiting operator takes the environment over once it has seen the lease
// unrenewed for a full term, not before, and the lease records the lapsed
// holder (for the engine to clear its stack locks).
func TestKilledHolderOnAnotherHostLapses(t *testing.T) {
	if os.Getenv("ENVLOCK_LEASE_HOLD") != "" {
		holdLeaseChild()
		return
	}
	url, c := teamBucket(t)
	child := startHolder(t, "TestKilledHolderOnAnotherHostLapses", url, "operator-a", c)
	var held *HeldError
	_, err := AcquireWith(context.Background(), t.TempDir(), "dev", "destroy", Options{Backend: url})
	if !errors.As(err, &held) || held.Holder.PID != child.Process.Pid || held.Holder.Host != "operator-a" {
		t.Fatalf("while the other machine holds it: %v", err)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killed := time.Now()
	l, err := AcquireWith(context.Background(), t.TempDir(), "dev", "destroy", Options{Backend: url, Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	defer l.Release()
	if after := time.Since(killed); after < testTerm || after > 2*testTerm+2*time.Second {
		t.Errorf("taken %s after the kill; want between one term (%s) and two and a bit", after, testTerm)
	}
	prev, ok := l.TookOver()
	if !ok || prev.PID != child.Process.Pid || prev.Host != "operator-a" || !prev.Expires.After(prev.Since) {
		t.Errorf("took over from %+v (%v)", prev, ok)
	}
	lapsed, err := ReadLapsed(context.Background(), c, "dev")
	if err != nil || len(lapsed) != 1 || lapsed[0] != prev {
		t.Errorf("lapsed holders in the lease: %+v %v", lapsed, err)
	}
}

// A holder on this machine killed with SIGKILL is known gone by its PID:
// the next operator takes the environment at once.
func TestKilledHolderOnThisHostIsTakenAtOnce(t *testing.T) {
	if os.Getenv("ENVLOCK_LEASE_HOLD") != "" {
		holdLeaseChild()
		return
	}
	url, c := teamBucket(t)
	child := startHolder(t, "TestKilledHolderOnThisHostIsTakenAtOnce", url, "", c)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	l, err := AcquireWith(context.Background(), t.TempDir(), "dev", "up", Options{Backend: url})
	if err != nil {
		t.Fatalf("right after the holder on this host was killed: %v", err)
	}
	defer l.Release()
	if prev, ok := l.TookOver(); !ok || prev.PID != child.Process.Pid {
		t.Errorf("took over from %+v (%v)", prev, ok)
	}
}

// Operators racing for a free lease (none yet, or a lapsed one) do not
// both get it: exactly one wins each round, and the others are told it
// is the winner that holds it.
func TestConcurrentTakeoversOneWins(t *testing.T) {
	url, c := teamBucket(t)
	ctx := context.Background()
	const operators = 6
	for round := 0; round < 4; round++ {
		if round > 0 { // a lapsed lease of a machine that is gone
			dead := newRecord("up", testTerm, nil)
			dead.Host, dead.PID = "gone-host", 4242
			dead.Since, dead.Expires = time.Now().Add(-time.Hour), time.Now().Add(-50*time.Minute)
			b, _ := json.Marshal(dead)
			if _, err := c.Put(ctx, LeaseKey("dev"), b, teamstate.Condition{}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []*Lock
			names   []string
			errs    []error
		)
		start := make(chan struct{})
		for i := 0; i < operators; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				state := t.TempDir()
				<-start
				l, err := AcquireWith(ctx, state, "dev", fmt.Sprintf("op-%d", i), Options{Backend: url, Lease: testTerm})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					winners = append(winners, l)
					names = append(names, fmt.Sprintf("op-%d", i))
				} else {
					errs = append(errs, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d operators won (%v); errors: %v", round, len(winners), names, errs)
		}
		for _, err := range errs {
			var held *HeldError
			if !errors.As(err, &held) || held.Holder.Operation != names[0] {
				t.Errorf("round %d: a loser was told %v; the winner is %s", round, err, names[0])
			}
		}
		prev, tookOver := winners[0].TookOver()
		if (round > 0) != tookOver || (tookOver && prev.Host != "gone-host") {
			t.Errorf("round %d: took over %v from %+v", round, tookOver, prev)
		}
		winners[0].Release()
	}
}

// A holder whose lease another replaced (it stalled past its term and an
// operator took over) is told at its next renewal, and its release leaves
// the other's lease alone.
func TestReplacedLeaseIsReportedLost(t *testing.T) {
	url, c := teamBucket(t)
	ctx := context.Background()
	l, err := AcquireWith(ctx, t.TempDir(), "dev", "up", Options{Backend: url, Lease: testTerm})
	if err != nil {
		t.Fatal(err)
	}
	other := newRecord("up", testTerm, nil)
	other.Host = "operator-b"
	b, _ := json.Marshal(other)
	if _, err := c.Put(ctx, LeaseKey("dev"), b, teamstate.Condition{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the replaced lease was not reported lost within 5s")
	}
	if err := l.Err(); !errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), "on operator-b") {
		t.Errorf("lost: %v", err)
	}
	l.Release()
	if rec := readLease(t, c, "dev"); rec.Token != other.Token || rec.Released {
		t.Errorf("the lost holder's release touched the other's lease: %+v", rec)
	}
}
