package drill

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// A probe stopped while a write is in flight does not record that write as
// a failure: the service did not fail, the probe stopped.
func TestProbeStopRecordsNoSpuriousFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.RawQuery, "seq=3") {
			<-slow // the third write hangs until the probe is stopped
		}
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"region":"east"}`))
	})}
	go srv.Serve(l)
	defer srv.Close()
	defer close(slow)
	port := l.Addr().(*net.TCPAddr).Port
	// no DNS server: the probe is given its address list directly
	p := &Probe{Name: "127.0.0.1", Port: port, Interval: 20 * time.Millisecond, TTL: time.Hour, Timeout: 5 * time.Second, DNSServer: "127.0.0.1:1", Clients: 1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx, 1) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.Attempts()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the third write is in flight
	cancel()
	<-done
	for _, a := range p.Attempts() {
		if !a.OK {
			t.Errorf("spurious failure recorded: %+v", a)
		}
	}
	if n := len(p.Attempts()); n != 2 {
		t.Errorf("attempts = %d, want the 2 that completed", n)
	}
}

// A probe's clients each write, and no two writes share a number.
func TestProbeClientsWriteDistinctNumbers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"region":"east"}`))
	})}
	go srv.Serve(l)
	defer srv.Close()
	port := l.Addr().(*net.TCPAddr).Port
	lookup := func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
	p := &Probe{Name: "shop.test", Lookup: lookup, Port: port, Interval: 10 * time.Millisecond, TTL: 40 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx, 100) }()
	seen := map[int]int{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < DefaultClients && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		clear(seen)
		for _, a := range p.Attempts() {
			seen[a.Client]++
		}
	}
	cancel()
	<-done
	if len(seen) != DefaultClients {
		t.Fatalf("clients that wrote: %v, want %d of them", seen, DefaultClients)
	}
	seqs := map[int64]bool{}
	for _, a := range p.Attempts() {
		if seqs[a.Seq] {
			t.Errorf("write %d sent twice", a.Seq)
		}
		if a.Seq < 100 {
			t.Errorf("write %d numbered before the first, 100", a.Seq)
		}
		seqs[a.Seq] = true
	}
}

// The DNS watch reports when the answer first changed after it started,
// and nothing when it never did.
func TestWatchDNS(t *testing.T) {
	// changing answers moves 150ms after the watch starts; the case builds
	// it when it starts, so the cases' order cannot spend the 150ms.
	changing := func() func(context.Context, string) ([]string, error) {
		changeAt := time.Now().Add(150 * time.Millisecond)
		return func(context.Context, string) ([]string, error) {
			if time.Now().After(changeAt) {
				return []string{"127.0.2.1"}, nil
			}
			return []string{"127.0.2.1", "127.0.1.1"}, nil // an order the watch must not take for a change
		}
	}
	steady := func() func(context.Context, string) ([]string, error) {
		return func(context.Context, string) ([]string, error) { return []string{"127.0.1.1"}, nil }
	}
	for _, c := range []struct {
		name    string
		lookup  func() func(context.Context, string) ([]string, error)
		changed bool
	}{{"steady", steady, false}, {"changes", changing, true}} {
		d := &run{probe: &Probe{Name: "www.shop.test", Lookup: c.lookup(), Interval: 10 * time.Millisecond}, pc: probeClockOf(clock.OrReal(nil))}
		ctx, cancel := context.WithCancel(context.Background())
		moved := d.watchDNS(ctx)
		time.Sleep(400 * time.Millisecond)
		cancel()
		m, changed := moved()
		if changed != c.changed || (changed && (m < 150*time.Millisecond || m > 400*time.Millisecond)) {
			t.Errorf("%s: moved %s, changed %v; want changed %v, after 150ms", c.name, m, changed, c.changed)
		}
	}
}
