package drill

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
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
	// Clients is how many clients the probe is (default DefaultClients
	// for each of Asks).
	Clients int
	// Asks are what the clients ask, client k Asks[k mod len(Asks)]
	// (default: the numbered write, WriteAsk).
	Asks []Ask

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
	return fmt.Sprintf("%s://%s%s", p.scheme(), net.JoinHostPort(addr, strconv.Itoa(p.Port)), pathAndQuery)
}

func (p *Probe) scheme() string {
	if p.HTTPS {
		return "https"
	}
	return "http"
}

// DefaultClients is how many clients a probe is unless told.
const DefaultClients = 4

// Run probes until ctx ends, numbering requests from first. Client k's
// requests start k/Clients of an interval after client 0's, and its first
// answer counts as k/Clients of a TTL old. With Asks, client k asks
// Asks[k mod len(Asks)].
func (p *Probe) Run(ctx context.Context, first int64) {
	clients := p.Clients
	if clients <= 0 {
		clients = DefaultClients * max(len(p.Asks), 1)
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
			ask := WriteAsk()
			if len(p.Asks) > 0 {
				ask = p.Asks[k%len(p.Asks)]
			}
			p.runClient(ctx, k, ask, p.TTL*time.Duration(k)/time.Duration(clients), seq.Add)
		}()
	}
	wg.Wait()
}

// runClient is one client: aged is how old its first answer counts as.
func (p *Probe) runClient(ctx context.Context, client int, ask Ask, aged time.Duration, next func(int64) int64) {
	timeout := p.timeout()
	httpClient := p.client(timeout)
	var addrs []string
	var resolved time.Time
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	for turn := 0; ; turn++ {
		start := time.Now()
		a := Attempt{At: start, Seq: next(1), Client: client}
		if !ask.IsWrite() {
			a.Ask = ask.String()
		}
		if len(ask.Addresses) > 0 {
			ans := p.send(ctx, httpClient, ask, ask.Addresses[turn%len(ask.Addresses)], true, a.Seq)
			a.OK, a.Region, a.Error, a.Degraded, a.Queued = ans.ok, ans.region, ans.err, ans.degraded, ans.queued
		} else {
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
				ans := p.send(ctx, httpClient, ask, addrs[turn%len(addrs)], false, a.Seq)
				a.OK, a.Region, a.Error, a.Degraded, a.Queued = ans.ok, ans.region, ans.err, ans.degraded, ans.queued
			}
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

// timeout bounds one request: Timeout, at least the interval and 200 ms.
func (p *Probe) timeout() time.Duration { return max(p.Timeout, p.Interval, 200*time.Millisecond) }

// answer is how the probe reads one answer (Classify).
type answer struct {
	ok          bool
	region, err string
	degraded    string
	queued      bool
}

// send asks one address: an address the DNS name answered, at the
// probe's port and with the name as the Host, or (fixed) one of the
// ask's own host:port addresses.
func (p *Probe) send(ctx context.Context, c *http.Client, ask Ask, addr string, fixed bool, seq int64) answer {
	path := ask.Path
	if ask.IsWrite() {
		path = fmt.Sprintf("%s?seq=%d", ask.Path, seq)
	}
	u := p.url(addr, path)
	if fixed {
		u = p.scheme() + "://" + addr + path
	}
	req, err := http.NewRequestWithContext(ctx, ask.Method, u, nil)
	if err != nil {
		return answer{err: err.Error()}
	}
	if !fixed {
		req.Host = net.JoinHostPort(p.Name, strconv.Itoa(p.Port))
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // the whole answer, as a client waits for it
	var body struct {
		Region string `json:"region"`
		Error  string `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	ans := answer{region: body.Region}
	ans.ok, ans.degraded, ans.queued = Classify(ask, resp.StatusCode, resp.Header)
	if !ans.ok {
		ans.err = fmt.Sprintf("%s: %s", resp.Status, body.Error)
	}
	return ans
}

// Classify reads an answer to an ask: served (ok) or failed, and when
// served whether degraded (why, empty when whole) and, for a write,
// queued. The rules:
//
//   - a write (POST) is served when answered 201 (written: whole) or 202
//     (queued because the database cannot take it now: acknowledged,
//     degraded "queued"); anything else failed it;
//   - a read (GET) is served by a 2xx; it is degraded when the answer
//     names the soft dependencies it was given without (X-Bulwark-Degraded,
//     "without reviews") or a cache served it stale (X-Cache-Status STALE,
//     or UPDATING: stale while it refreshes; "cache STALE"); any other
//     status failed it;
//
// and every connection error or timeout failed it (send).
func Classify(ask Ask, status int, h http.Header) (ok bool, degraded string, queued bool) {
	if ask.IsWrite() {
		switch status {
		case http.StatusCreated:
			return true, "", false
		case http.StatusAccepted:
			return true, "queued", true
		}
		return false, "", false
	}
	if status < 200 || status > 299 {
		return false, "", false
	}
	if deps := strings.TrimSpace(h.Get(contract.DegradedHeader)); deps != "" {
		return true, "without " + deps, false
	}
	switch c := strings.ToUpper(strings.TrimSpace(h.Get(CacheStatusHeader))); c {
	case "STALE", "UPDATING":
		return true, "cache " + c, false
	}
	return true, "", false
}

// CacheStatusHeader is where a cache says how it answered (nginx's
// $upstream_cache_status: HIT, MISS, EXPIRED, STALE, UPDATING, ...).
const CacheStatusHeader = "X-Cache-Status"

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

// Ask is what a probe's client asks for.
type Ask struct {
	// Method and Path: POST of a numbered write (Path?seq=N), or GET of a
	// page.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Addresses, when set, are where the client sends it, host:port each
	// in turn, instead of the addresses the service's DNS name answers at
	// the probe's port: a cache in front of the service (the local
	// target's in each region; a distribution's domain on AWS).
	Addresses []string `json:"addresses,omitempty"`
}

// WriteAsk is the numbered write every drill's probe sends: POST /writes?seq=N.
func WriteAsk() Ask { return Ask{Method: http.MethodPost, Path: "/writes"} }

// PageAsk is a GET of the service's path through its DNS name.
func PageAsk(path string) Ask { return Ask{Method: http.MethodGet, Path: path} }

// IsWrite says whether the ask is a numbered write.
func (a Ask) IsWrite() bool { return a.Method == http.MethodPost }

// String is "GET /catalog".
func (a Ask) String() string { return a.Method + " " + a.Path }
