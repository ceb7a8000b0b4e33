package policies

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Timings are what a target takes for the steps of a recovery that the
// graph does not say: measured on this kind of machine for the local target
// (DESIGN.md), documented figures for AWS.
type Timings struct {
	// Replace is how long a new instance takes to serve.
	Replace time.Duration
	// Promote is how long a replica takes to become the primary.
	Promote time.Duration
	// Lag is the typical asynchronous replication lag.
	Lag time.Duration
	// Restore is how long restoring the latest backup into a new primary takes.
	Restore time.Duration
}

// TargetTimings holds each target's timings.
var TargetTimings = map[topology.Target]Timings{
	topology.TargetLocal: {Replace: 1500 * time.Millisecond, Promote: 200 * time.Millisecond, Lag: 100 * time.Millisecond, Restore: 3 * time.Second},
	topology.TargetAWS:   {Replace: 5 * time.Minute, Promote: time.Minute, Lag: time.Second, Restore: 30 * time.Minute},
}

// Estimate is the estimated recovery of one service from one disruption.
type Estimate struct {
	Service    string              `json:"service"`
	Disruption topology.Disruption `json:"disruption"`
	RTO        time.Duration       `json:"-"`
	RPO        time.Duration       `json:"-"`
	// Unrecoverable is set when nothing takes over (one region, region loss).
	Unrecoverable bool   `json:"unrecoverable,omitempty"`
	RTOTerms      string `json:"rto_terms"`
	RPOTerms      string `json:"rpo_terms"`
	// Target is the environment's declared objective for the disruption, if any.
	Target *topology.Objective `json:"-"`
}

// Met reports whether the estimate meets its target (true without one).
func (e Estimate) Met() bool {
	if e.Target == nil {
		return true
	}
	return !e.Unrecoverable && e.RTO <= e.Target.RTO && e.RPO <= e.Target.RPO
}

// Miss says how the estimate misses its target.
func (e Estimate) Miss() string {
	if e.Unrecoverable {
		return fmt.Sprintf("%s: a %s loss is not recovered (%s)", e.Service, e.Disruption, e.RTOTerms)
	}
	var parts []string
	if e.RTO > e.Target.RTO {
		parts = append(parts, fmt.Sprintf("RTO %s > target %s (%s)", fmtD(e.RTO), fmtD(e.Target.RTO), e.RTOTerms))
	}
	if e.RPO > e.Target.RPO {
		parts = append(parts, fmt.Sprintf("RPO %s > target %s (%s)", fmtD(e.RPO), fmtD(e.Target.RPO), e.RPOTerms))
	}
	return fmt.Sprintf("%s, %s loss: %s", e.Service, e.Disruption, strings.Join(parts, "; "))
}

// Assessment is every service's estimate for every disruption.
type Assessment struct {
	Estimates []Estimate `json:"estimates"`
}

// Worst returns, per disruption, the estimate with the longest RTO (then RPO).
func (a Assessment) Worst() []Estimate {
	var out []Estimate
	for _, d := range topology.Disruptions {
		var worst *Estimate
		for i := range a.Estimates {
			e := &a.Estimates[i]
			if e.Disruption != d {
				continue
			}
			if worst == nil || e.Unrecoverable && !worst.Unrecoverable || e.RTO > worst.RTO || e.RTO == worst.RTO && e.RPO > worst.RPO {
				worst = e
			}
		}
		if worst != nil {
			out = append(out, *worst)
		}
	}
	return out
}

// Assess estimates RTO and RPO for every service and disruption.
func Assess(m *Model) Assessment {
	tm := TargetTimings[m.Target]
	var a Assessment
	for _, s := range m.Services {
		for _, d := range topology.Disruptions {
			e := estimate(s, d, tm)
			if e == nil {
				continue
			}
			if o, ok := m.Topology.Environment.Objective(d); ok {
				o := o
				e.Target = &o
			}
			a.Estimates = append(a.Estimates, *e)
		}
	}
	return a
}

func estimate(s *Service, d topology.Disruption, tm Timings) *Estimate {
	e := &Estimate{Service: s.Decl.Name, Disruption: d}
	db := s.database()
	switch d {
	case topology.DisruptionInstance, topology.DisruptionZone:
		lb, group := s.servingParts()
		if lb == nil || group == nil {
			return nil
		}
		detect := lb.Interval * time.Duration(lb.UnhealthyAfter)
		spread := d == topology.DisruptionInstance && group.Desired >= 2 || d == topology.DisruptionZone && min(group.Zones, group.Desired) >= 2
		if spread {
			e.RTO = detect
			e.RTOTerms = fmt.Sprintf("load balancer check %s x %d; the other instances serve", fmtD(lb.Interval), lb.UnhealthyAfter)
		} else if d == topology.DisruptionInstance {
			e.RTO = detect + tm.Replace
			e.RTOTerms = fmt.Sprintf("one instance: check %s x %d + replacement %s", fmtD(lb.Interval), lb.UnhealthyAfter, fmtD(tm.Replace))
		} else {
			// every instance of the region sits in the lost zone: a region loss
			return relabel(estimate(s, topology.DisruptionRegion, tm), d, "all instances in one zone: as a region loss: ")
		}
		e.RPOTerms = "instances keep no data"
		return e
	case topology.DisruptionRegion:
		if len(s.Regions) < 2 {
			e.Unrecoverable, e.RTOTerms, e.RPOTerms = true, "one region: nothing takes over", "data lost with the region unless backed up elsewhere"
			return e
		}
		if s.DNS == nil {
			e.Unrecoverable, e.RTOTerms = true, "no DNS record moves clients to another region"
			return e
		}
		traffic := s.DNS.CheckInterval*time.Duration(s.DNS.Threshold) + s.DNS.TTL
		e.RTO = traffic
		e.RTOTerms = fmt.Sprintf("DNS check %s x %d + TTL %s", fmtD(s.DNS.CheckInterval), s.DNS.Threshold, fmtD(s.DNS.TTL))
		if db != nil {
			detect, step, how := s.writeRecovery(db, tm)
			if writes := detect + step; writes > e.RTO {
				e.RTO = writes
				e.RTOTerms = fmt.Sprintf("primary lost: detection %s + %s %s (DNS moves clients in %s)", fmtD(detect), how, fmtD(step), fmtD(traffic))
			}
		}
		e.RPO, e.RPOTerms = dataLoss(s, db, tm)
		e.Unrecoverable = e.Unrecoverable || lostForGood(s, db)
		return e
	case topology.DisruptionDatabase:
		if db == nil {
			return nil
		}
		detect, step, how := s.writeRecovery(db, tm)
		e.RTO = detect + step
		e.RTOTerms = fmt.Sprintf("detection %s + %s %s", fmtD(detect), how, fmtD(step))
		if len(db.Replicas) == 0 && s.Backup == nil {
			e.Unrecoverable, e.RTOTerms = true, "no replica and no backup"
		}
		e.RPO, e.RPOTerms = dataLoss(s, db, tm)
		e.Unrecoverable = e.Unrecoverable || lostForGood(s, db)
		return e
	}
	return nil
}

// lostForGood reports a database with neither a replica nor a backup.
func lostForGood(s *Service, db *Database) bool {
	return db != nil && len(db.Replicas) == 0 && s.Backup == nil
}

// writeRecovery is how writes come back after losing the primary: detection
// (the health check's interval x threshold), then promoting a replica, or
// restoring the latest backup when there is no replica.
func (s *Service) writeRecovery(db *Database, tm Timings) (detect, step time.Duration, how string) {
	detect = time.Second
	if lb, _ := s.servingParts(); lb != nil {
		detect = lb.Interval * time.Duration(lb.UnhealthyAfter)
	}
	if len(db.Replicas) == 0 {
		return detect, tm.Restore, "restore from the latest backup"
	}
	return detect, tm.Promote, "promotion"
}

// dataLoss is the RPO of losing the database's primary.
func dataLoss(s *Service, db *Database, tm Timings) (time.Duration, string) {
	switch {
	case db == nil:
		return 0, "no data"
	case len(db.Replicas) > 0 && db.Replication == topology.Synchronous:
		return 0, "synchronous replication: every acknowledged write is on a replica"
	case len(db.Replicas) > 0:
		return tm.Lag, fmt.Sprintf("asynchronous replication lag, typically %s", fmtD(tm.Lag))
	case s.Backup != nil:
		return s.Backup.Every, fmt.Sprintf("no replica: writes since the last backup (every %s)", fmtD(s.Backup.Every))
	default:
		return 0, "no replica and no backup: all data"
	}
}

// servingParts are the primary region's load balancer and group.
func (s *Service) servingParts() (*Balancer, *Group) {
	first := primaryFirst(s)
	for _, d := range s.Regions {
		if d.Region == first {
			return d.Balancer, d.Group
		}
	}
	return nil, nil
}

func relabel(e *Estimate, d topology.Disruption, prefix string) *Estimate {
	if e == nil {
		return nil
	}
	e.Disruption = d
	e.RTOTerms = prefix + e.RTOTerms
	return e
}

// fmtD prints a duration briefly: 2s, 1.5s, 200ms, 5m0s, 7d.
func fmtD(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// MarshalJSON writes durations in seconds, with the target and the verdict.
func (e Estimate) MarshalJSON() ([]byte, error) {
	type target struct {
		RTO float64 `json:"rto_seconds"`
		RPO float64 `json:"rpo_seconds"`
	}
	out := struct {
		Service       string              `json:"service"`
		Disruption    topology.Disruption `json:"disruption"`
		RTO           float64             `json:"rto_seconds"`
		RPO           float64             `json:"rpo_seconds"`
		Unrecoverable bool                `json:"unrecoverable,omitempty"`
		RTOTerms      string              `json:"rto_terms"`
		RPOTerms      string              `json:"rpo_terms"`
		Target        *target             `json:"target,omitempty"`
		Met           bool                `json:"met"`
	}{e.Service, e.Disruption, e.RTO.Seconds(), e.RPO.Seconds(), e.Unrecoverable, e.RTOTerms, e.RPOTerms, nil, e.Met()}
	if e.Target != nil {
		out.Target = &target{RTO: e.Target.RTO.Seconds(), RPO: e.Target.RPO.Seconds()}
	}
	return json.Marshal(out)
}
