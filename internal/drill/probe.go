package drill

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Probe is a service's clients: each resolves the service's name through
// the environment's DNS server, keeps the answer for the record's TTL, and
// sends a numbered write every Interval to the answered addresses in turn.
// A service has many clients whose answers are of every age when a region
// fails; the probe's Clients (default 4) keep answers whose ages are spread
// evenly over the TTL, so that the outage they see on average is what the
// service's clients see typically.
type Probe struct {
	DNSServer string // host:port; empty: the system's resolver
	// Lookup, when set, answers names instead of DNSServer (a fake's
	// routing in tests of the AWS target).
	Lookup func(ctx context.Context, name string) ([]string, error)
	Name   string // the service's DNS name
	Port   int
	// HTTPS speaks TLS to the name (the AWS target's HTTPS listeners).
	HTTPS    bool
	Interval time.Duration
	TTL      time.Duration
	// Timeout bounds one request; it defaults to the interval, at least 200 ms.
	Timeout time.Duration
	// Clients is how many clients the probe is (default DefaultClients).
	Clients int

	mu       sync.Mutex
	attempts []Attempt
}

// Attempts returns what the probe has recorded so far, in the order they
// started.
func (p *Probe) Attempts() []Attempt {
	p.mu.Lock()
	out := append([]Attempt(nil), p.attempts...)
	p.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Attempt) int { return a.At.Compare(b.At) })
	return out
}

// lookup asks the environment's DNS server, as the service's clients do.
func (p *Probe) lookup(ctx context.Context, name string) ([]string, error) {
	switch {
	case p.Lookup != nil:
		return p.Lookup(ctx, name)
	case p.DNSServer == "":
		return net.DefaultResolver.LookupHost(ctx, name)
	}
	return Resolver(p.DNSServer).LookupHost(ctx, name)
}

// Resolver asks the DNS server at addr (host:port, over UDP) and no other.
func Resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// client makes the probe's HTTP client: no keep-alives (each attempt
// connects afresh, as a new client would), TLS to the service's name.
func (p *Probe) client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{ServerName: p.Name}}}
}

func (p *Probe) url(addr, pathAndQuery string) string {
	scheme := "http"
	if p.HTTPS {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(addr, strconv.Itoa(p.Port)), pathAndQuery)
}

// DefaultClients is how many clients a probe is unless told.
const DefaultClients = 4

// Run probes until ctx ends, numbering writes from first. Client k's
// writes start k/Clients of an interval after client 0's, and its first
// answer counts as k/Clients of a TTL old.
func (p *Probe) Run(ctx context.Context, first int64) {
	clients := p.Clients
	if clients <= 0 {
		clients = DefaultClients
	}
	var seq atomic.Int64
	seq.Store(first - 1)
	var wg sync.WaitGroup
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			offset := p.Interval * time.Duration(k) / time.Duration(clients)
			select {
			case <-ctx.Done():
				return
			case <-time.After(offset):
			}
			p.runClient(ctx, k, p.TTL*time.Duration(k)/time.Duration(clients), seq.Add)
		}()
	}
	wg.Wait()
}

// runClient is one client: aged is how old its first answer counts as.
func (p *Probe) runClient(ctx context.Context, client int, aged time.Duration, next func(int64) int64) {
	timeout := max(p.Timeout, p.Interval, 200*time.Millisecond)
	httpClient := p.client(timeout)
	var addrs []string
	var resolved time.Time
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	for turn := 0; ; turn++ {
		start := time.Now()
		a := Attempt{At: start, Seq: next(1), Client: client}
		if addrs == nil || time.Since(resolved) >= p.TTL {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			got, err := p.lookup(rctx, p.Name)
			cancel()
			if err == nil && len(got) > 0 {
				sort.Strings(got)
				if addrs == nil {
					resolved = time.Now().Add(-aged)
				} else {
					resolved = time.Now()
				}
				addrs = got
			} else if addrs == nil {
				a.Error = fmt.Sprintf("resolve %s: %v", p.Name, err)
			}
		}
		if addrs != nil {
			a.OK, a.Region, a.Error = p.write(ctx, httpClient, addrs[turn%len(addrs)], a.Seq)
		}
		a.Latency = time.Since(start)
		if ctx.Err() != nil {
			return // cut short by the probe's own stop: not an observation of the service
		}
		p.mu.Lock()
		p.attempts = append(p.attempts, a)
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *Probe) write(ctx context.Context, c *http.Client, addr string, seq int64) (bool, string, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url(addr, fmt.Sprintf("/writes?seq=%d", seq)), nil)
	if err != nil {
		return false, "", err.Error()
	}
	req.Host = net.JoinHostPort(p.Name, strconv.Itoa(p.Port))
	resp, err := c.Do(req)
	if err != nil {
		return false, "", err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Region string `json:"region"`
		Error  string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusCreated {
		return false, body.Region, fmt.Sprintf("%s: %s", resp.Status, body.Error)
	}
	return true, body.Region, ""
}

// Present reads back which of the writes first..last the service holds,
// through the environment's DNS, trying each answered address.
func (p *Probe) Present(ctx context.Context, first, last int64) ([]int64, error) {
	addrs, err := p.lookup(ctx, p.Name)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p.Name, err)
	}
	client := p.client(5 * time.Second)
	var lastErr error
	for _, addr := range addrs {
		var out []int64
		ok := true
		for from := first; from <= last; from += 100000 {
			to := min(from+99999, last)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url(addr, fmt.Sprintf("/writes?from=%d&to=%d", from, to)), nil)
			if err != nil {
				return nil, err
			}
			req.Host = net.JoinHostPort(p.Name, strconv.Itoa(p.Port))
			resp, err := client.Do(req)
			if err != nil {
				lastErr, ok = err, false
				break
			}
			var body struct {
				Seqs []int64 `json:"seqs"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				lastErr, ok = fmt.Errorf("read back from %s: %s %v", addr, resp.Status, err), false
				break
			}
			out = append(out, body.Seqs...)
		}
		if ok {
			return out, nil
		}
	}
	return nil, fmt.Errorf("no address of %s answered the read-back: %w", p.Name, lastErr)
}
