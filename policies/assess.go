package policies

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

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

// Assessment is every service's estimate for every disruption (the worst
// of its scenarios), and for every drill scenario, region by region.
type Assessment struct {
	Estimates []Estimate         `json:"estimates"`
	Scenarios []ScenarioEstimate `json:"scenarios,omitempty"`
	// Availability is each service's estimated availability, with what
	// it needs in series.
	Availability []ServiceAvailability `json:"availability,omitempty"`
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

// Assess estimates RTO and RPO for every service: what a client sees of
// each drill scenario (ScenarioEstimate, term by term), and per disruption
// the worst of its scenarios, judged against the environment's targets.
func Assess(m *Model) Assessment {
	tm := DefaultTimings(m.Target)
	if m.Timings != nil {
		tm = *m.Timings
	}
	var a Assessment
	own := map[string][]ScenarioEstimate{}
	for _, s := range m.Services {
		own[s.Decl.Name] = estimateScenarios(s, tm)
	}
	g := NewGraph(m.Topology)
	for _, s := range m.Services {
		scenarios := waitForNeeds(g, s.Decl.Name, own)
		a.Scenarios = append(a.Scenarios, scenarios...)
		for _, d := range topology.Disruptions {
			e := worstOf(s, d, scenarios)
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
	a.Availability = EstimateAvailability(m, DefaultReliability(tm), a)
	return a
}

// waitForNeeds is a service's scenario estimates with what it needs: a
// service is back when it is and every service it needs (hard, through
// others too) is, from the same scenario in the same region; one that does
// not recover leaves the service unrecovered.
func waitForNeeds(g *Graph, service string, own map[string][]ScenarioEstimate) []ScenarioEstimate {
	out := slices.Clone(own[service])
	closure := g.hardClosure(service)
	for i := range out {
		e := &out[i]
		if e.Region == "" || e.Unrecoverable {
			continue
		}
		paths := slices.Clone(e.paths)
		for _, on := range g.Order {
			p, needed := closure[on]
			if !needed {
				continue
			}
			for _, d := range own[on] {
				if d.Scenario != e.Scenario || d.Region != e.Region {
					continue
				}
				if d.Unrecoverable {
					e.Unrecoverable = true
					e.RTOHow = fmt.Sprintf("needs %s (%s), which does not recover: %s", on, p, d.RTOHow)
					continue
				}
				paths = append(paths, path{name: "needs " + on + " (" + p.String() + ")", terms: d.RTOTerms})
			}
		}
		if !e.Unrecoverable && len(paths) > len(e.paths) {
			settle(e, paths)
		}
	}
	return out
}

// worstOf is a disruption's estimate: its scenario with the longest RTO
// (then RPO; an unrecoverable one first).
func worstOf(s *Service, d topology.Disruption, scenarios []ScenarioEstimate) *Estimate {
	var worst *ScenarioEstimate
	for i := range scenarios {
		e := &scenarios[i]
		if e.Disruption != d || e.Scenario == ScenarioBackupRestore {
			continue // a restore rehearsed beside the service disrupts nothing
		}
		if worst == nil || e.Unrecoverable && !worst.Unrecoverable || !worst.Unrecoverable && (e.RTO > worst.RTO || e.RTO == worst.RTO && e.RPO > worst.RPO) {
			worst = e
		}
	}
	if worst == nil {
		return nil
	}
	prefix := worst.Scenario
	if worst.Region != "" {
		prefix += " of " + worst.Region
	}
	return &Estimate{Service: s.Decl.Name, Disruption: d, RTO: worst.RTO, RPO: worst.RPO, Unrecoverable: worst.Unrecoverable,
		RTOTerms: prefix + ": " + worst.RTOHow, RPOTerms: worst.RPOHow}
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
