package policies

import (
	"strings"
	"testing"
	"time"
)

// The DNS path's detection gives way to the moment a drill saw the answer
// change; the clients' TTL term stays, and a slower writes path still
// decides. Expected values are worked out by hand from the terms.
func TestGivenDNSMove(t *testing.T) {
	e := settle(&ScenarioEstimate{}, []path{
		{name: "DNS", detect: 2, terms: []Term{{"DNS health checks", 500 * time.Millisecond, ""}, {"a check's timeout", time.Second, ""}, {"clients keep the old answer", 500 * time.Millisecond, ""}}},
		{name: "writes", terms: []Term{{"the runbook acts", 200 * time.Millisecond, ""}, {"promotion", 100 * time.Millisecond, ""}}},
	})
	if e.RTO != 2*time.Second {
		t.Fatalf("typical RTO %s, want 2s", e.RTO)
	}
	rto, why, ok := e.GivenDNSMove(1200 * time.Millisecond)
	if !ok || rto != 1700*time.Millisecond || !strings.Contains(why, "1.2s after the injection (typically 1.5s)") {
		t.Errorf("moved 1.2s: %s %q %v; want 1.7s, the typical 1.5s named", rto, why, ok)
	}
	// answers that changed at once: DNS (0 + 0.5 s) is still slower than the writes (300 ms)
	if rto, _, _ := e.GivenDNSMove(0); rto != 500*time.Millisecond {
		t.Errorf("moved at once: %s, want 500ms", rto)
	}
	slow := settle(&ScenarioEstimate{}, []path{
		{name: "DNS", detect: 1, terms: []Term{{"DNS health checks", 500 * time.Millisecond, ""}, {"clients keep the old answer", 500 * time.Millisecond, ""}}},
		{name: "writes", terms: []Term{{"restore the latest backup", 3 * time.Second, ""}}},
	})
	if rto, why, _ := slow.GivenDNSMove(100 * time.Millisecond); rto != 3*time.Second || !strings.HasPrefix(why, "writes back in 3s") {
		t.Errorf("writes slower: %s %q, want 3s from the writes", rto, why)
	}
	noDNS := settle(&ScenarioEstimate{}, []path{{name: "requests", terms: []Term{{"retried", 0, ""}}}})
	if _, _, ok := noDNS.GivenDNSMove(time.Second); ok {
		t.Error("an estimate with no DNS path was conditioned on a DNS move")
	}
}
