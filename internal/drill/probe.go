package drill

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Probe is a client of the service: it resolves the service's name through
// the environment's DNS server, keeps the answer for the record's TTL, and
// sends a numbered write every Interval to the answered addresses in turn.
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

	mu       sync.Mutex
	attempts []Attempt
}

// Attempts returns what the probe has recorded so far.
func (p *Probe) Attempts() []Attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Attempt(nil), p.attempts...)
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

// Run probes until ctx ends, numbering writes from first.
func (p *Probe) Run(ctx context.Context, first int64) {
	timeout := max(p.Timeout, p.Interval, 200*time.Millisecond)
	client := p.client(timeout)
	var addrs []string
	var resolved time.Time
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	for seq, turn := first, 0; ; seq, turn = seq+1, turn+1 {
		start := time.Now()
		a := Attempt{At: start, Seq: seq}
		if addrs == nil || time.Since(resolved) >= p.TTL {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			got, err := p.lookup(rctx, p.Name)
			cancel()
			if err == nil && len(got) > 0 {
				sort.Strings(got)
				addrs, resolved = got, time.Now()
			} else if addrs == nil {
				a.Error = fmt.Sprintf("resolve %s: %v", p.Name, err)
			}
		}
		if addrs != nil {
			a.OK, a.Region, a.Error = p.write(ctx, client, addrs[turn%len(addrs)], seq)
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
