package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// memStore is an in-memory Store for the handler's tests; Postgres is tested
// against a real server in postgres_test.go.
type memStore struct {
	mu       sync.Mutex
	seqs     map[int64]bool
	readOnly bool
}

func (m *memStore) Write(_ context.Context, seq int64, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return ErrReadOnly
	}
	m.seqs[seq] = true
	return nil
}

func (m *memStore) Seqs(_ context.Context, from, to int64) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int64
	for s := range m.seqs {
		if s >= from && s <= to {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (m *memStore) Ping(context.Context) error { return nil }

func call(t *testing.T, h http.Handler, method, url string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: %v: %q", method, url, err, rec.Body.String())
	}
	return rec.Code, body
}

func TestHandler(t *testing.T) {
	store := &memStore{seqs: map[int64]bool{}}
	h := NewHandler(Config{Region: "east", Instance: "i-1", Version: "v1"}, store)
	if code, body := call(t, h, "GET", "/healthz"); code != 200 || body["status"] != "ok" || body["region"] != "east" {
		t.Errorf("healthz = %d %v", code, body)
	}
	if code, body := call(t, h, "GET", "/"); code != 200 || body["instance"] != "i-1" || body["version"] != "v1" {
		t.Errorf("/ = %d %v", code, body)
	}
	for _, seq := range []string{"1", "2", "5", "5"} {
		if code, body := call(t, h, "POST", "/writes?seq="+seq); code != 201 {
			t.Errorf("write %s = %d %v", seq, code, body)
		}
	}
	code, body := call(t, h, "GET", "/writes?from=0&to=4")
	if seqs, _ := body["seqs"].([]any); code != 200 || len(seqs) != 2 || seqs[0] != float64(1) || seqs[1] != float64(2) {
		t.Errorf("read = %d %v", code, body)
	}
	for _, bad := range []string{"/writes?seq=x", "/writes?seq=-1"} {
		if code, _ := call(t, h, "POST", bad); code != 400 {
			t.Errorf("POST %s = %d, want 400", bad, code)
		}
	}
	for _, bad := range []string{"/writes?from=5&to=1", "/writes?from=0&to=100000", "/writes?from=a&to=1"} {
		if code, _ := call(t, h, "GET", bad); code != 400 {
			t.Errorf("GET %s = %d, want 400", bad, code)
		}
	}
	store.readOnly = true
	if code, body := call(t, h, "POST", "/writes?seq=9"); code != 503 {
		t.Errorf("write to a read-only store = %d %v, want 503", code, body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown path = %d, want 404", rec.Code)
	}
}

func TestHandlerWithoutDatabase(t *testing.T) {
	h := NewHandler(Config{}, nil)
	if code, _ := call(t, h, "POST", "/writes?seq=1"); code != 503 {
		t.Errorf("write without a database = %d, want 503", code)
	}
	if code, _ := call(t, h, "GET", "/healthz"); code != 200 {
		t.Errorf("healthz without a database = %d, want 200", code)
	}
}

func TestMetricsCountEveryRequest(t *testing.T) {
	h := NewHandler(Config{Region: "east", Instance: "i-1"}, &memStore{seqs: map[int64]bool{}})
	for _, path := range []string{"/healthz", "/healthz", "/writes?from=5&to=1"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`http_request_duration_seconds_count{code="200",method="get"} 2`,
		`http_request_duration_seconds_count{code="400",method="get"} 1`,
		`http_request_duration_seconds_bucket{code="200",method="get",le="0.3"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
