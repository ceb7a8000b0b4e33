package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
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
	return mux
}
