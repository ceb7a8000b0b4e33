package drill

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/slo"
)

func TestReportFormats(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	attempts := timeline(t0, "+++++----+++++")
	lost := 1
	r := &Report{Environment: "dev", Service: "shop", Scenario: "region-loss", Region: "east", Started: t0, Finished: t0.Add(2 * time.Second),
		Injected: attempts[4].At, Outage: MeasureOutage(attempts, attempts[4].At), Attempts: attempts,
		Measured:  Numbers{RTOSeconds: 0.4, RPOSeconds: 0.1, WritesLost: &lost, Known: true},
		Estimated: Numbers{RTOSeconds: 2.2, Known: true}, Target: Numbers{RTOSeconds: 0.2, RPOSeconds: 0, Known: true},
		Steps: []Step{{Name: "inject", Start: t0, End: t0.Add(time.Millisecond), Detail: "killed"}}}
	r.Checks = []Check{{Name: "recovered", Passed: true, Message: "ok"}, {Name: "rto-within-target", Passed: false, Message: "measured RTO 400ms, target 200ms"}}
	if r.Passed() {
		t.Fatal("a missed target passed")
	}
	var doc map[string]map[string]any
	b, _ := json.Marshal(struct{ Measured, Estimated, Target Numbers }{r.Measured, r.Estimated, r.Target})
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var full map[string]json.RawMessage
	if err := json.Unmarshal(mustJSON(t, r), &full); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"measured", "estimated", "target", "steps", "attempts", "checks"} {
		if _, ok := full[k]; !ok {
			t.Errorf("drill.json lacks %q", k)
		}
	}
	for _, k := range []string{"Measured", "Estimated", "Target"} {
		if _, ok := doc[k]["rto_seconds"]; !ok {
			t.Errorf("%s.rto_seconds missing: %v", k, doc[k])
		}
		if _, ok := doc[k]["rpo_seconds"]; !ok {
			t.Errorf("%s.rpo_seconds missing", k)
		}
	}
	if doc["Measured"]["writes_lost"] != float64(1) {
		t.Errorf("measured.writes_lost = %v", doc["Measured"]["writes_lost"])
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(r.JUnit(), &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Tests != 2 || suite.Failures != 1 || suite.Cases[1].Failure == nil || !strings.Contains(suite.Cases[1].Failure.Message, "target 200ms") {
		t.Errorf("junit = %+v", suite)
	}
	svg := r.SVG()
	for _, want := range []string{"<svg", "inject", "first failure", "recovered (RTO 400ms typically, 400ms for the slowest client)", "#d7263d", "FAILED"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "| measured | 400ms | 100ms | 1 |") || !strings.Contains(md, "❌ **rto-within-target**") {
		t.Errorf("markdown:\n%s", md)
	}
	moved := 0.8
	r.DNSMovedSeconds, r.Estimated.How = &moved, "DNS answer changed 800ms after the injection (typically 500ms) + clients keep the old answer 500ms = 1.3s (typically 1s)"
	if md := r.Markdown(); !strings.Contains(md, "answer changed 800ms after the injection.") || !strings.Contains(md, "The estimate is for what the drill found: DNS answer changed 800ms") {
		t.Errorf("markdown without the DNS move and the estimate's condition:\n%s", md)
	}
	// an aborted drill with an objective: the picture says both
	budget := slo.Budget{Objective: 0.999, Window: 30 * 24 * time.Hour, Bad: 3, Total: 40, Allowed: 1200, Spent: 0.0025}
	r.ErrorBudget, r.StopAlarms = &budget, []string{"BulwarkErrorBudgetBurn west/shop (page) since 10:00:01"}
	svg = r.SVG()
	for _, want := range []string{"aborted: BulwarkErrorBudgetBurn west/shop", "error budget spent: 0.25% of 99.9%&#39;s 30d budget"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q:\n%s", want, svg)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "Error budget: the drill spent 0.25% of the 99.9% objective's 30d budget: 3 failed of 40 requests") {
		t.Errorf("markdown lacks the budget:\n%s", md)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
