package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// degradeReport is what the test reads of a degradation drill's
// drill.json: its own copy of the fields, so that a renamed field fails
// here rather than reading as zero.
type degradeReport struct {
	Checks []struct {
		Name    string `json:"name"`
		Passed  bool   `json:"passed"`
		Message string `json:"message"`
	} `json:"checks"`
	Degradation *struct {
		Requests []struct {
			Request string `json:"request"`
			Phases  []struct {
				Phase    string  `json:"phase"`
				Requests int     `json:"requests"`
				Whole    int     `json:"whole"`
				Degraded int     `json:"degraded"`
				Failed   int     `json:"failed"`
				P99Ms    float64 `json:"p99_ms"`
			} `json:"phases"`
		} `json:"requests"`
		Queue *struct {
			Acknowledged int     `json:"acknowledged"`
			Queued       int     `json:"queued"`
			Present      int     `json:"present"`
			Lost         []int64 `json:"lost"`
			AppliedTwice []int64 `json:"applied_twice"`
			Drained      bool    `json:"drained"`
		} `json:"queue"`
		WholeAgain bool `json:"whole_again"`
	} `json:"degradation"`
}

// disrupted is a request's figures during the disruption.
func (r degradeReport) disrupted(t *testing.T, request string) (requests, whole, degraded, failed int, p99 time.Duration) {
	t.Helper()
	if r.Degradation == nil {
		t.Fatal("the report has no degradation section")
	}
	for _, q := range r.Degradation.Requests {
		if q.Request != request {
			continue
		}
		for _, p := range q.Phases {
			if p.Phase == "disrupted" {
				return p.Requests, p.Whole, p.Degraded, p.Failed, time.Duration(p.P99Ms * float64(time.Millisecond))
			}
		}
	}
	t.Fatalf("the report has no disrupted phase of %s", request)
	return
}

// The degradation parts of environments/dev-degrade.hcl, deployed for
// real on the local target and drilled once each, sharing one deployment:
// writes answered 202 while the database is down and every one of them
// in the database afterwards; the catalog served by the cache while every
// origin is down; the page served degraded, with no 5xx, while its soft
// dependency is cut off; and the declared timeouts holding the page's
// p99 while that dependency is a second slower.
func TestDegradationDrills(t *testing.T) {
	bin := builtBulwark(t)
	project, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	plane := localPlane(t, state)
	env := append(os.Environ(), "BULWARK_STATE_DIR="+state)
	bulwark := func(args ...string) string {
		t.Helper()
		return mustRun(t, bin, project, plane, env, args...)
	}
	bulwark("up", "--env", "dev-degrade")
	t.Cleanup(func() { runBin(t, bin, project, env, "destroy", "--env", "dev-degrade", "--yes") })

	// the cache answers a miss, then a hit, with the service's header
	var outputs map[string]struct {
		Services map[string]map[string]any `json:"services"`
	}
	if err := json.Unmarshal([]byte(bulwark("outputs", "--env", "dev-degrade", "--format", "json")), &outputs); err != nil {
		t.Fatal(err)
	}
	cache, _ := outputs["dev-degrade.east"].Services["shop"]["cache"].(string)
	if cache == "" {
		t.Fatalf("dev-degrade.east has no cache output: %v", outputs["dev-degrade.east"].Services["shop"])
	}
	var statuses []string
	for range 2 {
		resp, err := http.Get("http://" + cache + "/catalog")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.Header.Get("X-Cache-Status"))
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=2, stale-if-error=3600" {
			t.Errorf("the catalog's Cache-Control is %q, want the environment file's ttl 2s and stale_for 1h", cc)
		}
	}
	if statuses[0] != "MISS" || statuses[1] != "HIT" {
		t.Errorf("the cache answered %v, want [MISS HIT]", statuses)
	}

	drill := func(name string, args ...string) degradeReport {
		t.Helper()
		dir := filepath.Join(t.TempDir(), name)
		out := bulwark(append([]string{"drill", "--env", "dev-degrade", "--service", "shop", "--report-dir", dir}, args...)...)
		b, err := os.ReadFile(filepath.Join(dir, "drill.json"))
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var r degradeReport
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Checks {
			if !c.Passed {
				t.Errorf("%s: check %s failed: %s", name, c.Name, c.Message)
			}
		}
		if len(r.Checks) < 2 {
			t.Errorf("%s: only %d checks", name, len(r.Checks))
		}
		if r.Degradation == nil || !r.Degradation.WholeAgain {
			t.Errorf("%s: not answered whole again after the restore", name)
		}
		return r
	}

	t.Run("writes queued while the database is down", func(t *testing.T) {
		r := drill("database", "--scenario", "dependency-loss", "--dependency", "database")
		requests, _, degraded, failed, _ := r.disrupted(t, "POST /writes")
		if requests < 50 || degraded < requests/2 || failed != 0 {
			t.Errorf("writes during the database's loss: %d, %d queued, %d failed; want most queued and none failed", requests, degraded, failed)
		}
		q := r.Degradation.Queue
		if q == nil {
			t.Fatal("no queue figures")
		}
		if q.Queued < degraded || q.Present != q.Acknowledged || len(q.Lost) != 0 || len(q.AppliedTwice) != 0 || !q.Drained {
			t.Errorf("queue: %+v; want every acknowledged write present once, the queues drained", *q)
		}
	})
	t.Run("page degraded while reviews are cut off", func(t *testing.T) {
		r := drill("reviews", "--scenario", "dependency-loss", "--dependency", "reviews")
		requests, whole, degraded, failed, _ := r.disrupted(t, "GET /")
		if requests < 50 || degraded < requests*9/10 || failed != 0 {
			t.Errorf("GET / with reviews cut off: %d requests, %d whole, %d degraded, %d failed; want all but a few degraded, none failed", requests, whole, degraded, failed)
		}
	})
	t.Run("timeouts hold the p99 while reviews are slow", func(t *testing.T) {
		const latency = time.Second
		r := drill("latency", "--scenario", "latency", "--dependency", "reviews", "--latency", latency.String(), "--ramp", "2s")
		requests, _, degraded, failed, p99 := r.disrupted(t, "GET /")
		// reviews: 300ms a try, 2 tries, 50ms apart: 650ms at most, well
		// under the second the link adds to every answer
		if requests < 20 || degraded == 0 || failed != 0 || p99 >= latency {
			t.Errorf("GET / with reviews a second slower: %d requests, %d degraded, %d failed, p99 %s; want degraded answers, none failed, p99 under %s", requests, degraded, failed, p99, latency)
		}
	})
	t.Run("catalog served from the cache while every origin is down", func(t *testing.T) {
		r := drill("origin", "--scenario", "origin-loss")
		requests, whole, degraded, failed, _ := r.disrupted(t, "GET /catalog")
		if requests < 50 || degraded < requests/2 || failed != 0 {
			t.Errorf("GET /catalog with every origin down: %d requests, %d whole, %d stale, %d failed; want mostly stale, none failed", requests, whole, degraded, failed)
		}
	})
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...%s", s[len(s)-n:])
}
