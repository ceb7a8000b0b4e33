package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// Config is what the service says about itself, and what it degrades
// with.
type Config struct {
	Listen   string
	Region   string
	Instance string
	Version  string

	// Dependencies are what GET / calls (contract.Dependencies).
	Dependencies []contract.Dependency
	// Resilience are the dependencies' breakers and bulkheads; zero fields
	// take DefaultResilience.
	Resilience Resilience
	// Client makes the dependency calls (nil: a plain http.Client; each
	// attempt's timeout is its context's).
	Client *http.Client
	// CacheControl is the Cache-Control of the cached paths' answers
	// (contract.CacheControl; none when empty).
	CacheControl string
	// Queue takes the writes the database cannot (nil: none).
	Queue Queue
}

// ErrReadOnly is returned by a Store that cannot accept writes now (a
// standby, or a primary that lost its synchronous replica's quorum).
var ErrReadOnly = errors.New("store is read-only")

// Store keeps numbered writes.
type Store interface {
	// Write records seq durably; it returns once the write is acknowledged.
	// Writing the same seq twice is not an error.
	Write(ctx context.Context, seq int64, writer string) error
	// Seqs lists the recorded seqs in [from, to], ascending.
	Seqs(ctx context.Context, from, to int64) ([]int64, error)
	// Ping checks the store answers.
	Ping(ctx context.Context) error
}

// maxRange bounds one GET /writes.
const maxRange = 100000

// catalog is GET /catalog's fixed list: a read-only page a cache can
// serve stale while every origin is down.
var catalog = []map[string]any{
	{"sku": "tea-01", "name": "Green tea", "price_cents": 450},
	{"sku": "tea-02", "name": "Black tea", "price_cents": 400},
	{"sku": "cup-01", "name": "Cup", "price_cents": 1200},
}

// Service is the sample API: an http.Handler, and the consumer of its
// write queue (Drain).
type Service struct {
	http.Handler
	cfg    Config
	store  Store
	queued *prometheus.CounterVec
}

// NewHandler serves the sample API; store may be nil (no database).
func NewHandler(cfg Config, store Store) *Service {
	reg := prometheus.NewRegistry()
	svc := &Service{cfg: cfg, store: store,
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_queued_writes_total",
			Help: "Writes through the queue, by event: queued (202), publish-failed (503), applied (drained into the database), apply-failed (left for redelivery)."},
			[]string{"event"})}
	reg.MustRegister(svc.queued)
	dm := newDepMetrics(reg)
	deps, answers := newDependencies(cfg.Dependencies, cfg.Resilience, cfg.Client, dm), dm.answers
	mux := http.NewServeMux()
	ident := func() map[string]any {
		return map[string]any{"region": cfg.Region, "instance": cfg.Instance, "version": cfg.Version}
	}
	reply := func(w http.ResponseWriter, code int, body map[string]any) {
		for k, v := range ident() {
			body[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	}
	fail := func(w http.ResponseWriter, code int, err error) {
		reply(w, code, map[string]any{"error": err.Error()})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if len(deps) == 0 {
			reply(w, http.StatusOK, map[string]any{})
			return
		}
		code, degraded, body := compose(callAll(r.Context(), deps))
		switch {
		case code != http.StatusOK:
			answers.WithLabelValues("failed").Inc()
		case len(degraded) > 0:
			answers.WithLabelValues("degraded").Inc()
			w.Header().Set(contract.DegradedHeader, strings.Join(degraded, ","))
		default:
			answers.WithLabelValues("whole").Inc()
		}
		reply(w, code, body)
	})
	mux.HandleFunc("GET /catalog", func(w http.ResponseWriter, r *http.Request) {
		if cfg.CacheControl != "" {
			w.Header().Set("Cache-Control", cfg.CacheControl)
		}
		reply(w, http.StatusOK, map[string]any{"items": catalog, "served_at": time.Now().UTC().Format(time.RFC3339Nano)})
	})
	mux.HandleFunc("POST /writes", func(w http.ResponseWriter, r *http.Request) {
		if store == nil {
			fail(w, http.StatusServiceUnavailable, errors.New("no database configured"))
			return
		}
		seq, err := strconv.ParseInt(r.URL.Query().Get("seq"), 10, 64)
		if err != nil || seq < 0 {
			fail(w, http.StatusBadRequest, errors.New("seq must be a non-negative integer"))
			return
		}
		budget := directWriteTimeout
		if cfg.Queue != nil {
			budget = queuedWriteTimeout
		}
		ctx, cancel := context.WithTimeout(r.Context(), budget)
		defer cancel()
		writer := cfg.Region + "/" + cfg.Instance
		err = store.Write(ctx, seq, writer)
		if err == nil {
			reply(w, http.StatusCreated, map[string]any{"seq": seq})
			return
		}
		if cfg.Queue == nil {
			fail(w, http.StatusServiceUnavailable, err)
			return
		}
		pub, cancel := context.WithTimeout(r.Context(), publishTimeout)
		defer cancel()
		if perr := cfg.Queue.Publish(pub, QueuedWrite{Seq: seq, Writer: writer, QueuedAt: time.Now().UTC()}); perr != nil {
			svc.queued.WithLabelValues("publish-failed").Inc()
			fail(w, http.StatusServiceUnavailable, fmt.Errorf("database: %v; queue: %v", err, perr))
			return
		}
		svc.queued.WithLabelValues("queued").Inc()
		w.Header().Set(contract.QueuedHeader, "true")
		reply(w, http.StatusAccepted, map[string]any{"seq": seq, "queued": true})
	})
	mux.HandleFunc("GET /writes", func(w http.ResponseWriter, r *http.Request) {
		if store == nil {
			fail(w, http.StatusServiceUnavailable, errors.New("no database configured"))
			return
		}
		q := r.URL.Query()
		from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
		to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
		if err1 != nil || err2 != nil || from > to || to-from >= maxRange {
			fail(w, http.StatusBadRequest, errors.New("from and to are integers, from <= to, at most 100000 apart"))
			return
		}
		seqs, err := store.Seqs(r.Context(), from, to)
		if err != nil {
			fail(w, http.StatusServiceUnavailable, err)
			return
		}
		if seqs == nil {
			seqs = []int64{}
		}
		reply(w, http.StatusOK, map[string]any{"seqs": seqs})
	})
	svc.Handler = instrumented(reg, mux)
	return svc
}

// Drain applies the queue's writes to the store until ctx is done (at
// once without a queue or a store), each with drainWriteTimeout.
func (s *Service) Drain(ctx context.Context) error {
	if s.cfg.Queue == nil || s.store == nil {
		return nil
	}
	ready := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, drainWriteTimeout)
		defer cancel()
		return s.store.Ping(ctx)
	}
	return s.cfg.Queue.Drain(ctx, ready, func(ctx context.Context, w QueuedWrite) error {
		ctx, cancel := context.WithTimeout(ctx, drainWriteTimeout)
		defer cancel()
		if err := s.store.Write(ctx, w.Seq, w.Writer); err != nil {
			s.queued.WithLabelValues("apply-failed").Inc()
			return err
		}
		s.queued.WithLabelValues("applied").Inc()
		return nil
	})
}

// latencyBuckets bound the response-time histogram: fine below a second,
// where latency objectives lie.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5}

// instrumented serves GET /metrics (Prometheus's text format) and records
// every other request's duration in http_request_duration_seconds, by
// method and status code: the histogram a p99 latency objective is read
// from.
func instrumented(reg *prometheus.Registry, next http.Handler) http.Handler {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "Time to answer a request, by method and status code.", Buckets: latencyBuckets,
	}, []string{"code", "method"})
	reg.MustRegister(duration)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	timed := promhttp.InstrumentHandlerDuration(duration, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
			metrics.ServeHTTP(w, r)
			return
		}
		timed.ServeHTTP(w, r)
	})
}
