package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// upstream is a dependency under the test's control: it answers code
// (after delay) and records when each attempt arrived.
type upstream struct {
	*httptest.Server
	code  atomic.Int32
	delay atomic.Int64 // nanoseconds
	mu    sync.Mutex
	hits  []time.Time
}

func newUpstream(t *testing.T, code int) *upstream {
	t.Helper()
	u := &upstream{}
	u.code.Store(int32(code))
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.hits = append(u.hits, time.Now())
		u.mu.Unlock()
		if d := time.Duration(u.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(int(u.code.Load()))
		_, _ = w.Write([]byte(`{"region":"west","instance":"i-9"}`))
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) attempts() []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]time.Time(nil), u.hits...)
}

func dep(name, url, need, onFailure string, timeoutMS int64, tries int, backoffMS int64) contract.Dependency {
	return contract.Dependency{Name: name, URL: url, Need: need, OnFailure: onFailure, TimeoutMS: timeoutMS, Tries: tries, BackoffMS: backoffMS}
}

// get answers GET / with its header.
func get(t *testing.T, h http.Handler, path string) (int, http.Header, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %v: %q", path, err, rec.Body.String())
	}
	return rec.Code, rec.Header(), body
}

// metric reads one line of /metrics ("" when absent).
func metric(t *testing.T, h http.Handler, series string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func entry(body map[string]any, name string) map[string]any {
	deps, _ := body["dependencies"].(map[string]any)
	e, _ := deps[name].(map[string]any)
	return e
}

func TestWholeAnswerHasNoDegradedHeader(t *testing.T) {
	up := newUpstream(t, 200)
	h := NewHandler(Config{Region: "east", Dependencies: []contract.Dependency{
		dep("pricing", up.URL, "hard", "fail", 500, 2, 10), dep("reviews", up.URL, "soft", "fail", 500, 2, 10)}}, nil)
	code, header, body := get(t, h, "/")
	if code != 200 || header.Get(contract.DegradedHeader) != "" || body["degraded"] != nil {
		t.Fatalf("whole: %d %v %v, want 200 without the degraded header", code, header, body)
	}
	if e := entry(body, "pricing"); e["status"] != "ok" || e["answer"].(map[string]any)["instance"] != "i-9" {
		t.Errorf("pricing = %v, want its answer", e)
	}
	if got := metric(t, h, `shop_dependency_calls_total{dependency="reviews",outcome="ok"}`); got != "1" {
		t.Errorf("reviews ok calls = %q, want 1", got)
	}
	if got := metric(t, h, `shop_answers_total{result="whole"}`); got != "1" {
		t.Errorf("whole answers = %q, want 1", got)
	}
}

func TestSoftDependencyFailureDegrades(t *testing.T) {
	up, down := newUpstream(t, 200), newUpstream(t, 503)
	h := NewHandler(Config{Dependencies: []contract.Dependency{
		dep("pricing", up.URL, "hard", "fail", 500, 1, 10),
		dep("reviews", down.URL, "soft", "fail", 500, 2, 10),
		dep("partner", "", "soft", "fail", 500, 3, 10), // no route on this target
	}}, nil)
	code, header, body := get(t, h, "/")
	if code != 200 || header.Get(contract.DegradedHeader) != "reviews,partner" {
		t.Fatalf("a soft dependency down: %d, %s %q; want 200 naming reviews,partner", code, contract.DegradedHeader, header.Get(contract.DegradedHeader))
	}
	if d, _ := body["degraded"].([]any); len(d) != 2 || d[0] != "reviews" || d[1] != "partner" {
		t.Errorf("body's degraded = %v", body["degraded"])
	}
	if e := entry(body, "reviews"); e["status"] != "failed" || e["outcome"] != "failed" {
		t.Errorf("reviews = %v, want failed", e)
	}
	if n := len(down.attempts()); n != 2 {
		t.Errorf("reviews was tried %d times, want its 2 tries", n)
	}
	if got := metric(t, h, `shop_dependency_attempts_total{dependency="partner"}`); got != "0" {
		t.Errorf("a dependency without a URL was attempted %s times, want 0", got)
	}
	if got := metric(t, h, `shop_answers_total{result="degraded"}`); got != "1" {
		t.Errorf("degraded answers = %q, want 1", got)
	}
}

func TestServeCachedGivesTheLastGoodAnswer(t *testing.T) {
	up := newUpstream(t, 200)
	h := NewHandler(Config{Dependencies: []contract.Dependency{dep("catalog", up.URL, "soft", "serve-cached", 500, 1, 10)}}, nil)
	if code, header, _ := get(t, h, "/"); code != 200 || header.Get(contract.DegradedHeader) != "" {
		t.Fatalf("healthy: %d %v", code, header)
	}
	up.code.Store(500)
	code, header, body := get(t, h, "/")
	e := entry(body, "catalog")
	if code != 200 || header.Get(contract.DegradedHeader) != "catalog" || e["status"] != "cached" || e["cached_at"] == nil {
		t.Fatalf("failing, serve-cached: %d %q %v; want 200, degraded, the cached answer", code, header.Get(contract.DegradedHeader), e)
	}
	if a, _ := e["answer"].(map[string]any); a["instance"] != "i-9" {
		t.Errorf("cached answer = %v, want the last good one", e["answer"])
	}
}

func TestHardDependencyFailureIs503(t *testing.T) {
	down, up := newUpstream(t, 500), newUpstream(t, 200)
	h := NewHandler(Config{Dependencies: []contract.Dependency{
		dep("payments", down.URL, "hard", "fail", 500, 1, 10), dep("reviews", up.URL, "soft", "fail", 500, 1, 10)}}, nil)
	code, header, body := get(t, h, "/")
	if code != 503 || header.Get(contract.DegradedHeader) != "" || !strings.Contains(body["error"].(string), "payments") {
		t.Fatalf("a hard dependency down: %d %v %v, want 503 naming payments", code, header, body)
	}
	if got := metric(t, h, `shop_answers_total{result="failed"}`); got != "1" {
		t.Errorf("failed answers = %q, want 1", got)
	}
}

// Tries are exactly the declared number, each with exactly its timeout,
// the backoff before the second doubling before each further one; a 4xx
// is not retried.
func TestRetriesTimeoutsAndBackoff(t *testing.T) {
	down := newUpstream(t, 502)
	h := NewHandler(Config{Dependencies: []contract.Dependency{dep("d", down.URL, "soft", "fail", 1000, 4, 40)}}, nil)
	get(t, h, "/")
	hits := down.attempts()
	if len(hits) != 4 {
		t.Fatalf("%d attempts, want the 4 tries", len(hits))
	}
	for i, want := range []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond} {
		if gap := hits[i+1].Sub(hits[i]); gap < want || gap > want+400*time.Millisecond {
			t.Errorf("gap before try %d = %s, want the backoff %s", i+2, gap, want)
		}
	}
	if got := metric(t, h, `shop_dependency_attempts_total{dependency="d"}`); got != "4" {
		t.Errorf("attempts counted %q, want 4", got)
	}

	slow := newUpstream(t, 200)
	slow.delay.Store(int64(time.Second))
	h = NewHandler(Config{Dependencies: []contract.Dependency{dep("slow", slow.URL, "soft", "fail", 100, 3, 10)}}, nil)
	began := time.Now()
	code, _, body := get(t, h, "/")
	took := time.Since(began)
	// three timeouts of 100 ms and backoffs of 10 and 20 ms (not the
	// dependency's second per attempt)
	if code != 200 || len(slow.attempts()) != 3 || took < 330*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("a slow dependency: %d, %d attempts in %s (%v); want 3 attempts of 100 ms each", code, len(slow.attempts()), took, entry(body, "slow"))
	}

	bad := newUpstream(t, 404)
	h = NewHandler(Config{Dependencies: []contract.Dependency{dep("bad", bad.URL, "soft", "fail", 500, 3, 10)}}, nil)
	if code, header, _ := get(t, h, "/"); code != 200 || header.Get(contract.DegradedHeader) != "bad" || len(bad.attempts()) != 1 {
		t.Errorf("a 404: %d %q after %d attempts, want degraded after 1 (no retry)", code, header.Get(contract.DegradedHeader), len(bad.attempts()))
	}
}

// After BreakerFailures failed calls the breaker rejects without calling;
// after BreakerOpenFor one probe goes through and, succeeding, closes it.
func TestBreakerOpensAndRecloses(t *testing.T) {
	down := newUpstream(t, 500)
	h := NewHandler(Config{Resilience: Resilience{BreakerFailures: 3, BreakerOpenFor: 300 * time.Millisecond},
		Dependencies: []contract.Dependency{dep("d", down.URL, "soft", "fail", 500, 2, 1)}}, nil)
	for range 3 {
		get(t, h, "/")
	}
	if n := len(down.attempts()); n != 6 {
		t.Fatalf("3 failing calls of 2 tries made %d attempts, want 6", n)
	}
	for range 5 {
		if code, header, body := get(t, h, "/"); code != 200 || header.Get(contract.DegradedHeader) != "d" || entry(body, "d")["outcome"] != outcomeBreaker {
			t.Fatalf("breaker open: %d %v %v", code, header, body)
		}
	}
	if n := len(down.attempts()); n != 6 {
		t.Errorf("an open breaker let %d attempts through", n-6)
	}
	if got := metric(t, h, `shop_dependency_calls_total{dependency="d",outcome="rejected-by-breaker"}`); got != "5" {
		t.Errorf("rejected-by-breaker = %q, want 5", got)
	}
	if got := metric(t, h, `shop_dependency_calls_total{dependency="d",outcome="failed"}`); got != "3" {
		t.Errorf("failed = %q, want 3", got)
	}
	down.code.Store(200)
	time.Sleep(350 * time.Millisecond)
	if code, header, _ := get(t, h, "/"); code != 200 || header.Get(contract.DegradedHeader) != "" {
		t.Errorf("half-open probe to a recovered dependency: %d %q, want whole", code, header.Get(contract.DegradedHeader))
	}
	if code, header, _ := get(t, h, "/"); code != 200 || header.Get(contract.DegradedHeader) != "" {
		t.Errorf("closed again: %d %q, want whole", code, header.Get(contract.DegradedHeader))
	}
}

// Calls beyond the bulkhead are rejected at once, not queued.
func TestBulkheadRejectsBeyondItsSize(t *testing.T) {
	slow := newUpstream(t, 200)
	slow.delay.Store(int64(time.Second))
	h := NewHandler(Config{Resilience: Resilience{Bulkhead: 2},
		Dependencies: []contract.Dependency{dep("d", slow.URL, "soft", "fail", 2000, 1, 1)}}, nil)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { get(t, h, "/") })
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(slow.attempts()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	began := time.Now()
	code, header, body := get(t, h, "/")
	if code != 200 || header.Get(contract.DegradedHeader) != "d" || entry(body, "d")["outcome"] != outcomeBulkhead || time.Since(began) > 500*time.Millisecond {
		t.Errorf("a third call with 2 in flight: %d %v in %s, want rejected by the bulkhead at once", code, entry(body, "d"), time.Since(began))
	}
	wg.Wait()
	if got := metric(t, h, `shop_dependency_calls_total{dependency="d",outcome="rejected-by-bulkhead"}`); got != "1" {
		t.Errorf("rejected-by-bulkhead = %q, want 1", got)
	}
}

func TestCatalogCarriesCacheControl(t *testing.T) {
	h := NewHandler(Config{Region: "east", Instance: "i-1", CacheControl: contract.CacheControlValue(2*time.Second, time.Hour)}, nil)
	code, header, body := get(t, h, "/catalog")
	if code != 200 || header.Get("Cache-Control") != "public, max-age=2, stale-if-error=3600" || body["region"] != "east" || body["served_at"] == nil {
		t.Errorf("catalog = %d %v %v", code, header, body)
	}
	if items, _ := body["items"].([]any); len(items) != len(catalog) {
		t.Errorf("catalog items = %v", body["items"])
	}
	if _, header, _ := get(t, NewHandler(Config{}, nil), "/catalog"); header.Get("Cache-Control") != "" {
		t.Errorf("without a cache: Cache-Control %q, want none", header.Get("Cache-Control"))
	}
}

// memQueue is a Queue in memory for the handler's tests; the brokers are
// tested for real in queue_nats_test.go and against the SQS fake.
type memQueue struct {
	mu     sync.Mutex
	writes []QueuedWrite
	fail   error
}

func (q *memQueue) Publish(_ context.Context, w QueuedWrite) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.writes = append(q.writes, w)
	return nil
}

// Drain applies what is queued once, keeping what apply refused.
func (q *memQueue) Drain(ctx context.Context, ready func(context.Context) error, apply func(context.Context, QueuedWrite) error) error {
	if err := ready(ctx); err != nil {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var left []QueuedWrite
	for _, w := range q.writes {
		if apply(ctx, w) != nil {
			left = append(left, w)
		}
	}
	q.writes = left
	return nil
}

func (q *memQueue) Close() error { return nil }

func TestWritesQueuedWhileTheStoreCannotTakeThem(t *testing.T) {
	store, queue := &memStore{seqs: map[int64]bool{}}, &memQueue{}
	h := NewHandler(Config{Region: "east", Instance: "i-1", Queue: queue}, store)
	if code, _ := call(t, h, "POST", "/writes?seq=1"); code != 201 {
		t.Fatalf("a write the store takes = %d, want 201 (not queued)", code)
	}
	store.mu.Lock()
	store.readOnly = true
	store.mu.Unlock()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/writes?seq=2", nil))
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 202 || rec.Header().Get(contract.QueuedHeader) != "true" || body["queued"] != true || body["seq"] != float64(2) {
		t.Fatalf("a write the store refuses = %d %v %v, want 202 queued", rec.Code, rec.Header(), body)
	}
	if code, _ := call(t, h, "POST", "/writes?seq=x"); code != 400 {
		t.Errorf("a bad request with a queue = %d, want 400", code)
	}
	if len(queue.writes) != 1 || queue.writes[0].Seq != 2 || queue.writes[0].Writer != "east/i-1" {
		t.Fatalf("queued %v, want seq 2 by east/i-1", queue.writes)
	}
	_ = h.Drain(context.Background()) // the store still refuses: kept
	if len(queue.writes) != 1 || store.seqs[2] {
		t.Fatalf("drained into a refusing store: queue %v, store %v", queue.writes, store.seqs)
	}
	store.mu.Lock()
	store.readOnly = false
	store.mu.Unlock()
	_ = h.Drain(context.Background())
	if len(queue.writes) != 0 || !store.seqs[2] {
		t.Errorf("after recovery: queue %v, store %v; want seq 2 applied", queue.writes, store.seqs)
	}
	if got := metric(t, h, `shop_queued_writes_total{event="applied"}`); got != "1" {
		t.Errorf("applied = %q, want 1", got)
	}

	queue.fail = errors.New("broker down")
	store.readOnly = true
	if code, body := call(t, h, "POST", "/writes?seq=3"); code != 503 || !strings.Contains(body["error"].(string), "broker down") {
		t.Errorf("store and queue both failing = %d %v, want 503", code, body)
	}
}
