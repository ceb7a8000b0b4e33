package gameday

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ErrBadInput is a game day asked for as it cannot run: an unknown service
// or scenario, a bad count, nothing that applies; the caller fixes the
// command line.
var ErrBadInput = errors.New("bad input")

// DefaultRuns is how many times each drill runs by default.
const DefaultRuns = 3

// MaxRuns bounds --runs: a game day is a rehearsal, not a soak test.
const MaxRuns = 20

// Drill is one planned drill: a scenario against one service in one region.
type Drill struct {
	Service  string             `json:"service"`
	Scenario drill.ScenarioName `json:"scenario"`
	Region   string             `json:"region"`
	// Settle says the drill leaves the environment failed over: after each
	// run the Runner brings it back (recreate-region --failback of Region).
	Settle bool `json:"settle,omitempty"`
}

// Key names the drill across game days: service/scenario/region.
func (d Drill) Key() string { return d.Service + "/" + string(d.Scenario) + "/" + d.Region }

// Label is how a line of progress or a report's row names the drill
// ("region-loss east", prefixed by the service when the game day has more
// than one).
func (d Drill) Label(withService bool) string {
	l := string(d.Scenario) + " " + d.Region
	if withService {
		return d.Service + " " + l
	}
	return l
}

// Skip is a scenario the target offers that the plan left out, and why.
type Skip struct {
	Service  string             `json:"service"`
	Scenario drill.ScenarioName `json:"scenario"`
	Why      string             `json:"why"`
}

// Plan is what a game day runs: each drill Runs times, in order.
type Plan struct {
	Environment string  `json:"environment"`
	Drills      []Drill `json:"drills"`
	Runs        int     `json:"runs"`
	Skipped     []Skip  `json:"skipped,omitempty"`
	// Services is how many services the plan drills.
	Services int `json:"services"`
}

// Total is how many drills the game day runs.
func (p *Plan) Total() int { return len(p.Drills) * p.Runs }

// PlanOptions restrict and size a plan.
type PlanOptions struct {
	// Offered are the scenarios the environment's target runs.
	Offered []drill.ScenarioName
	// Runs per drill (0: DefaultRuns).
	Runs int
	// Scenarios restricts the plan to these (empty: all that apply).
	Scenarios []drill.ScenarioName
	// Service restricts the plan to one service (empty: every one).
	Service string
	// WritersRestored says the target's drills return a failed-over
	// writer to its planned region in their own restore step (aws: a
	// switchover back), so no drill needs the environment brought back.
	WritersRestored bool
}

// NewPlan picks the drills that apply to the environment (see the package
// comment), in the order drill.ScenarioNames lists the scenarios, service
// by service.
func NewPlan(t *topology.Topology, o PlanOptions) (*Plan, error) {
	if o.Runs == 0 {
		o.Runs = DefaultRuns
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return nil, fmt.Errorf("%w: --runs must be between 1 and %d, not %d", ErrBadInput, MaxRuns, o.Runs)
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(o.Offered, s) {
			return nil, fmt.Errorf("%w: --scenario must be among %v on target %s, not %q", ErrBadInput, o.Offered, t.Environment.Target, s)
		}
	}
	p := &Plan{Environment: t.Environment.Name, Runs: o.Runs}
	found := false
	for _, svc := range t.Services {
		if o.Service != "" && svc.Name != o.Service {
			continue
		}
		found = true
		n := len(p.Drills)
		for _, sc := range drill.ScenarioNames {
			if !slices.Contains(o.Offered, sc) || len(o.Scenarios) > 0 && !slices.Contains(o.Scenarios, sc) {
				continue
			}
			regions, why := applies(t, svc, sc)
			if len(regions) == 0 {
				p.Skipped = append(p.Skipped, Skip{Service: svc.Name, Scenario: sc, Why: why})
			}
			for _, r := range regions {
				p.Drills = append(p.Drills, Drill{Service: svc.Name, Scenario: sc, Region: r, Settle: !o.WritersRestored && leavesFailedOver(t, svc, sc, r)})
			}
		}
		if len(p.Drills) > n {
			p.Services++
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: environment %s has no service %q", ErrBadInput, t.Environment.Name, o.Service)
	}
	if len(p.Drills) == 0 {
		var whys []string
		for _, s := range p.Skipped {
			whys = append(whys, fmt.Sprintf("%s %s: %s", s.Service, s.Scenario, s.Why))
		}
		return nil, fmt.Errorf("%w: no drill applies to environment %s as asked (%s)", ErrBadInput, t.Environment.Name, strings.Join(whys, "; "))
	}
	return p, nil
}

// applies lists the regions a scenario is drilled in for a service, or
// says why it does not apply.
func applies(t *topology.Topology, svc topology.Service, sc drill.ScenarioName) ([]string, string) {
	primary, others := t.PrimaryRegionOf(svc)
	if primary == "" {
		return nil, "the service runs in no region"
	}
	switch sc {
	case drill.InstanceLoss:
		return []string{primary}, ""
	case drill.ZoneLoss:
		if r, _ := t.Region(primary); r.Zones < 2 {
			return nil, fmt.Sprintf("region %s has %d zone(s); zone-loss needs 2 or more", primary, r.Zones)
		}
		return []string{primary}, ""
	case drill.RegionLoss:
		if len(others) == 0 {
			return nil, "the service runs in one region; region-loss needs 2 or more"
		}
		return []string{primary, others[0]}, ""
	case drill.RegionPartition:
		if len(others) == 0 {
			return nil, "the service runs in one region; region-partition needs 2 or more"
		}
		return []string{primary}, ""
	case drill.DatabasePrimaryLoss:
		if svc.Database == nil {
			return nil, "the service has no database"
		}
		return []string{primary}, ""
	case drill.BackupRestore:
		if svc.Backup == nil || svc.Database == nil {
			return nil, "the service has no database with a backup block"
		}
		if len(svc.Backup.CopyTo) > 0 {
			return []string{svc.Backup.CopyTo[0]}, "" // the vault it restores from (drill.Choose)
		}
		return []string{primary}, ""
	}
	return nil, "the game day does not know this scenario"
}

// leavesFailedOver says whether a drill leaves a database's writer
// elsewhere than planned: losing the database primary, or losing or
// cutting off a region that is any service's database primary region.
func leavesFailedOver(t *topology.Topology, svc topology.Service, sc drill.ScenarioName, region string) bool {
	switch sc {
	case drill.DatabasePrimaryLoss:
		return svc.Database != nil
	case drill.RegionLoss, drill.RegionPartition:
		for _, s := range t.Services {
			if p, _ := t.PrimaryRegionOf(s); s.Database != nil && p == region {
				return true
			}
		}
	}
	return false
}

// NeedsSettle says whether any drill of the plan must be followed by
// bringing the environment back.
func (p *Plan) NeedsSettle() bool {
	return slices.ContainsFunc(p.Drills, func(d Drill) bool { return d.Settle })
}

// DropSettling removes the drills that need bringing back, for a target
// that cannot, saying why in Skipped; it fails when nothing is left.
func (p *Plan) DropSettling(why string) error {
	return p.Drop(func(d Drill) string {
		if d.Settle {
			return fmt.Sprintf("%s leaves the writer failed over and %s", d.Region, why)
		}
		return ""
	}, "every drill asked for leaves the environment failed over, and "+why)
}

// Drop removes the drills for which why says something, saying it in
// Skipped; it fails, saying none, when nothing is left.
func (p *Plan) Drop(why func(Drill) string, none string) error {
	var kept []Drill
	for _, d := range p.Drills {
		if w := why(d); w != "" {
			p.Skipped = append(p.Skipped, Skip{Service: d.Service, Scenario: d.Scenario, Why: w})
			continue
		}
		kept = append(kept, d)
	}
	p.Drills = kept
	if len(kept) == 0 {
		return fmt.Errorf("%w: %s", ErrBadInput, none)
	}
	return nil
}
