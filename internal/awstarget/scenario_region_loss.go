package awstarget

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

func init() {
	register(drill.RegionLoss, scenario{disruption: topology.DisruptionRegion,
		build:           func(_ context.Context, b *build) (drill.Scenario, error) { return regionLossAfterExperiment(b), nil },
		afterExperiment: regionLossAfterExperiment})
}

// regionLossAfterExperiment is the runbook's part of a region's loss: fail
// the writers over, and back on restore.
func regionLossAfterExperiment(b *build) drill.Scenario {
	return &RegionLoss{Ops: b.ops, Topology: b.topo, Region: b.req.Region, Wait: b.req.Wait}
}

// RegionLoss takes a region out as its loss would look to clients and
// to the other regions: Route 53 health checks of its endpoints are
// inverted (DNS stops sending clients there, as when Route 53's checkers
// cannot reach it), and its groups' processes are suspended (nothing in
// the region reacts). The runbook fails over every Aurora global cluster
// whose writer was there; the return to steady state switches it back
// without data loss and undoes exactly what the injection did.
type RegionLoss struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
	Region   string
	Wait     time.Duration
	Clock    clock.Clock

	inverted  []awsrunbook.HealthCheck
	suspended map[string][]string // group name -> processes the drill suspended
	moved     map[string]string   // global cluster -> the region its writer was in
}

var (
	_ drill.Scenario = (*RegionLoss)(nil)
	_ drill.Clocked  = (*RegionLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *RegionLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *RegionLoss) Name() drill.ScenarioName        { return drill.RegionLoss }
func (s *RegionLoss) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *RegionLoss) scope(svc string) awsrunbook.Scope {
	return awsrunbook.Scope{Environment: s.Topology.Environment.Name, Region: s.Region, Service: svc}
}

func (s *RegionLoss) Inject(ctx context.Context) (string, error) {
	s.suspended = map[string][]string{}
	for _, svc := range s.Topology.ServicesIn(s.Region) {
		checks, err := s.Ops.HealthChecks(ctx, s.scope(svc.Name))
		if err != nil {
			return s.injected(), err
		}
		for _, h := range checks {
			if h.Inverted {
				continue // already out of DNS: an earlier, interrupted drill; Restore puts it back
			}
			h, err := s.Ops.SetInverted(ctx, h, true)
			if err != nil {
				return s.injected(), err
			}
			s.inverted = append(s.inverted, h)
		}
		if svc.Runtime == topology.RuntimeContainer {
			continue // ECS services have no autoscaling group processes to suspend
		}
		groups, err := s.Ops.Groups(ctx, s.scope(svc.Name))
		if err != nil {
			return s.injected(), err
		}
		for _, g := range groups {
			procs, err := s.Ops.Suspend(ctx, g)
			if err != nil {
				return s.injected(), err
			}
			s.suspended[g.Name] = procs
		}
	}
	return s.injected(), nil
}

func (s *RegionLoss) injected() string {
	return fmt.Sprintf("region %s out of DNS: %d health checks inverted; %d autoscaling groups' processes suspended", s.Region, len(s.inverted), len(s.suspended))
}

// Recover fails over every global cluster whose writer is in the lost region.
func (s *RegionLoss) Recover(ctx context.Context) (string, error) {
	s.moved = map[string]string{}
	var steps []string
	for _, svc := range s.Topology.ServicesIn(s.Region) {
		if svc.Database == nil || svc.Database.Engine == topology.EngineDynamoDB {
			continue // a DynamoDB global table takes writes in every region
		}
		id := awsmodule.GlobalCluster(s.Topology, svc.Name)
		survivor := ""
		for _, r := range svc.Regions {
			if r != s.Region {
				survivor = r
				break
			}
		}
		if survivor == "" {
			steps = append(steps, fmt.Sprintf("%s: no other region to fail over to; restore from backup", svc.Name))
			continue
		}
		g, err := s.Ops.DescribeGlobal(ctx, survivor, id)
		if err != nil {
			return strings.Join(steps, "; "), err
		}
		if awsrunbook.RegionOfARN(g.Writer) != s.Region {
			continue
		}
		if err := s.moveWriter(ctx, id, survivor, true); err != nil {
			return strings.Join(steps, "; "), err
		}
		s.moved[id] = s.Region
		steps = append(steps, fmt.Sprintf("%s: failed the global cluster over to %s", svc.Name, survivor))
	}
	if len(steps) == 0 {
		return "nothing to do: DNS health checks move clients to the other regions", nil
	}
	return strings.Join(steps, "; ") + "; DNS health checks move clients", nil
}

func (s *RegionLoss) moveWriter(ctx context.Context, id, to string, dataLoss bool) error {
	return withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error {
		_, err := s.Ops.MoveWriter(ctx, id, to, dataLoss, waitOr(s.Wait))
		return err
	})
}

// Restore puts the region back into DNS, resumes what it suspended and
// switches moved writers back.
func (s *RegionLoss) Restore(ctx context.Context) (string, error) {
	var notes []string
	var errs []error
	for _, h := range s.inverted {
		if _, err := s.Ops.SetInverted(ctx, h, false); err != nil {
			errs = append(errs, err)
		}
	}
	notes = append(notes, fmt.Sprintf("%d health checks back to normal", len(s.inverted)))
	for name, procs := range s.suspended {
		if err := s.Ops.Resume(ctx, s.Region, name, procs); err != nil {
			errs = append(errs, err)
		}
	}
	notes = append(notes, fmt.Sprintf("%d groups resumed", len(s.suspended)))
	for id, region := range s.moved {
		if err := s.moveWriter(ctx, id, region, false); err != nil {
			errs = append(errs, err)
			continue
		}
		notes = append(notes, fmt.Sprintf("%s switched back to %s without data loss", id, region))
	}
	return strings.Join(notes, "; "), errors.Join(errs...)
}
