package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// countingStore is a Store whose writes count: how many times each seq
// was committed, every time (so a write applied twice shows, which the
// real table's primary key would hide), and how many writes it refused
// while down.
type countingStore struct {
	mu       sync.Mutex
	applied  map[int64]int
	refused  map[int64]int
	down     bool
	pingDown bool
}

func newCountingStore() *countingStore {
	return &countingStore{applied: map[int64]int{}, refused: map[int64]int{}}
}

func (s *countingStore) Write(_ context.Context, seq int64, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		s.refused[seq]++
		return fmt.Errorf("%w: primary down", ErrReadOnly)
	}
	s.applied[seq]++
	return nil
}

func (s *countingStore) Seqs(context.Context, int64, int64) ([]int64, error) { return nil, nil }

// Ping fails while the store is unreachable (down and pingDown): a
// database that is down, not one that refuses a write.
func (s *countingStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down && s.pingDown {
		return errors.New("connection refused")
	}
	return nil
}

func (s *countingStore) setUnreachable(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down, s.pingDown = down, down
}

func (s *countingStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *countingStore) counts() (applied, refused map[int64]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	applied, refused = map[int64]int{}, map[int64]int{}
	for k, v := range s.applied {
		applied[k] = v
	}
	for k, v := range s.refused {
		refused[k] = v
	}
	return applied, refused
}

// startNATS runs Debian's nats-server with JetStream on a free loopback
// port, its store in the test's directory, and stops it by its PID.
func startNATS(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server is not on PATH (Debian's package nats-server): the JetStream queue is not tested")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the server we started, by its PID
		_ = cmd.Wait()
		t.Logf("nats-server (pid %d) stopped", pid)
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(url)
		if err == nil {
			js, _ := jetstream.New(nc)
			_, err = js.AccountInfo(context.Background())
			nc.Close()
			if err == nil {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server on %s did not come up: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// makeStream creates the stream and its durable consumer as the local
// control plane does.
func makeStream(t *testing.T, url, name string) jetstream.Stream {
	return makeStreamDelivering(t, url, name, 0)
}

// makeStreamDelivering is makeStream with the consumer's MaxDeliver
// (0: unlimited).
func makeStreamDelivering(t *testing.T, url, name string, maxDeliver int) jetstream.Stream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{Durable: contract.QueueConsumer, AckPolicy: jetstream.AckExplicitPolicy, MaxDeliver: max(maxDeliver, -1)}); err != nil {
		t.Fatal(err)
	}
	return stream
}

// Writes queued while the database is down are all applied once it is
// back, none twice: a duplicate publish of a seq is dropped by the
// stream's duplicate window, a write the database refused is delivered
// again after its Nak, and every write is acknowledged only after it
// committed.
func TestNATSQueueDrainsWritesExactlyOnce(t *testing.T) {
	url := startNATS(t)
	const name = "bulwark-dev-shop-writes"
	stream := makeStream(t, url, name)
	queue, err := openNATS(url, name, "shop test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = queue.Close() })
	queue.retry = 200 * time.Millisecond
	store := newCountingStore()
	store.setDown(true)
	h := NewHandler(Config{Region: "east", Instance: "i-1", Queue: queue}, store)

	const n = 30
	for seq := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, fmt.Sprintf("/writes?seq=%d", seq), nil))
		if rec.Code != http.StatusAccepted || rec.Header().Get(contract.QueuedHeader) != "true" {
			t.Fatalf("write %d while the database is down = %d %q, want 202 queued", seq, rec.Code, rec.Body.String())
		}
	}
	// a client retrying seq 7: queued again, kept once
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/writes?seq=7", nil))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("seq 7 again = %d", rec.Code)
	}
	ctx := context.Background()
	if info, err := stream.Info(ctx); err != nil || info.State.Msgs != n {
		t.Fatalf("stream holds %v messages (%v), want %d (the duplicate dropped)", info.State.Msgs, err, n)
	}

	drainCtx, stop := context.WithCancel(ctx)
	drained := make(chan error, 1)
	go func() { drained <- h.Drain(drainCtx) }()
	// the consumer tries, the database refuses, the writes are Nak'd and
	// come back
	waitFor(t, 10*time.Second, "a write refused twice (delivered again after its Nak)", func() bool {
		_, refused := store.counts()
		for _, c := range refused {
			if c >= 2 {
				return true
			}
		}
		return false
	})
	if applied, _ := store.counts(); len(applied) != 0 {
		t.Fatalf("applied %v while the database was down", applied)
	}
	store.setDown(false)
	waitFor(t, 15*time.Second, "every queued write applied", func() bool {
		applied, _ := store.counts()
		return len(applied) == n
	})
	waitFor(t, 5*time.Second, "the stream empty (every write acknowledged)", func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.State.Msgs == 0
	})
	time.Sleep(500 * time.Millisecond) // room for a wrong redelivery
	applied, _ := store.counts()
	for seq := range int64(n) {
		if applied[seq] != 1 {
			t.Errorf("seq %d applied %d times, want once", seq, applied[seq])
		}
	}
	stop()
	select {
	case err := <-drained:
		if err != nil {
			t.Errorf("Drain: %v", err)
		}
	case <-time.After(drainWait + 3*time.Second):
		t.Error("Drain did not stop with its context")
	}
	if got := metric(t, h, `shop_queued_writes_total{event="queued"}`); got != strconv.Itoa(n+1) {
		t.Errorf("queued = %q, want %d", got, n+1)
	}
}

// A database down for longer than max_receives tries spends none of
// them: the consumer receives nothing while the database does not answer,
// so every write queued meanwhile is written once it is back, none given
// up after its last delivery (a drill found 4 of 832 left in the stream
// when the consumer received and refused them every retry).
func TestNATSQueueOutageSpendsNoDeliveries(t *testing.T) {
	url := startNATS(t)
	const name = "bulwark-dev-shop-writes"
	stream := makeStreamDelivering(t, url, name, 2)
	queue, err := openNATS(url, name, "shop test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = queue.Close() })
	queue.retry = 100 * time.Millisecond
	store := newCountingStore()
	store.setUnreachable(true)
	h := NewHandler(Config{Region: "east", Instance: "i-1", Queue: queue}, store)
	const n = 10
	for seq := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, fmt.Sprintf("/writes?seq=%d", seq), nil))
		if rec.Code != http.StatusAccepted {
			t.Fatalf("write %d while the database is down = %d", seq, rec.Code)
		}
	}
	_, before := store.counts() // each write's one try, by the handler
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	drained := make(chan error, 1)
	go func() { drained <- h.Drain(ctx) }()
	time.Sleep(10 * queue.retry) // five times the deliveries the consumer allows
	if _, refused := store.counts(); !maps.Equal(refused, before) {
		t.Fatalf("writes tried by the consumer while the database did not answer: %v, the handler's own %v", refused, before)
	}
	store.setUnreachable(false)
	waitFor(t, 15*time.Second, "every queued write applied", func() bool {
		applied, _ := store.counts()
		return len(applied) == n
	})
	waitFor(t, 5*time.Second, "the stream empty", func() bool {
		info, err := stream.Info(context.Background())
		return err == nil && info.State.Msgs == 0
	})
	stop()
	<-drained
}

// Without the broker a write the database refuses is 503.
func TestNATSQueueDownIs503(t *testing.T) {
	url := startNATS(t)
	queue, err := openNATS(url, "no-such-stream", "shop test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = queue.Close() })
	store := newCountingStore()
	store.setDown(true)
	h := NewHandler(Config{Queue: queue}, store)
	if code, body := call(t, h, "POST", "/writes?seq=1"); code != http.StatusServiceUnavailable {
		t.Errorf("database down and no stream = %d %v, want 503", code, body)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
