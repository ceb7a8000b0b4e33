package gameday

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

var everyScenario = drill.ScenarioNames

// topo is an environment of the given regions (the first primary) and services.
func topo(regions []topology.Region, services ...topology.Service) *topology.Topology {
	regions[0].Primary = true
	return &topology.Topology{
		Environment: topology.Environment{Name: "t", Target: topology.TargetLocal, Objectives: []topology.Objective{
			{Disruption: topology.DisruptionZone, RTO: 30 * time.Second},
			{Disruption: topology.DisruptionRegion, RTO: time.Minute},
		}},
		Regions: regions, Services: services,
	}
}

// devLike is dev: east (primary) and west, 3 zones each; shop with a
// synchronous database whose backups are copied to west.
func devLike() *topology.Topology {
	return topo([]topology.Region{{Name: "east", Zones: 3}, {Name: "west", Zones: 3}},
		topology.Service{Name: "shop", Regions: []string{"east", "west"},
			Database: &topology.Database{Engine: topology.EnginePostgres, Replication: topology.Synchronous},
			Backup:   &topology.Backup{CopyTo: []string{"west"}}})
}

func labels(p *Plan) string {
	var out []string
	for _, d := range p.Drills {
		l := d.Label(p.Services > 1)
		if d.Settle {
			l += "*"
		}
		out = append(out, l)
	}
	return strings.Join(out, ", ")
}

func TestPlanPerTopology(t *testing.T) {
	for _, c := range []struct {
		name    string
		topo    *topology.Topology
		opts    PlanOptions
		want    string // * marks the drills followed by recreate-region --failback
		skipped int
	}{
		{"dev: every scenario, region-loss of each side", devLike(), PlanOptions{Offered: everyScenario},
			"instance-loss east, zone-loss east, region-loss east*, region-loss west, region-partition east*, db-primary-loss east*, backup-restore west", 0},
		{"a target whose drills switch the writer back: nothing to rebuild", devLike(), PlanOptions{Offered: everyScenario, WritersRestored: true},
			"instance-loss east, zone-loss east, region-loss east, region-loss west, region-partition east, db-primary-loss east, backup-restore west", 0},
		{"one region of one zone, no database", topo([]topology.Region{{Name: "solo", Zones: 1}}, topology.Service{Name: "web", Regions: []string{"solo"}}),
			PlanOptions{Offered: everyScenario}, "instance-loss solo", 5},
		{"two regions, no database: region-loss needs no failback", topo([]topology.Region{{Name: "a", Zones: 2}, {Name: "b", Zones: 1}}, topology.Service{Name: "web", Regions: []string{"a", "b"}}),
			PlanOptions{Offered: everyScenario}, "instance-loss a, zone-loss a, region-loss a, region-loss b, region-partition a", 2},
		{"a database without backups; the target offers no partition", topo([]topology.Region{{Name: "a", Zones: 2}, {Name: "b", Zones: 2}},
			topology.Service{Name: "db", Regions: []string{"a", "b"}, Database: &topology.Database{Engine: topology.EnginePostgres}}),
			PlanOptions{Offered: []drill.ScenarioName{drill.InstanceLoss, drill.RegionLoss, drill.DatabasePrimaryLoss, drill.BackupRestore}},
			"instance-loss a, region-loss a*, region-loss b, db-primary-loss a*", 1},
		{"restricted to region-loss and a service", devLike(), PlanOptions{Offered: everyScenario, Scenarios: []drill.ScenarioName{drill.RegionLoss}, Service: "shop"},
			"region-loss east*, region-loss west", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPlan(c.topo, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := labels(p); got != c.want {
				t.Errorf("drills\n got %s\nwant %s", got, c.want)
			}
			if len(p.Skipped) != c.skipped {
				t.Errorf("skipped %+v, want %d", p.Skipped, c.skipped)
			}
			if p.Runs != DefaultRuns || p.Total() != len(p.Drills)*3 {
				t.Errorf("runs %d, total %d", p.Runs, p.Total())
			}
		})
	}
}

// Losing a region takes every service's processes there: a stateless
// service's region-loss of the region where another service's database
// primary lives leaves that writer failed over too.
func TestPlanSettlesForAnotherServicesDatabase(t *testing.T) {
	tp := topo([]topology.Region{{Name: "east", Zones: 1}, {Name: "west", Zones: 1}},
		topology.Service{Name: "web", Regions: []string{"east", "west"}},
		topology.Service{Name: "api", Regions: []string{"east", "west"}, Database: &topology.Database{Engine: topology.EnginePostgres}})
	p, err := NewPlan(tp, PlanOptions{Offered: []drill.ScenarioName{drill.RegionLoss}, Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(p), "web region-loss east*, web region-loss west, api region-loss east*, api region-loss west"; got != want {
		t.Errorf("drills\n got %s\nwant %s", got, want)
	}
	if err := p.DropSettling("target x cannot"); err != nil {
		t.Fatal(err)
	}
	if got := labels(p); got != "web region-loss west, api region-loss west" || len(p.Skipped) != 2 || !strings.Contains(p.Skipped[0].Why, "target x cannot") {
		t.Errorf("after DropSettling: %s; skipped %+v", got, p.Skipped)
	}
}

func TestPlanBadInput(t *testing.T) {
	solo := topo([]topology.Region{{Name: "solo", Zones: 1}}, topology.Service{Name: "web", Regions: []string{"solo"}})
	for name, o := range map[string]PlanOptions{
		"runs 0 is the default, -1 is not": {Offered: everyScenario, Runs: -1},
		"too many runs":                    {Offered: everyScenario, Runs: MaxRuns + 1},
		"a scenario the target lacks":      {Offered: []drill.ScenarioName{drill.InstanceLoss}, Scenarios: []drill.ScenarioName{drill.ZoneLoss}},
		"no such service":                  {Offered: everyScenario, Service: "nope"},
		"nothing applies":                  {Offered: everyScenario, Scenarios: []drill.ScenarioName{drill.ZoneLoss, drill.RegionLoss}},
	} {
		if _, err := NewPlan(solo, o); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
}
