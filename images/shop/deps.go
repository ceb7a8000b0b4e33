package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/semaphore"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// How the service calls what it depends on: the budget each dependency
// declares (contract.Dependency: a per-attempt timeout, tries, a backoff
// doubling between tries), behind a bulkhead and a circuit breaker of its
// own, so one slow or dead dependency neither holds the service's
// goroutines nor takes its callers' budget.
//
//   - The bulkhead bounds the calls in flight to one dependency
//     (Resilience.Bulkhead, default 16): a call beyond it is rejected at
//     once (semaphore.TryAcquire), never queued behind the slow ones.
//   - The breaker (gobreaker) sees one outcome per call, all its tries
//     together: it opens after Resilience.BreakerFailures consecutive
//     failed calls (default 5), rejects every call while open, and after
//     Resilience.BreakerOpenFor (default 5 s) lets one probe through
//     (half-open): its success closes the breaker, its failure opens it
//     again. Five calls in a row, each with all its tries, tell a dead
//     dependency from a lost packet; five seconds is short against a
//     region's failover, so a dependency that comes back is called again
//     within seconds, and long against a call's budget, so an open
//     breaker spares the dead dependency most calls. A 4xx answer is the
//     caller's fault, not the dependency's: it fails the call without
//     counting against the breaker; a caller that went away (its request
//     cancelled) counts neither way.
//   - Tries: the first attempt and Tries-1 retries, each with exactly the
//     declared timeout; before the second the declared backoff, doubling
//     before each further one. Connection errors, timeouts and 5xx answers
//     are retried; a 4xx answer is not.
//
// Every call is counted in shop_dependency_calls_total by dependency and
// outcome (ok, failed, rejected-by-breaker, rejected-by-bulkhead), every
// attempt in shop_dependency_attempts_total.

// Resilience are the breaker's and the bulkhead's settings; zero fields
// take the defaults.
type Resilience struct {
	// Bulkhead is how many calls to one dependency may be in flight.
	Bulkhead int64
	// BreakerFailures is how many consecutive failed calls open a breaker.
	BreakerFailures uint32
	// BreakerOpenFor is how long a breaker stays open before a probe.
	BreakerOpenFor time.Duration
}

// DefaultResilience are the settings the service runs with.
var DefaultResilience = Resilience{Bulkhead: 16, BreakerFailures: 5, BreakerOpenFor: 5 * time.Second}

func (r Resilience) or() Resilience {
	d := DefaultResilience
	if r.Bulkhead <= 0 {
		r.Bulkhead = d.Bulkhead
	}
	if r.BreakerFailures == 0 {
		r.BreakerFailures = d.BreakerFailures
	}
	if r.BreakerOpenFor <= 0 {
		r.BreakerOpenFor = d.BreakerOpenFor
	}
	return r
}

// Outcomes of a dependency call, as shop_dependency_calls_total labels them.
const (
	outcomeOK       = "ok"
	outcomeFailed   = "failed"
	outcomeBreaker  = "rejected-by-breaker"
	outcomeBulkhead = "rejected-by-bulkhead"
)

var (
	errNoRoute      = errors.New("no route to the dependency on this target")
	errBulkheadFull = errors.New("bulkhead full: too many calls in flight")
	errCallerGone   = errors.New("the request was cancelled")
)

// statusError is an answer of a status other than 2xx.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("answered %d %s", e.code, http.StatusText(e.code))
}

// clientFault is a 4xx answer: not retried, not the dependency's failure.
func clientFault(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.code >= 400 && se.code < 500
}

// dependency is one declared dependency with its breaker, bulkhead,
// counters and last good answer.
type dependency struct {
	spec     contract.Dependency
	client   *http.Client
	breaker  *gobreaker.CircuitBreaker[json.RawMessage]
	bulkhead *semaphore.Weighted
	calls    *prometheus.CounterVec // by outcome
	attempts prometheus.Counter

	mu       sync.Mutex
	cached   json.RawMessage
	cachedAt time.Time
}

// depMetrics are the dependency counters.
type depMetrics struct {
	calls    *prometheus.CounterVec
	attempts *prometheus.CounterVec
	answers  *prometheus.CounterVec
}

func newDepMetrics(reg prometheus.Registerer) *depMetrics {
	m := &depMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_dependency_calls_total",
			Help: "Calls to a dependency, by dependency and outcome (ok, failed, rejected-by-breaker, rejected-by-bulkhead)."},
			[]string{"dependency", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_dependency_attempts_total",
			Help: "Attempts (first tries and retries) of calls to a dependency."}, []string{"dependency"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_answers_total",
			Help: "Answers of GET / by result: whole, degraded (a soft dependency missing) or failed (a hard one)."}, []string{"result"}),
	}
	reg.MustRegister(m.calls, m.attempts, m.answers)
	return m
}

func newDependencies(specs []contract.Dependency, res Resilience, client *http.Client, m *depMetrics) []*dependency {
	res = res.or()
	if client == nil {
		client = &http.Client{}
	}
	var deps []*dependency
	for _, s := range specs {
		d := &dependency{spec: s, client: client, bulkhead: semaphore.NewWeighted(res.Bulkhead),
			calls: m.calls.MustCurryWith(prometheus.Labels{"dependency": s.Name}), attempts: m.attempts.WithLabelValues(s.Name)}
		for _, o := range []string{outcomeOK, outcomeFailed, outcomeBreaker, outcomeBulkhead} {
			d.calls.WithLabelValues(o) // every series from the start, at 0
		}
		failures := res.BreakerFailures
		d.breaker = gobreaker.NewCircuitBreaker[json.RawMessage](gobreaker.Settings{
			Name:        s.Name,
			MaxRequests: 1,
			Timeout:     res.BreakerOpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			IsSuccessful: func(err error) bool {
				return err == nil || clientFault(err)
			},
			IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) },
		})
		deps = append(deps, d)
	}
	return deps
}

// depResult is what one call gave.
type depResult struct {
	dep      *dependency
	answer   json.RawMessage
	outcome  string
	err      error
	cached   json.RawMessage // the last good answer, when the call failed
	cachedAt time.Time
}

// call calls the dependency once within its budget.
func (d *dependency) call(ctx context.Context) depResult {
	r := depResult{dep: d}
	switch {
	case d.spec.URL == "":
		r.outcome, r.err = outcomeFailed, errNoRoute
	case !d.bulkhead.TryAcquire(1):
		r.outcome, r.err = outcomeBulkhead, errBulkheadFull
	default:
		r.answer, r.err = d.breaker.Execute(func() (json.RawMessage, error) { return d.tries(ctx) })
		d.bulkhead.Release(1)
		switch {
		case errors.Is(r.err, gobreaker.ErrOpenState), errors.Is(r.err, gobreaker.ErrTooManyRequests):
			r.outcome = outcomeBreaker
		case r.err != nil:
			r.outcome = outcomeFailed
		default:
			r.outcome = outcomeOK
		}
	}
	d.calls.WithLabelValues(r.outcome).Inc()
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.err == nil {
		d.cached, d.cachedAt = r.answer, time.Now()
	} else {
		r.cached, r.cachedAt = d.cached, d.cachedAt
	}
	return r
}

// tries makes the declared attempts.
func (d *dependency) tries(ctx context.Context) (json.RawMessage, error) {
	backoff := d.spec.Backoff()
	var err error
	for i := range d.spec.Tries {
		if i > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w: %w", errCallerGone, err)
			case <-t.C:
			}
			backoff *= 2
		}
		var answer json.RawMessage
		answer, err = d.attempt(ctx)
		switch {
		case err == nil:
			return answer, nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%w: %w", errCallerGone, err)
		case clientFault(err):
			return nil, err
		}
	}
	return nil, fmt.Errorf("%d tries: %w", d.spec.Tries, err)
}

// maxAnswer bounds the answer read from a dependency.
const maxAnswer = 1 << 20

// attempt is one GET <url>/ with exactly the declared timeout.
func (d *dependency) attempt(ctx context.Context) (json.RawMessage, error) {
	d.attempts.Inc()
	ctx, cancel := context.WithTimeout(ctx, d.spec.Timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(d.spec.URL, "/")+"/", nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &statusError{code: resp.StatusCode}
	}
	if json.Valid(body) {
		return body, nil
	}
	quoted, _ := json.Marshal(string(body))
	return quoted, nil
}

// callAll calls every dependency at once and waits for all.
func callAll(ctx context.Context, deps []*dependency) []depResult {
	out := make([]depResult, len(deps))
	var wg sync.WaitGroup
	for i, d := range deps {
		wg.Go(func() { out[i] = d.call(ctx) })
	}
	wg.Wait()
	return out
}

// compose turns the calls' results into GET /'s answer: the status (503
// when a hard dependency failed), the soft dependencies it is given
// without (DegradedHeader), and the body's fields.
func compose(results []depResult) (code int, degraded []string, body map[string]any) {
	view := map[string]any{}
	var hard []string
	for _, r := range results {
		s := r.dep.spec
		entry := map[string]any{"need": s.Need, "outcome": r.outcome}
		if r.err == nil {
			entry["status"] = "ok"
			entry["answer"] = r.answer
			view[s.Name] = entry
			continue
		}
		entry["status"] = "failed"
		entry["error"] = r.err.Error()
		if s.Need == "hard" {
			hard = append(hard, s.Name)
		} else {
			degraded = append(degraded, s.Name)
			if s.OnFailure == "serve-cached" && r.cached != nil {
				entry["status"] = "cached"
				entry["answer"] = r.cached
				entry["cached_at"] = r.cachedAt.UTC().Format(time.RFC3339Nano)
			}
		}
		view[s.Name] = entry
	}
	body = map[string]any{"dependencies": view}
	if len(hard) > 0 {
		body["error"] = "hard dependencies failed: " + strings.Join(hard, ", ")
		return http.StatusServiceUnavailable, nil, body
	}
	if len(degraded) > 0 {
		body["degraded"] = degraded
	}
	return http.StatusOK, degraded, body
}
