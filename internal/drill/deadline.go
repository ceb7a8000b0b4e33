package drill

import (
	"fmt"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// DefaultBlastRadius is where a drill expects alarms: the disrupted
// region, and every region of the service when the disruption takes its
// database primary (a region loss of the primary's region, or the
// primary's loss): until a replica is promoted, writes fail in every
// region that sends them there.
func DefaultBlastRadius(t *topology.Topology, s topology.Service, region string, d topology.Disruption) []string {
	if s.Database != nil && t != nil {
		primary, _ := t.PrimaryRegionOf(s)
		if d == topology.DisruptionDatabase || (d == topology.DisruptionRegion && primary == region) {
			return slices.Clone(s.Regions)
		}
	}
	return []string{region}
}

// MinDeadline is the shortest derived deadline: the fixed deadline drills
// had before deadlines were derived, so that no drill that recovered
// within it is judged sooner now.
const MinDeadline = 30 * time.Second

// DeriveDeadline is how long, from the end of its recovery steps, a drill
// waits for the service to recover before it fails, and how that was
// derived:
//
//	max(MinDeadline, 2 × recovery + DNS detection + DNS TTL + steady)
//
// where recovery is the assessment's RTO estimate for the disruption (the
// target's typical recovery when there is none: Timing.TypicalRecovery),
// doubled because an estimate is typical, not worst; DNS detection is how
// long the service's DNS health checks take to declare a region down
// (Timing.DNSDetection); the TTL is how long clients, the probe among
// them, keep the old answer; and steady is how long the probe must then
// succeed. The whole estimate counts, not what is left of it after the
// recovery steps: a scenario whose recovery steps are none (the system
// heals itself) recovers entirely after them.
func DeriveDeadline(timing Timing, s topology.Service, d topology.Disruption, estimate *Numbers, steady time.Duration) (time.Duration, string) {
	recovery, from := timing.TypicalRecovery, fmt.Sprintf("the %s target's typical recovery", timing.Target)
	if estimate != nil && estimate.Known && estimate.RTOSeconds > 0 {
		recovery, from = time.Duration(estimate.RTOSeconds*float64(time.Second)), fmt.Sprintf("the %s estimate", d)
	}
	detect, how := time.Duration(0), "not known for this target"
	if timing.DNSDetection != nil {
		detect, how = timing.DNSDetection(s)
	}
	ttl := s.DNS.TTL
	derived := 2*recovery + detect + ttl + steady
	deadline := max(MinDeadline, derived)
	explain := fmt.Sprintf("derived: 2 × %s (%s) + DNS detection %s (%s) + TTL %s + steady %s = %s",
		recovery, from, detect, how, ttl, steady, derived)
	if deadline != derived {
		explain += fmt.Sprintf(", at least %s", MinDeadline)
	}
	return deadline, explain
}
