package slo

import (
	"math"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

func TestBurnTiersScaleWithTheWindow(t *testing.T) {
	got := map[time.Duration][]float64{}
	for _, w := range []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 90 * 24 * time.Hour} {
		for _, tier := range BurnTiers(w) {
			got[w] = append(got[w], tier.Factor)
		}
	}
	want := map[time.Duration][]float64{
		30 * 24 * time.Hour: {14.4, 6, 3, 1}, // the workbook's own numbers
		7 * 24 * time.Hour:  {3.36, 1.4},     // 1d and 3d tiers would fire below the objective
		90 * 24 * time.Hour: {43.2, 18, 9, 3},
	}
	for w, factors := range want {
		if len(got[w]) != len(factors) {
			t.Fatalf("window %s: factors %v, want %v", w, got[w], factors)
		}
		for i := range factors {
			if got[w][i] != factors[i] {
				t.Errorf("window %s: factors %v, want %v", w, got[w], factors)
			}
		}
	}
	o := topology.SLO{Availability: 0.999, Window: 30 * 24 * time.Hour}
	if th := BurnTiers(o.Window)[0].Threshold(o); th != 0.0144 {
		t.Errorf("page threshold at 99.9%% = %v, want 0.0144 (14.4 x 0.1%%)", th)
	}
	if ws := Windows(BurnTiers(o.Window)); len(ws) != 7 || ws[0] != 5*time.Minute || ws[6] != 72*time.Hour {
		t.Errorf("windows = %v", ws)
	}
}

func TestSpend(t *testing.T) {
	o := topology.SLO{Availability: 0.999, Window: 30 * 24 * time.Hour}
	// 20 requests a second for a minute, 12 failed: the window holds
	// 20*86400*30 requests, of which 0.1% (51,840) may fail
	b := Spend(o, 12, 1200, time.Minute)
	if math.Abs(b.Allowed-51840) > 1e-6 || math.Abs(b.Spent-12.0/51840) > 1e-12 {
		t.Errorf("spend = %+v, want 12 of 51840 allowed", b)
	}
	if b.Left() >= 1 || b.Left() < 0.99 {
		t.Errorf("left = %v", b.Left())
	}
	if whole := Spend(o, 5, 1000, 0); math.Abs(whole.Spent-5) > 1e-9 {
		t.Errorf("window traffic 1000 allows 1 bad; 5 spent %v, want 5 (500%%)", whole.Spent)
	}
	if none := Spend(o, 3, 0, time.Minute); !math.IsInf(none.Spent, 1) {
		t.Errorf("bad requests with no traffic counted: spent %v, want +Inf", none.Spent)
	}
	if s := Percent(12.0 / 51840); s != "0.0231%" {
		t.Errorf("Percent = %q", s)
	}
}

func TestAlarmSeverityRoundTrip(t *testing.T) {
	for _, s := range []Severity{Page, Ticket, Member} {
		if got, text := AlarmSeverity(AlarmDescription(s, "shop in us-east-1 [burns] its budget")); got != s || text != "shop in us-east-1 [burns] its budget" {
			t.Errorf("severity %q read back as %q, %q", s, got, text)
		}
	}
	if got, text := AlarmSeverity("an alarm someone else made"); got != "" || text != "an alarm someone else made" {
		t.Errorf("a description without one: %q, %q", got, text)
	}
}

func TestAlarmScope(t *testing.T) {
	topo := &topology.Topology{Environment: topology.Environment{Name: "prod"},
		Regions:  []topology.Region{{Name: "us-east-1"}, {Name: "us-east-10"}},
		Services: []topology.Service{{Name: "shop"}, {Name: "shop-api"}}}
	for name, want := range map[string][2]string{
		"bulwark-prod-us-east-1-shop-latency-p99":       {"us-east-1", "shop"},
		"bulwark-prod-us-east-10-shop-api-health-check": {"us-east-10", "shop-api"},
		"bulwark-prod-global-alarms":                    {"", ""},
		"bulwark-staging-us-east-1-shop-latency-p99":    {"", ""},
	} {
		if r, s := AlarmScope(topo, name); r != want[0] || s != want[1] {
			t.Errorf("AlarmScope(%s) = %s, %s; want %v", name, r, s, want)
		}
	}
}
