package gameday

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Agreement is how close a measurement must be to its estimate: within
// 25 % of the estimate, or both under 0.25 s.
const (
	AgreementShare = 0.25
	NoiseSeconds   = 0.25
)

// Report is a game day's outcome.
type Report struct {
	Environment string          `json:"environment"`
	Target      topology.Target `json:"target"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Plan        *Plan           `json:"plan"`
	Scenarios   []Scenario      `json:"scenarios"`
	// Stopped says why the game day ended before its plan did (empty: it ran every drill).
	Stopped string `json:"stopped,omitempty"`
	// OwnAlarms are the alarms the game day caused itself, set aside;
	// AlarmsBefore those that fired at its first check.
	OwnAlarms    []OwnAlarm `json:"own_alarms"`
	AlarmsBefore []string   `json:"alarms_before,omitempty"`
	// GateChecked says the regression gate ran (Gate), over History earlier game days.
	GateChecked bool    `json:"gate_checked"`
	MaxGrowth   float64 `json:"max_growth"`
	History     int     `json:"history_records"`
	Passed      bool    `json:"passed"`
}

// Scenario is one planned drill's runs, judged.
type Scenario struct {
	Drill
	Key     string `json:"key"`
	Label   string `json:"label"`
	Planned int    `json:"planned_runs"`
	Runs    []Run  `json:"runs"`
	// Estimate is the assessment's, Target the environment's (Known false: none).
	Estimate drill.Numbers `json:"estimate"`
	Target   drill.Numbers `json:"target"`
	// RTO and RPO are over the runs that measured them.
	RTO Stats `json:"rto"`
	RPO Stats `json:"rpo"`
	// RTOError and RPOError are the medians' error against the estimate,
	// in % (nil: no estimate, or an estimate of 0 the median is not
	// within 0.25 s of).
	RTOError *float64 `json:"rto_error_percent,omitempty"`
	RPOError *float64 `json:"rpo_error_percent,omitempty"`
	// EstimateAgrees: both medians within 25 % of the estimate, or both
	// under 0.25 s (nil: no estimate to judge).
	EstimateAgrees *bool `json:"estimate_agrees,omitempty"`
	// AllPassed: every planned run ran and passed; WithinTarget: both
	// medians within the target (true without a target).
	AllPassed    bool `json:"all_passed"`
	WithinTarget bool `json:"within_target"`
	Passed       bool `json:"passed"`
	// Gate is the regression check against the history.
	Gate Gate `json:"gate"`
}

// Stats are the median, minimum and maximum of N measurements, in seconds.
type Stats struct {
	Median float64 `json:"median_seconds"`
	Min    float64 `json:"min_seconds"`
	Max    float64 `json:"max_seconds"`
	N      int     `json:"n"`
}

// StatsOf computes the stats of xs (the median of an even count is the
// mean of the middle two).
func StatsOf(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Stats{Median: median(s), Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// median of sorted values.
func median(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return math.Round((s[m-1]+s[m])/2*1e6) / 1e6 // to the microsecond: no 1.2000000000000002
}

// ErrorPercent is (measured - estimate) / estimate in %, and whether the
// two agree: within AgreementShare, or both under NoiseSeconds. With an
// estimate of 0 the error is undefined (nil) and they agree only when the
// measurement is under NoiseSeconds.
func ErrorPercent(measured, estimate float64) (*float64, bool) {
	both := measured < NoiseSeconds && estimate < NoiseSeconds
	if estimate <= 0 {
		return nil, both
	}
	e := (measured - estimate) / estimate * 100
	return &e, both || math.Abs(e) <= AgreementShare*100+1e-9
}

// NewReport judges the runs of a plan (the gate is not run: Gate).
func NewReport(p *Plan, t *topology.Topology, runs []Run) *Report {
	r := &Report{Environment: p.Environment, Plan: p, OwnAlarms: []OwnAlarm{}}
	if t != nil {
		r.Target = t.Environment.Target
	}
	for _, d := range p.Drills {
		s := Scenario{Drill: d, Key: d.Key(), Label: d.Label(p.Services > 1), Planned: p.Runs, Runs: []Run{}}
		if t != nil {
			if obj, ok := t.Environment.Objective(disruptionOf(d.Scenario)); ok {
				s.Target = drill.Numbers{RTOSeconds: obj.RTO.Seconds(), RPOSeconds: obj.RPO.Seconds(), Known: true}
			}
		}
		var rto, rpo, estimated []float64
		conditioned := false
		passed := 0
		for _, run := range runs {
			if run.Key != s.Key {
				continue
			}
			s.Runs = append(s.Runs, run)
			if run.Passed {
				passed++
			}
			if run.estimate.Known {
				if !s.Estimate.Known {
					s.Estimate = run.estimate
				}
				estimated = append(estimated, run.estimate.RTOSeconds)
				conditioned = conditioned || run.estimate.How != ""
			}
			if run.target.Known {
				s.Target = run.target // the drill's own reading of the objective
			}
			if run.Measured.Known {
				rto, rpo = append(rto, run.Measured.RTOSeconds), append(rpo, run.Measured.RPOSeconds)
			}
		}
		s.RTO, s.RPO = StatsOf(rto), StatsOf(rpo)
		if conditioned {
			// each run's estimate was for what its drill found (the DNS
			// checks' phase, the WAL to replay): compare medians
			s.Estimate.RTOSeconds = StatsOf(estimated).Median
			s.Estimate.How = fmt.Sprintf("the median of %d runs' estimates, each for what its drill found", len(estimated))
		}
		s.AllPassed = passed == s.Planned
		s.WithinTarget = s.RTO.N > 0 && (!s.Target.Known || s.RTO.Median <= s.Target.RTOSeconds && s.RPO.Median <= s.Target.RPOSeconds)
		if s.Estimate.Known && s.RTO.N > 0 {
			var a, b bool
			s.RTOError, a = ErrorPercent(s.RTO.Median, s.Estimate.RTOSeconds)
			s.RPOError, b = ErrorPercent(s.RPO.Median, s.Estimate.RPOSeconds)
			if s.Estimate.RPOUpTo {
				b = s.RPO.Median <= s.Estimate.RPOSeconds // a bound: within it agrees
			}
			agrees := a && b
			s.EstimateAgrees = &agrees
		}
		s.Passed = s.AllPassed && s.WithinTarget
		r.Scenarios = append(r.Scenarios, s)
	}
	r.judge()
	return r
}

// judge sets the game day's verdict: every scenario passed and none
// regressed, and it ran its whole plan.
func (r *Report) judge() {
	r.Passed = r.Stopped == "" && len(r.Scenarios) > 0
	for _, s := range r.Scenarios {
		r.Passed = r.Passed && s.Passed && !s.Gate.Regressed
	}
}

// Drilled counts the runs that got as far as a drill report (the rest
// could not be prepared).
func (r *Report) Drilled() int {
	n := 0
	for _, s := range r.Scenarios {
		for _, run := range s.Runs {
			if run.hasReport {
				n++
			}
		}
	}
	return n
}

// Failures counts the scenarios that failed their verdict or regressed.
func (r *Report) Failures() (failed, regressed int) {
	for _, s := range r.Scenarios {
		if !s.Passed {
			failed++
		}
		if s.Gate.Regressed {
			regressed++
		}
	}
	return failed, regressed
}

// disruptionOf is the disruption a scenario's objective is declared for,
// when no drill ran to say (drill.Scenario.Disruption is the authority).
func disruptionOf(sc drill.ScenarioName) topology.Disruption {
	switch sc {
	case drill.InstanceLoss:
		return topology.DisruptionInstance
	case drill.ZoneLoss:
		return topology.DisruptionZone
	case drill.RegionLoss, drill.RegionPartition:
		return topology.DisruptionRegion
	}
	return topology.DisruptionDatabase
}

// verdict is a scenario's verdict in a word or three.
func (s Scenario) verdict() string {
	switch {
	case s.Passed:
		return "passed"
	case len(s.Runs) < s.Planned:
		return fmt.Sprintf("FAILED (%d of %d runs ran)", len(s.Runs), s.Planned)
	case !s.AllPassed:
		return "FAILED (a run failed)"
	}
	return "FAILED (past the target)"
}
