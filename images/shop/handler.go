package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is what the service says about itself.
type Config struct {
	Listen   string
	Region   string
	Instance string
	Version  string
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

// NewHandler serves the sample API; store may be nil (no database).
func NewHandler(cfg Config, store Store) http.Handler {
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
		reply(w, http.StatusOK, map[string]any{})
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
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := store.Write(ctx, seq, cfg.Region+"/"+cfg.Instance); err != nil {
			fail(w, http.StatusServiceUnavailable, err)
			return
		}
		reply(w, http.StatusCreated, map[string]any{"seq": seq})
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
	return instrumented(mux)
}

// latencyBuckets bound the response-time histogram: fine below a second,
// where latency objectives lie.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5}

// instrumented serves GET /metrics (Prometheus's text format) and records
// every other request's duration in http_request_duration_seconds, by
// method and status code: the histogram a p99 latency objective is read
// from.
func instrumented(next http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
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
