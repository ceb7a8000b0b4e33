package ladder

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

// Bill is what a Costing makes of a plan: the monthly total and each
// service's share, in US dollars.
type Bill struct {
	Total     float64
	ByService map[string]float64
}

// Costing prices plans on AWS: internal/cost over internal/pricing's
// catalog in the CLI, a fake of fixed prices in tests.
type Costing interface {
	// AsAWS is a local topology as the same topology on aws, with the
	// region mapping (local region -> AWS region).
	AsAWS(t *topology.Topology) (*topology.Topology, map[string]string, error)
	// Estimate is the monthly bill of an aws topology's plan.
	Estimate(t *topology.Topology, p *plan.Plan) (Bill, error)
}

// Options set up a ladder.
type Options struct {
	// Project is the Pulumi project name the plans use.
	Project string
	// Timings are the target's figures for the estimates (nil: its
	// defaults), as `bulwark plan` gives the assessment.
	Timings *policies.Timings
	// Services are the services to climb (empty: every one), in file order.
	Services []string
}

// Ladder is every service's steps.
type Ladder struct {
	Environment string `json:"environment"`
	Target      string `json:"target"`
	// Mapping is the region mapping the bills were priced through (a local
	// environment priced as on AWS); empty for an aws environment.
	Mapping  map[string]string `json:"region_mapping,omitempty"`
	Services []ServiceLadder   `json:"services"`
	// Targets are the environment's declared objectives for zone and
	// region loss (nil: none declared).
	ZoneTarget   *Objective `json:"zone_target,omitempty"`
	RegionTarget *Objective `json:"region_target,omitempty"`
	// Assumes are the availability estimate's failure rates.
	Assumes string `json:"assumes"`
}

// Objective is a declared RTO/RPO target.
type Objective struct {
	RTO time.Duration `json:"-"`
	RPO time.Duration `json:"-"`
	// for JSON
	RTOSeconds float64 `json:"rto_seconds"`
	RPOSeconds float64 `json:"rpo_seconds"`
}

// ServiceLadder is one service's steps, cheapest first as the ladder
// orders them, and those it cannot take.
type ServiceLadder struct {
	Service string    `json:"service"`
	Steps   []Step    `json:"variants"`
	Skipped []Skipped `json:"left_out,omitempty"`
	// SLO is the availability the service promises (0: none).
	SLO float64 `json:"slo,omitempty"`
}

// Declared is the service's step as declared.
func (s ServiceLadder) Declared() *Step {
	for i := range s.Steps {
		if s.Steps[i].Kind == Declared {
			return &s.Steps[i]
		}
	}
	return nil
}

// Step is one variant's figures.
type Step struct {
	Kind    Kind     `json:"variant"`
	Title   string   `json:"title"`
	Changes []string `json:"changes"`
	Regions []string `json:"regions"`
	Mode    string   `json:"mode"`
	// Cost is the environment's monthly bill with this variant; Service
	// the service's share of it; Delta the bill's difference from the
	// environment as declared.
	Cost    float64 `json:"monthly_cost"`
	Service float64 `json:"service_monthly_cost"`
	Delta   float64 `json:"delta_vs_declared"`
	// Zone and Region are the estimates for losing a zone and a region.
	Zone   Recovery `json:"zone"`
	Region Recovery `json:"region"`
	// Availability is the service's estimated availability, with what it
	// needs in series; Own by its own redundancy.
	Availability float64 `json:"availability"`
	Own          float64 `json:"own_availability"`
	How          string  `json:"availability_how"`
	// AvailabilityMet is nil when the service declares no SLO.
	AvailabilityMet *bool `json:"availability_met,omitempty"`
	// NextNine is the cheapest step whose own availability has at least
	// one nine more than this one's (nil: none of the steps has). Own, not
	// with what the service needs: a dependency in series caps the total
	// whatever the service's redundancy, and the steps change only that.
	NextNine *NextNine `json:"next_nine,omitempty"`
}

// Recovery is an RTO/RPO estimate against its target.
type Recovery struct {
	RTO           time.Duration `json:"-"`
	RPO           time.Duration `json:"-"`
	RTOSeconds    float64       `json:"rto_seconds"`
	RPOSeconds    float64       `json:"rpo_seconds"`
	Unrecoverable bool          `json:"unrecoverable,omitempty"`
	How           string        `json:"how"`
	// Met is nil when the environment declares no target for it.
	Met *bool `json:"met,omitempty"`
}

// NextNine is what one more nine of availability costs from a step.
type NextNine struct {
	Nines int     `json:"nines"`
	Kind  Kind    `json:"variant"`
	Delta float64 `json:"delta"`
}

// Build climbs the ladder of every service: each variant planned, priced
// and assessed.
func Build(ctx context.Context, t *topology.Topology, c Costing, opts Options) (*Ladder, error) {
	l := &Ladder{Environment: t.Environment.Name, Target: string(t.Environment.Target)}
	if o, ok := t.Environment.Objective(topology.DisruptionZone); ok {
		l.ZoneTarget = objective(o)
	}
	if o, ok := t.Environment.Objective(topology.DisruptionRegion); ok {
		l.RegionTarget = objective(o)
	}
	tm := policies.DefaultTimings(t.Environment.Target)
	if opts.Timings != nil {
		tm = *opts.Timings
	}
	rel := policies.DefaultReliability(tm)
	l.Assumes = rel.Instance.Source + "; " + rel.Zone.Source + "; " + rel.Region.Source
	for _, s := range t.Services {
		if len(opts.Services) > 0 && !slices.Contains(opts.Services, s.Name) {
			continue
		}
		variants, skipped, err := Variants(t, s.Name)
		if err != nil {
			return nil, err
		}
		sl := ServiceLadder{Service: s.Name, Skipped: skipped}
		if s.SLO != nil {
			sl.SLO = s.SLO.Availability
		}
		for _, v := range variants {
			step, mapping, err := climb(ctx, v, c, opts, tm, rel)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", s.Name, v.Kind.Title(), err)
			}
			if len(mapping) > 0 {
				l.Mapping = mapping
			}
			sl.Steps = append(sl.Steps, step)
		}
		settleLadder(&sl)
		l.Services = append(l.Services, sl)
	}
	return l, nil
}

func objective(o topology.Objective) *Objective {
	return &Objective{RTO: o.RTO, RPO: o.RPO, RTOSeconds: o.RTO.Seconds(), RPOSeconds: o.RPO.Seconds()}
}

// climb plans, prices and assesses one variant.
func climb(ctx context.Context, v Variant, c Costing, opts Options, tm policies.Timings, rel policies.Reliability) (Step, map[string]string, error) {
	vt := v.Topology
	svc := vt.Services[slices.IndexFunc(vt.Services, func(s topology.Service) bool { return s.Name == v.Service })]
	step := Step{Kind: v.Kind, Title: v.Kind.Title(), Changes: slices.DeleteFunc(slices.Clone(v.Changes), func(s string) bool { return s == "" }),
		Regions: svc.Regions, Mode: string(svc.Mode)}
	pl, err := plan.Build(ctx, vt, plan.Options{Project: opts.Project})
	if err != nil {
		return step, nil, err
	}
	ReduceStandby(pl, vt.Environment.Name, v.Service, v.StandbyRegions, v.Standby)

	// the bill: of this plan on aws, or of the same topology as on aws
	priced, pricedPlan, mapping := vt, pl, map[string]string(nil)
	if vt.Environment.Target != topology.TargetAWS {
		if priced, mapping, err = c.AsAWS(vt); err != nil {
			return step, nil, fmt.Errorf("as on aws: %w", err)
		}
		if pricedPlan, err = plan.Build(ctx, priced, plan.Options{Project: opts.Project}); err != nil {
			return step, nil, fmt.Errorf("as on aws: %w", err)
		}
		var mapped []string
		for _, r := range v.StandbyRegions {
			mapped = append(mapped, cmp.Or(mapping[r], r))
		}
		ReduceStandby(pricedPlan, priced.Environment.Name, v.Service, mapped, v.Standby)
	}
	bill, err := c.Estimate(priced, pricedPlan)
	if err != nil {
		return step, nil, err
	}
	step.Cost, step.Service = bill.Total, bill.ByService[v.Service]

	// the assessment, as `bulwark plan` makes it
	m := policies.FromPlan(vt, pl)
	if !m.Adapted {
		return step, nil, fmt.Errorf("the %s target's services are not modelled: no assessment", vt.Environment.Target)
	}
	m.Timings = &tm
	a := policies.Assess(m)
	var primary string
	for _, s := range m.Services {
		if s.Decl.Name == v.Service && len(s.Regions) > 0 {
			primary, _ = vt.PrimaryRegionOf(s.Decl)
		}
	}
	restoreRTO := time.Duration(0)
	for i := range a.Scenarios {
		e := &a.Scenarios[i]
		if e.Service != v.Service || e.Region != primary {
			continue
		}
		switch {
		case v.ScaleUp && (e.Scenario == policies.ScenarioRegionLoss || e.Scenario == policies.ScenarioRegionPartition ||
			e.Scenario == policies.ScenarioZoneLoss && e.Disruption == topology.DisruptionZone && e.RTO > 0 && zoneIsRegion(m, v.Service, primary)):
			scaleUp(e, tm)
		case v.RestoreIn != "" && (e.Scenario == policies.ScenarioRegionLoss || e.Scenario == policies.ScenarioRegionPartition):
			restoreElsewhere(e, svc, v.RestoreIn, tm)
			restoreRTO = max(restoreRTO, e.RTO)
		}
	}
	if v.ScaleUp {
		// the availability counts the standby as it serves after the scale-up
		for _, s := range m.Services {
			for _, d := range s.Regions {
				if s.Decl.Name == v.Service && slices.Contains(v.StandbyRegions, d.Region) && d.Group != nil {
					d.Group.Min, d.Group.Desired = s.Decl.Capacity.Min, s.Decl.Capacity.Desired
				}
			}
		}
	}
	for _, sa := range policies.EstimateAvailability(m, rel, a) {
		if sa.Service != v.Service {
			continue
		}
		step.Own, step.Availability, step.How = sa.Own, sa.Total, sa.How
		if v.RestoreIn != "" && restoreRTO > 0 {
			// a region's loss lasts the restore, not the region's repair
			shorter := policies.Outages{PerYear: rel.Region.PerYear, Repair: min(restoreRTO, rel.Region.Repair)}
			needs := 1.0
			if sa.Own > 0 {
				needs = sa.Total / sa.Own
			}
			step.Own = sa.Own / rel.Region.Availability() * shorter.Availability()
			step.Availability = step.Own * needs
			step.How += fmt.Sprintf("; a region's loss lasts the restore in %s (%s), not its repair (%s)", v.RestoreIn, fmtD(restoreRTO), fmtD(rel.Region.Repair))
		}
		if sa.SLO > 0 {
			met := step.Availability >= sa.SLO
			step.AvailabilityMet = &met
		}
	}
	vtEnv := vt.Environment
	step.Zone = recovery(v.Service, topology.DisruptionZone, a.Scenarios, vtEnv)
	step.Region = recovery(v.Service, topology.DisruptionRegion, a.Scenarios, vtEnv)
	return step, mapping, nil
}

// zoneIsRegion says whether a zone's loss takes every instance of the
// service's primary region (the assessment then estimates it as the
// region's loss).
func zoneIsRegion(m *policies.Model, service, region string) bool {
	for _, s := range m.Services {
		for _, d := range s.Regions {
			if s.Decl.Name == service && d.Region == region && d.Group != nil {
				return min(d.Group.Zones, d.Group.Desired) < 2
			}
		}
	}
	return false
}

// scaleUp adds a pilot light's scale-up to a failover: the clients are
// back once the standby's instances serve, the runbook's action and an
// instance's launch after the loss, or once the other paths are, whichever
// is later.
func scaleUp(e *policies.ScenarioEstimate, tm policies.Timings) {
	if e.Unrecoverable {
		return
	}
	terms := []policies.Term{{What: "the runbook acts", D: tm.Detect.D, Source: tm.Detect.Source},
		{What: "the standby's group scaled up from 0: a new instance", D: tm.Replace.D, Source: tm.Replace.Source}}
	d := policies.Sum(terms)
	if d > e.RTO {
		e.RTOHow = fmt.Sprintf("scale-up: %s (the assessment's failover alone: %s: %s)", howTerms(terms), fmtD(e.RTO), e.RTOHow)
		e.RTO, e.RTOTerms = d, terms
	} else {
		e.RTOHow += fmt.Sprintf(" (the standby's scale-up back in %s)", fmtD(d))
	}
}

// restoreElsewhere is a backup-and-restore step's recovery from its one
// region's loss, which the assessment counts unrecoverable: the runbook
// acts, restores the newest copy in the copy region and deploys the
// service there (in parallel: an instance's launch), the instances
// connect, and clients follow the service's DNS record to it. The writes
// since the newest backup are lost, as the assessment counts a restore's.
func restoreElsewhere(e *policies.ScenarioEstimate, s topology.Service, into string, tm policies.Timings) {
	if s.Backup == nil {
		return
	}
	restore := []policies.Term{{What: "the runbook acts", D: tm.Detect.D, Source: tm.Detect.Source},
		{What: "restore the newest copy in " + into, D: tm.Restore.D, Source: tm.Restore.Source},
		{What: "instances reconnect", D: tm.Reconnect.D, Source: tm.Reconnect.Source}}
	if tm.Archive.D > 0 && tm.RestoreSegment.D > 0 {
		segments := float64(s.Backup.Every/2) / float64(tm.Archive.D)
		restore = append(restore, policies.Term{What: "replay the WAL archived since the newest backup", D: time.Duration(segments * float64(tm.RestoreSegment.D)), Source: tm.RestoreSegment.Source})
	}
	launch := []policies.Term{{What: "the runbook acts", D: tm.Detect.D, Source: tm.Detect.Source},
		{What: "the service deployed in " + into + ": a new instance", D: tm.Replace.D, Source: tm.Replace.Source}}
	slow := restore
	if policies.Sum(launch) > policies.Sum(restore) {
		slow = launch
	}
	terms := append(slices.Clone(slow), policies.Term{What: "clients keep the old answer", D: s.DNS.TTL / 2, Source: fmt.Sprintf("TTL %s: half of it, typically", fmtD(s.DNS.TTL))})
	rpo := []policies.Term{{What: "writes since the newest copied backup", D: s.Backup.Every / 2, Source: fmt.Sprintf("a backup every %s, copied to %s: half of it, typically (the copy's own time not counted)", fmtD(s.Backup.Every), into)}}
	if tm.Archive.D > 0 {
		rpo = []policies.Term{{What: "writes not yet archived", D: tm.Archive.D / 2, Source: tm.Archive.Source + ": half of it, typically"}}
	}
	e.Unrecoverable = false
	e.RTO, e.RTOTerms = policies.Sum(terms), terms
	e.RTOHow = "restored in " + into + " (the ladder's terms; the assessment has no restore into another region): " + howTerms(terms)
	e.RPO, e.RPOTerms, e.RPOHow = policies.Sum(rpo), rpo, howTerms(rpo)
}

// recovery is a disruption's estimate for a service: its worst scenario
// (an unrecoverable one first, then the longest RTO, then RPO), as the
// assessment picks it, against the environment's target.
func recovery(service string, d topology.Disruption, scenarios []policies.ScenarioEstimate, env topology.Environment) Recovery {
	var worst *policies.ScenarioEstimate
	for i := range scenarios {
		e := &scenarios[i]
		if e.Service != service || e.Disruption != d || e.Scenario == policies.ScenarioBackupRestore {
			continue
		}
		if worst == nil || e.Unrecoverable && !worst.Unrecoverable || !worst.Unrecoverable && (e.RTO > worst.RTO || e.RTO == worst.RTO && e.RPO > worst.RPO) {
			worst = e
		}
	}
	if worst == nil {
		return Recovery{How: "not estimated"}
	}
	r := Recovery{RTO: worst.RTO, RPO: worst.RPO, RTOSeconds: worst.RTO.Seconds(), RPOSeconds: worst.RPO.Seconds(), Unrecoverable: worst.Unrecoverable,
		How: worst.Scenario + " of " + worst.Region + ": " + worst.RTOHow + "; " + worst.RPOHow}
	if o, ok := env.Objective(d); ok {
		e := policies.Estimate{RTO: worst.RTO, RPO: worst.RPO, Unrecoverable: worst.Unrecoverable, Target: &o}
		met := e.Met()
		r.Met = &met
	}
	if r.Unrecoverable {
		r.RTOSeconds, r.RPOSeconds = 0, 0 // never: see unrecoverable
	}
	return r
}

// settleLadder fills in each step's difference from the declared bill and
// what its next nine costs.
func settleLadder(sl *ServiceLadder) {
	decl := sl.Declared()
	for i := range sl.Steps {
		s := &sl.Steps[i]
		if decl != nil {
			s.Delta = s.Cost - decl.Cost
		}
		want := Nines(s.Own) + 1
		var best *Step
		for j := range sl.Steps {
			o := &sl.Steps[j]
			if Nines(o.Own) >= want && (best == nil || o.Cost < best.Cost) {
				best = o
			}
		}
		if best != nil {
			s.NextNine = &NextNine{Nines: want, Kind: best.Kind, Delta: best.Cost - s.Cost}
		}
	}
}

// Nines counts an availability's nines: 2 for 99%, 3 for 99.9% and
// 99.95%, 4 for 99.99%.
func Nines(a float64) int {
	if a >= 1 {
		return 9
	}
	if a <= 0 {
		return 0
	}
	return int(math.Floor(-math.Log10(1-a) + 1e-9))
}

// ReduceStandby sets the planned instance groups of a service in the
// given regions to a capacity (nil: nothing changes): the local target's
// instance group, the aws target's Auto Scaling group, or ECS service and
// its scaling target. The bill and the assessment read these inputs.
func ReduceStandby(p *plan.Plan, env, service string, regions []string, c *topology.Capacity) {
	if c == nil {
		return
	}
	for si := range p.Stacks {
		st := &p.Stacks[si]
		if !slices.ContainsFunc(regions, func(r string) bool { return st.Stack == env+"."+r }) {
			continue
		}
		for ri := range st.Resources {
			r := &st.Resources[ri]
			if r.Name != service {
				continue
			}
			set := map[string]int{}
			switch r.Type {
			case contract.TypeLocalInstanceGroup:
				set = map[string]int{"min": c.Min, "desired": c.Desired, "max": c.Max}
			case "aws:autoscaling/group:Group":
				set = map[string]int{"minSize": c.Min, "desiredCapacity": c.Desired, "maxSize": c.Max}
			case "aws:ecs/service:Service":
				set = map[string]int{"desiredCount": c.Desired}
			case "aws:appautoscaling/target:Target":
				set = map[string]int{"minCapacity": c.Min, "maxCapacity": c.Max}
			}
			if len(set) == 0 {
				continue
			}
			in := make(map[string]any, len(r.Inputs))
			for k, v := range r.Inputs {
				in[k] = v
			}
			for k, v := range set {
				in[k] = float64(v)
			}
			r.Inputs = in
		}
	}
}

func howTerms(terms []policies.Term) string {
	s := ""
	for i, t := range terms {
		if i > 0 {
			s += " + "
		}
		s += t.What + " " + fmtD(t.D)
	}
	return s
}
