package localtarget

import (
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A deadline derived on the local target: twice the estimate, PowerDNS's
// 1 s checks, the TTL and the steady second; never under 30 s. The
// expected values are worked out by hand.
func TestDeadlinesDerivedForLocal(t *testing.T) {
	svc := topology.Service{Name: "shop", DNS: topology.DNS{TTL: time.Minute}}
	short := svc
	short.DNS.TTL = time.Second
	for _, tc := range []struct {
		name string
		svc  topology.Service
		want time.Duration
		how  string
	}{
		{"seconds", short, 30 * time.Second, // 2.4 + 1 + 1 + 1 = 5.4, under 30
			"derived: 2 × 1.2s (the region estimate) + DNS detection 1s (PowerDNS ifurlup checks every 1s) + TTL 1s + steady 1s = 5.4s, at least 30s"},
		{"a long TTL", svc, 64400 * time.Millisecond, ""}, // 2.4 + 1 + 60 + 1
	} {
		got, how := drill.DeriveDeadline(Timing(), tc.svc, topology.DisruptionRegion, &drill.Numbers{RTOSeconds: 1.2, Known: true}, time.Second)
		if got != tc.want || tc.how != "" && how != tc.how {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.name, got, how, tc.want, tc.how)
		}
	}
	if got, how := drill.DeriveDeadline(Timing(), svc, topology.DisruptionRegion, nil, time.Second); got != 68*time.Second { // 2 × 3 s (typical) + 1 + 60 + 1
		t.Errorf("no estimate: %s (%s)", got, how)
	}
}
