package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
)

// Probe is a client of the service: it resolves the service's name through
// the environment's DNS server, keeps the answer for the record's TTL, and
// sends a numbered write every Interval to the answered addresses in turn.
type Probe struct {
	DNSServer string // host:port
	Name      string // the service's DNS name
	Port      int
	Interval  time.Duration
	TTL       time.Duration
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

// resolver asks the environment's DNS server, as the service's clients do.
func (p *Probe) resolver() *net.Resolver { return localcloud.Resolver(p.DNSServer) }

// Run probes until ctx ends, numbering writes from first.
func (p *Probe) Run(ctx context.Context, first int64) {
	timeout := max(p.Timeout, p.Interval, 200*time.Millisecond)
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resolver := p.resolver()
	var addrs []string
	var resolved time.Time
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	for seq, turn := first, 0; ; seq, turn = seq+1, turn+1 {
		start := time.Now()
		a := Attempt{At: start, Seq: seq}
		if addrs == nil || time.Since(resolved) >= p.TTL {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			got, err := resolver.LookupHost(rctx, p.Name)
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
	url := fmt.Sprintf("http://%s/writes?seq=%d", net.JoinHostPort(addr, strconv.Itoa(p.Port)), seq)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
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
	resolver := p.resolver()
	addrs, err := resolver.LookupHost(ctx, p.Name)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p.Name, err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var lastErr error
	for _, addr := range addrs {
		var out []int64
		ok := true
		for from := first; from <= last; from += 100000 {
			to := min(from+99999, last)
			url := fmt.Sprintf("http://%s/writes?from=%d&to=%d", net.JoinHostPort(addr, strconv.Itoa(p.Port)), from, to)
			resp, err := client.Get(url)
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
