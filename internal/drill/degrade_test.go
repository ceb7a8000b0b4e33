package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The probe reads each kind of answer as the degradation drills count
// it: served whole, served degraded (and why), or failed; a write
// answered 202 is acknowledged and queued.
func TestProbeClassifiesAnswers(t *testing.T) {
	answer := func(status int, headers ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(headers); i += 2 {
				w.Header().Set(headers[i], headers[i+1])
			}
			w.WriteHeader(status)
			fmt.Fprint(w, `{"region":"east","error":"the reason"}`)
		}
	}
	page, write := PageAsk("/"), WriteAsk()
	cached := Ask{Method: http.MethodGet, Path: "/catalog"}
	for _, c := range []struct {
		name     string
		ask      Ask
		handler  http.HandlerFunc
		ok       bool
		degraded string
		queued   bool
		err      string
	}{
		{"a write written", write, answer(http.StatusCreated), true, "", false, ""},
		{"a write queued", write, answer(http.StatusAccepted, "X-Bulwark-Queued", "true"), true, "queued", true, ""},
		{"a write refused", write, answer(http.StatusServiceUnavailable), false, "", false, "503 Service Unavailable: the reason"},
		{"a write answered 200 is not a write acknowledged", write, answer(http.StatusOK), false, "", false, "200 OK: the reason"},
		{"a whole page", page, answer(http.StatusOK), true, "", false, ""},
		{"a page without its reviews", page, answer(http.StatusOK, "X-Bulwark-Degraded", "reviews"), true, "without reviews", false, ""},
		{"a page whose hard dependency failed", page, answer(http.StatusServiceUnavailable), false, "", false, "503 Service Unavailable: the reason"},
		{"a page not found", page, answer(http.StatusNotFound), false, "", false, "404 Not Found: the reason"},
		{"a cache hit", cached, answer(http.StatusOK, "X-Cache-Status", "HIT"), true, "", false, ""},
		{"a cache miss", cached, answer(http.StatusOK, "X-Cache-Status", "MISS"), true, "", false, ""},
		{"a stale cache answer", cached, answer(http.StatusOK, "X-Cache-Status", "STALE"), true, "cache STALE", false, ""},
		{"a cache answer while it refreshes", cached, answer(http.StatusOK, "X-Cache-Status", "UPDATING"), true, "cache UPDATING", false, ""},
		{"a cache with no origin and nothing kept", cached, answer(http.StatusBadGateway, "X-Cache-Status", "MISS"), false, "", false, "502 Bad Gateway: the reason"},
	} {
		srv := httptest.NewServer(c.handler)
		addr := strings.TrimPrefix(srv.URL, "http://")
		p := &Probe{Name: "www.shop.test", Timeout: time.Second}
		got := p.send(context.Background(), p.client(time.Second), c.ask, addr, true, 7)
		srv.Close()
		if got.ok != c.ok || got.degraded != c.degraded || got.queued != c.queued || got.err != c.err {
			t.Errorf("%s: ok %v, degraded %q, queued %v, error %q; want %v, %q, %v, %q", c.name, got.ok, got.degraded, got.queued, got.err, c.ok, c.degraded, c.queued, c.err)
		}
	}

	// nothing listens: failed
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	p := &Probe{Name: "www.shop.test"}
	if got := p.send(context.Background(), p.client(time.Second), page, closed, true, 1); got.ok || !strings.Contains(got.err, "refused") {
		t.Errorf("connection refused: %+v", got)
	}
	// an answer slower than the probe's timeout: failed
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	if got := p.send(context.Background(), p.client(100*time.Millisecond), page, strings.TrimPrefix(slow.URL, "http://"), true, 1); got.ok || got.err == "" {
		t.Errorf("timeout: %+v", got)
	}
}

// A probe with two asks splits its clients between them: reads are
// recorded with what they asked, writes without (their own records as
// before).
func TestProbeAsksEach(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.Header().Set("X-Bulwark-Degraded", "reviews")
	}))
	defer srv.Close()
	port, _ := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	lookup := func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
	p := &Probe{Name: "www.shop.test", Lookup: lookup, Port: port, Interval: 10 * time.Millisecond, Asks: []Ask{PageAsk("/"), WriteAsk()}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	p.Run(ctx, 1)
	clients := map[int]string{}
	for _, a := range p.Attempts() {
		if want := map[bool]string{true: "GET /", false: ""}[a.Client%2 == 0]; a.Ask != want {
			t.Fatalf("client %d asked %q, want %q", a.Client, a.Ask, want)
		}
		if (a.Ask != "") != (a.Degraded == "without reviews") || !a.OK {
			t.Fatalf("attempt %+v", a)
		}
		clients[a.Client] = a.Ask
	}
	if len(clients) != 2*DefaultClients {
		t.Errorf("clients %v, want %d", clients, 2*DefaultClients)
	}
}

// Nearest rank: the p-th percentile of n sorted values is the ⌈p/100 × n⌉-th.
func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	ten := []time.Duration{9, 1, 8, 2, 7, 3, 6, 4, 5, 10}
	for _, c := range []struct {
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{hundred, 99, 99 * time.Millisecond}, // ⌈99⌉ = 99th
		{hundred, 50, 50 * time.Millisecond},
		{ten, 99, 10}, // ⌈9.9⌉ = 10th
		{ten, 50, 5},  // ⌈5⌉ = 5th
		{[]time.Duration{42}, 99, 42},
		{nil, 99, 0},
	} {
		if got := Percentile(c.ds, c.p); got != c.want {
			t.Errorf("p%g of %d values = %s, want %s", c.p, len(c.ds), got, c.want)
		}
	}
}

// attemptsOf builds attempts 100 ms apart from t0: w whole, d degraded,
// f failed, q queued write; each with the latency given in ms.
func attemptsOf(t0 time.Time, ask string, kinds string, latencies ...int) []Attempt {
	var out []Attempt
	for i, k := range kinds {
		a := Attempt{At: t0.Add(time.Duration(i) * 100 * time.Millisecond), Seq: int64(i), Ask: ask, OK: k != 'f', Latency: time.Duration(latencies[i]) * time.Millisecond}
		switch k {
		case 'd':
			a.Degraded = "without reviews"
		case 'q':
			a.Degraded, a.Queued = "queued", true
		}
		out = append(out, a)
	}
	return out
}

// Phases by a request's start; counts, shares and nearest-rank
// percentiles worked out by hand.
func TestMeasurePhases(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// 10 attempts 100 ms apart: 0-2 baseline, 3-7 disrupted (injected at
	// 300 ms, restored at 800 ms), 8-9 after
	att := attemptsOf(t0, "GET /", "wwwddfdwww", 5, 7, 6, 640, 650, 300, 660, 12, 8, 9)
	got := MeasurePhases(att, t0.Add(300*time.Millisecond), t0.Add(800*time.Millisecond))
	want := []RequestFigures{{Request: "GET /", Phases: []PhaseFigures{
		// latencies 5, 7, 6: p50 the 2nd (6), p99 the 3rd (7)
		{Phase: PhaseBaseline, Requests: 3, Whole: 3, WholeShare: 1, P50Ms: 6, P99Ms: 7},
		// d d f d w: 640 650 300 660 12 → sorted 12 300 640 650 660: p50 the 3rd, p99 the 5th
		{Phase: PhaseDisrupted, Requests: 5, Whole: 1, Degraded: 3, Failed: 1, WholeShare: 0.2, DegradedShare: 0.6, FailedShare: 0.2, P50Ms: 640, P99Ms: 660},
		{Phase: PhaseAfter, Requests: 2, Whole: 2, WholeShare: 1, P50Ms: 8, P99Ms: 9},
	}}}
	if !slices.EqualFunc(got, want, func(a, b RequestFigures) bool { return a.Request == b.Request && slices.Equal(a.Phases, b.Phases) }) {
		t.Errorf("phases\n got %+v\nwant %+v", got, want)
	}
}

// What became of the writes: acknowledged 201 and 202, the read-back's
// duplicates are writes applied twice, reads are not writes.
func TestMeasureQueue(t *testing.T) {
	t0 := time.Now()
	att := attemptsOf(t0, "", "wqqfqw", 1, 1, 1, 1, 1, 1) // seqs 0..5, seq 3 failed
	att = append(att, Attempt{At: t0, Seq: 9, Ask: "GET /", OK: true})
	q := MeasureQueue(att, []int64{0, 1, 1, 2, 5, 3}) // 4 absent, 1 twice, 3 (failed) present anyway
	if q.Acknowledged != 5 || q.Queued != 3 || q.Present != 4 || !slices.Equal(q.Lost, []int64{4}) || !slices.Equal(q.AppliedTwice, []int64{1}) {
		t.Errorf("queue figures %+v", q)
	}
	if d := MeasureDataLoss(att, []int64{0, 1, 2, 5}); d.Acknowledged != 5 || !slices.Equal(d.Lost, []int64{4}) {
		t.Errorf("data loss counts a read, or misses a queued write: %+v", d)
	}
}

// degradeReport is a report of a degradation with the phases given.
func degradeReport(name ScenarioName, fault Fault, asks []string, reqs ...RequestFigures) (*Report, Options) {
	r := &Report{Scenario: string(name), Degradation: &DegradeReport{Fault: fault, Asks: asks, Requests: reqs, WholeAgain: true}}
	return r, Options{Scenario: fakeDegrader{name: name}, Deadline: time.Minute}
}

func phases(req string, baseP99 float64, disrupted PhaseFigures) RequestFigures {
	disrupted.Phase = PhaseDisrupted
	return RequestFigures{Request: req, Phases: []PhaseFigures{{Phase: PhaseBaseline, Requests: 40, Whole: 40, WholeShare: 1, P99Ms: baseP99}, disrupted}}
}

func checkNamed(cs []Check, name string) (Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// The rules, with numbers worked out by hand.
func TestDegradeChecks(t *testing.T) {
	reviews := Fault{Dependency: "reviews", Regions: []string{"east"}, Budget: 650 * time.Millisecond} // 2 × 300 ms + 50 ms
	for _, c := range []struct {
		name  string
		r     func() (*Report, Options)
		check string
		pass  bool
		msg   string
	}{
		{"a soft dependency lost: 30 degraded, none failed", func() (*Report, Options) {
			return degradeReport(DependencyLoss, reviews, []string{"GET /"}, phases("GET /", 9, PhaseFigures{Requests: 100, Whole: 70, Degraded: 30, WholeShare: 0.7, DegradedShare: 0.3, P50Ms: 4, P99Ms: 651}))
		}, "no-request-failed", true, "GET / during the disruption: 100 requests, 70 whole (70.0%), 30 degraded (30.0%), 0 failed (0%); p50 4ms, p99 651ms"},
		{"a soft dependency lost: one 503", func() (*Report, Options) {
			return degradeReport(DependencyLoss, reviews, []string{"GET /"}, phases("GET /", 9, PhaseFigures{Requests: 100, Whole: 70, Degraded: 29, Failed: 1}))
		}, "no-request-failed", false, ""},
		{"no request during the disruption proves nothing", func() (*Report, Options) {
			return degradeReport(DependencyLoss, reviews, []string{"GET /"}, phases("GET /", 9, PhaseFigures{}))
		}, "no-request-failed", false, ""},
		// latency: bound 650 + 65 + 12 = 727 ms
		{"latency: p99 727ms at the bound", func() (*Report, Options) {
			return degradeReport(Latency, reviews, []string{"GET /"}, phases("GET /", 12, PhaseFigures{Requests: 80, Whole: 20, Degraded: 60, P99Ms: 727}))
		}, "p99-within-budget", true, "GET / p99 during the disruption 727ms, within reviews's budget 650ms + a tenth + the baseline p99 12ms = 727ms"},
		{"latency: p99 728ms over it", func() (*Report, Options) {
			return degradeReport(Latency, reviews, []string{"GET /"}, phases("GET /", 12, PhaseFigures{Requests: 80, Whole: 20, Degraded: 60, P99Ms: 728}))
		}, "p99-within-budget", false, ""},
		{"origin-loss: every cached request served stale", func() (*Report, Options) {
			return degradeReport(OriginLoss, Fault{Regions: []string{"east", "west"}}, []string{"GET /catalog"}, phases("GET /catalog", 3, PhaseFigures{Requests: 50, Degraded: 50, DegradedShare: 1}))
		}, "no-cached-request-failed", true, "GET /catalog during the disruption: 50 requests, 0 whole (0%), 50 degraded (100.0%), 0 failed (0%)"},
		{"origin-loss: a miss the cache could not serve", func() (*Report, Options) {
			return degradeReport(OriginLoss, Fault{Regions: []string{"east", "west"}}, []string{"GET /catalog"}, phases("GET /catalog", 3, PhaseFigures{Requests: 50, Degraded: 49, Failed: 1}))
		}, "no-cached-request-failed", false, ""},
	} {
		r, o := c.r()
		got, ok := checkNamed(degradeChecks(r, o), c.check)
		if !ok || got.Passed != c.pass || !strings.Contains(got.Message, c.msg) {
			t.Errorf("%s: %s %+v (found %v), want passed %v with %q", c.name, c.check, got, ok, c.pass, c.msg)
		}
		if w, _ := checkNamed(degradeChecks(r, o), "whole-again"); !w.Passed {
			t.Errorf("%s: whole-again %+v", c.name, w)
		}
	}

	// the database, writes queued: judged on the writes
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db := Fault{Dependency: DatabaseDependency, Regions: []string{"east", "west"}}
	for _, c := range []struct {
		name                    string
		kinds                   string
		queue                   QueueFigures
		failed, lost, twiceFail bool
	}{
		{"every write acknowledged and present", "wwqqqqww", QueueFigures{Acknowledged: 8, Queued: 4, Present: 8, Drained: true}, false, false, false},
		{"a write refused during the disruption", "wwqfqqww", QueueFigures{Acknowledged: 7, Queued: 3, Present: 7, Drained: true}, true, false, false},
		{"a queued write lost, another applied twice", "wwqqqqww", QueueFigures{Acknowledged: 8, Queued: 4, Present: 7, Lost: []int64{3}, AppliedTwice: []int64{4}}, false, true, true},
	} {
		att := attemptsOf(t0, "", c.kinds, 1, 1, 1, 1, 1, 1, 1, 1)
		r, o := degradeReport(DependencyLoss, db, []string{"GET /", "POST /writes"},
			phases("POST /writes", 5, PhaseFigures{Requests: 4, Whole: 0, Degraded: 4}))
		r.Attempts, r.Injected = att, t0.Add(200*time.Millisecond)
		q := c.queue
		r.Degradation.Queue = &q
		cs := degradeChecks(r, o)
		for name, fail := range map[string]bool{"no-write-failed": c.failed, "no-write-lost": c.lost, "applied-once": c.twiceFail} {
			if got, ok := checkNamed(cs, name); !ok || got.Passed == fail {
				t.Errorf("%s: %s %+v, want passed %v", c.name, name, got, !fail)
			}
		}
		if _, ok := checkNamed(cs, "no-request-failed"); ok {
			t.Errorf("%s: the page judged too: %+v", c.name, cs)
		}
	}
}

// ResolveFault fills the defaults from the dependency's declaration and
// refuses what cannot run, saying what to change.
func TestResolveFault(t *testing.T) {
	topo := &topology.Topology{Environment: topology.Environment{Name: "dev-degrade"}}
	shop := topology.Service{Name: "shop", Regions: []string{"east", "west"}, Database: &topology.Database{},
		Cache: &topology.Cache{Paths: []string{"/catalog"}},
		Dependencies: []topology.Dependency{{On: "reviews", Need: topology.NeedSoft, Timeout: 300 * time.Millisecond, Tries: 2, Backoff: 50 * time.Millisecond},
			{On: "cards", External: true, Timeout: time.Second, Tries: 1}}}
	reviews := topology.Service{Name: "reviews", Regions: []string{"east", "west"}}
	topo.Services = []topology.Service{shop, reviews}

	f, err := ResolveFault(topo, shop, Latency, Fault{Dependency: "reviews"})
	// budget 2 × 300 + 50 = 650 ms; latency 2 × 300 = 600 ms; jitter 60 ms; ramp 4 × 650 = 2.6 s
	if err != nil || f.Budget != 650*time.Millisecond || f.Latency != 600*time.Millisecond || f.Jitter != 60*time.Millisecond ||
		f.Ramp != 2600*time.Millisecond || f.Hold != DefaultHold || !slices.Equal(f.Regions, []string{"east", "west"}) {
		t.Errorf("latency defaults: %+v %v", f, err)
	}
	f, err = ResolveFault(topo, shop, Latency, Fault{Dependency: "reviews", Regions: []string{"west"}, Latency: time.Second, Jitter: 100 * time.Millisecond, Ramp: 4 * time.Second, Hold: 3 * time.Second})
	if err != nil || f.Latency != time.Second || f.Jitter != 100*time.Millisecond || f.Ramp != 4*time.Second || f.Hold != 3*time.Second || !slices.Equal(f.Regions, []string{"west"}) || f.How != "" {
		t.Errorf("latency as given: %+v %v", f, err)
	}
	if f, err := ResolveFault(topo, shop, DependencyLoss, Fault{Dependency: "database", Regions: []string{"east"}}); err != nil || !slices.Equal(f.Regions, []string{"east", "west"}) {
		t.Errorf("the database is every region's: %+v %v", f, err)
	}
	if f, err := ResolveFault(topo, shop, OriginLoss, Fault{}); err != nil || f.Hold != DefaultHold || len(f.Regions) != 2 {
		t.Errorf("origin-loss: %+v %v", f, err)
	}
	if f, err := ResolveFault(topo, shop, ZoneLoss, Fault{}); err != nil || !f.IsZero() {
		t.Errorf("zone-loss takes no fault: %+v %v", f, err)
	}
	for _, c := range []struct {
		name string
		svc  topology.Service
		sc   ScenarioName
		f    Fault
		want string
	}{
		{"no dependency", shop, DependencyLoss, Fault{}, "dependency-loss needs --dependency: one of [reviews database]"},
		{"unknown", shop, DependencyLoss, Fault{Dependency: "payments"}, `unknown dependency "payments": environment has no service of that name`},
		{"undeclared", reviews, DependencyLoss, Fault{Dependency: "shop"}, `service reviews does not declare a dependency on shop`},
		{"external", shop, Latency, Fault{Dependency: "cards"}, "cards is an external endpoint"},
		{"no database", reviews, DependencyLoss, Fault{Dependency: "database"}, "service reviews has no database to lose"},
		{"latency of the database", shop, Latency, Fault{Dependency: "database"}, "the database has none"},
		{"no cache", reviews, OriginLoss, Fault{}, "service reviews has no cache block"},
		{"origin-loss of a dependency", shop, OriginLoss, Fault{Dependency: "reviews"}, "--dependency is for dependency-loss and latency"},
		{"latency flags elsewhere", shop, DependencyLoss, Fault{Dependency: "reviews", Latency: time.Second}, "--latency, --jitter and --ramp are for the latency scenario"},
		{"jitter over latency", shop, Latency, Fault{Dependency: "reviews", Latency: time.Second, Jitter: 2 * time.Second}, "--jitter (2s) must not exceed --latency (1s)"},
		{"negative hold", shop, OriginLoss, Fault{Hold: -time.Second}, "must not be negative"},
		{"a region the service is not in", shop, OriginLoss, Fault{Regions: []string{"north"}}, `service shop does not run in region "north"`},
		{"a fault for a failover", shop, RegionLoss, Fault{Dependency: "reviews"}, "are for [dependency-loss latency origin-loss], not region-loss"},
	} {
		_, err := ResolveFault(topo, c.svc, c.sc, c.f)
		if !errors.Is(err, ErrBadFault) || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// A ramp reaches its latency in half-second steps, at most 10; no ramp is
// one step at once.
func TestRampSteps(t *testing.T) {
	got := RampSteps(Fault{Latency: time.Second, Jitter: 100 * time.Millisecond, Ramp: 2 * time.Second})
	want := []RampStep{{0, 250 * time.Millisecond, 25 * time.Millisecond}, {500 * time.Millisecond, 500 * time.Millisecond, 50 * time.Millisecond},
		{time.Second, 750 * time.Millisecond, 75 * time.Millisecond}, {1500 * time.Millisecond, time.Second, 100 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Errorf("2s ramp: %v", got)
	}
	if got := RampSteps(Fault{Latency: time.Second}); !slices.Equal(got, []RampStep{{0, time.Second, 0}}) {
		t.Errorf("no ramp: %v", got)
	}
	if got := RampSteps(Fault{Latency: time.Second, Ramp: time.Minute}); len(got) != 10 || got[9].Latency != time.Second {
		t.Errorf("a minute's ramp: %v", got)
	}
}

// fakeDegrader flips a fake service into its degraded answers: pages
// without reviews, writes queued (202) until the restore drains them.
type fakeDegrader struct {
	name  ScenarioName
	svc   *fakeService
	fault Fault
	asks  []Ask
}

func (f fakeDegrader) Name() ScenarioName              { return f.name }
func (f fakeDegrader) Disruption() topology.Disruption { return DisruptionDependency }
func (f fakeDegrader) Degradation() Degradation        { return Degradation{Fault: f.fault, Asks: f.asks} }
func (f fakeDegrader) Inject(context.Context) (string, error) {
	f.svc.degraded.Store(true)
	return "cut", nil
}
func (f fakeDegrader) Recover(context.Context) (string, error) { return "nothing", nil }
func (f fakeDegrader) Restore(context.Context) (string, error) {
	f.svc.degraded.Store(false)
	f.svc.drain()
	return "healed", nil
}
func (f fakeDegrader) Drain(context.Context) (map[string]QueueLeft, error) {
	return map[string]QueueLeft{"east": {Delivered: 3, Acked: 3}}, nil
}

type fakeService struct {
	degraded atomic.Bool
	mu       sync.Mutex
	written  []int64
	queued   []int64
}

func (s *fakeService) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written, s.queued = append(s.written, s.queued...), nil
}

func (s *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost:
		seq, _ := strconv.ParseInt(r.URL.Query().Get("seq"), 10, 64)
		if s.degraded.Load() {
			s.queued = append(s.queued, seq)
			w.Header().Set("X-Bulwark-Queued", "true")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		s.written = append(s.written, seq)
		w.WriteHeader(http.StatusCreated)
	case r.URL.Path == "/writes":
		json.NewEncoder(w).Encode(map[string][]int64{"seqs": s.written})
	default:
		if s.degraded.Load() {
			w.Header().Set("X-Bulwark-Degraded", "reviews")
		}
		fmt.Fprint(w, `{"region":"east"}`)
	}
}

// A degradation drill, end to end against a fake service: the page is
// served degraded and the writes queued while the failure is held, the
// queue drains at the restore, every write is there afterwards; the
// report says so phase by phase, and passes.
func TestRunDegradation(t *testing.T) {
	svc := &fakeService{}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	port, _ := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	topo := &topology.Topology{Environment: topology.Environment{Name: "dev-degrade"}}
	shop := topology.Service{Name: "shop", Port: port, Regions: []string{"east"}, DNS: topology.DNS{Zone: "degrade.test", Name: "www"},
		SLO: &topology.SLO{Availability: 0.999, Window: 30 * 24 * time.Hour}}
	sc := fakeDegrader{name: DependencyLoss, svc: svc, fault: Fault{Dependency: DatabaseDependency, Regions: []string{"east"}, Hold: 400 * time.Millisecond},
		asks: []Ask{PageAsk("/"), WriteAsk()}}
	r, err := Run(context.Background(), Options{Topology: topo, Service: shop, Region: "east", Scenario: sc,
		Lookup:   func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil },
		Interval: 20 * time.Millisecond, Baseline: 300 * time.Millisecond, Steady: 300 * time.Millisecond, Deadline: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed() {
		t.Fatalf("checks %+v\nsteps %+v", r.Checks, r.Steps)
	}
	var steps []string
	for _, s := range r.Steps {
		steps = append(steps, s.Name)
	}
	if want := []string{"preflight", "inject", "hold", "restore", "observe", "drain", "verify"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	dr := r.Degradation
	page, writes := dr.request("GET /"), dr.request("POST /writes")
	if p := page.Phase(PhaseDisrupted); p.Degraded == 0 || p.Failed != 0 {
		t.Errorf("page while disrupted: %+v", p)
	}
	// a request in flight at the injection may see it: one per client at most
	if p := page.Phase(PhaseBaseline); p.Requests == 0 || p.Failed != 0 || p.Degraded > DefaultClients {
		t.Errorf("page at the baseline: %+v", p)
	}
	if p := writes.Phase(PhaseAfter); p.Requests == 0 || p.Whole != p.Requests {
		t.Errorf("writes after: %+v", p)
	}
	// every 202 was a queued write, whichever phase it fell in (one sent
	// just before the restore may be answered just after it)
	queued202 := 0
	for _, ph := range []string{PhaseBaseline, PhaseDisrupted, PhaseAfter} {
		queued202 += writes.Phase(ph).Degraded
	}
	q := dr.Queue
	if q == nil || q.Queued == 0 || q.Queued != queued202 || q.Present != q.Acknowledged || len(q.Lost) != 0 || !q.Drained {
		t.Errorf("queue %+v", q)
	}
	if dr.DisruptionBudget == nil || dr.DisruptionBudget.Spent != 0 || r.Region != "east" {
		t.Errorf("budget %+v, region %q", dr.DisruptionBudget, r.Region)
	}
}

// The report of a degradation: the JSON holds the figures, Markdown and
// the timeline show them; nothing of it shows in a failover's report.
func TestDegradationReport(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	att := attemptsOf(t0, "GET /", "wwddfw", 5, 6, 650, 651, 2000, 7)
	r := &Report{Environment: "dev-degrade", Service: "shop", Scenario: "dependency-loss", Region: "east,west", Started: t0, Finished: t0.Add(time.Second),
		Injected: t0.Add(200 * time.Millisecond), Attempts: att,
		Degradation: &DegradeReport{Fault: Fault{Dependency: "reviews", Regions: []string{"east", "west"}, Hold: 10 * time.Second},
			What: "shop's link to reviews cut in east, west for 10s", Asks: []string{"GET /"}, Restored: t0.Add(500 * time.Millisecond), WholeAgain: true,
			Requests: MeasurePhases(att, t0.Add(200*time.Millisecond), t0.Add(500*time.Millisecond)),
			Queue:    &QueueFigures{Acknowledged: 8, Queued: 4, Present: 8, Lost: []int64{}, AppliedTwice: []int64{}, Drained: true, DrainSeconds: 1.5, Left: map[string]QueueLeft{"east": {Delivered: 4, Acked: 4}}}}}
	r.Checks = []Check{{Name: "no-request-failed", Passed: false, Message: "1 failed"}}
	var doc struct {
		Degradation struct {
			Requests []struct {
				Request string `json:"request"`
				Phases  []struct {
					Phase                             string
					Requests, Whole, Degraded, Failed int
					DegradedShare                     float64 `json:"degraded_share"`
					P99                               float64 `json:"p99_ms"`
				} `json:"phases"`
			} `json:"requests"`
			Queue struct {
				Acknowledged int     `json:"acknowledged"`
				Lost         []int64 `json:"lost"`
				AppliedTwice []int64 `json:"applied_twice"`
			} `json:"queue"`
		} `json:"degradation"`
		Attempts []map[string]any `json:"attempts"`
	}
	if err := json.Unmarshal(mustJSON(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	ph := doc.Degradation.Requests[0].Phases
	// disrupted: attempts 2-4 (d d f), restored at 500 ms: latencies 650 651 2000, p99 the 3rd
	if len(ph) != 3 || ph[1].Phase != "disrupted" || ph[1].Requests != 3 || ph[1].Degraded != 2 || ph[1].Failed != 1 || ph[1].DegradedShare != 2.0/3 || ph[1].P99 != 2000 ||
		doc.Degradation.Queue.Acknowledged != 8 || doc.Degradation.Queue.Lost == nil || doc.Degradation.Queue.AppliedTwice == nil {
		t.Errorf("json: %+v", doc.Degradation)
	}
	if doc.Attempts[2]["degraded"] != "without reviews" || doc.Attempts[2]["ask"] != "GET /" {
		t.Errorf("an attempt: %v", doc.Attempts[2])
	}
	md := r.Markdown()
	for _, want := range []string{
		"## Degradation\n\nshop's link to reviews cut in east, west for 10s.",
		"| request | phase | requests | whole | degraded | failed | p50 | p99 |",
		"| GET / | baseline | 2 | 2 (100.0%) | 0 (0%) | 0 (0%) | 5ms | 6ms |",
		"| GET / | disrupted | 3 | 0 (0%) | 2 (66.7%) | 1 (33.3%) | 651ms | 2s |",
		"| GET / | after recovery | 1 | 1 (100.0%) | 0 (0%) | 0 (0%) | 7ms | 7ms |",
		"Writes: 8 acknowledged (4 queued), 8 present afterwards, 0 lost, 0 applied twice; the queues empty at most 1.5s after the restore (east 0 left, 4 delivered, 4 acknowledged).",
		"The probe made 6 requests: after the injection 1 whole, 2 degraded, 1 failed.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := r.SVG()
	for _, want := range []string{degradedColor, "restored", "GET / disrupted: 0 whole, 2 degraded, 1 failed, p99 2s", "writes: 8 acknowledged (4 queued), 0 lost, 0 applied twice"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	r.Degradation = nil
	for i := range r.Attempts {
		r.Attempts[i].Degraded, r.Attempts[i].Ask = "", ""
	}
	if md := r.Markdown(); strings.Contains(md, "Degradation") {
		t.Errorf("a report without a degradation shows one:\n%s", md)
	}
	if svg := r.SVG(); strings.Contains(svg, degradedColor) || strings.Contains(svg, "restored") {
		t.Errorf("a timeline without a degradation shows one:\n%s", svg)
	}
	if j := string(mustJSON(t, r)); strings.Contains(j, `"degradation"`) || strings.Contains(j, `"degraded"`) || strings.Contains(j, `"ask"`) {
		t.Errorf("a report without a degradation shows one:\n%s", j)
	}
}
