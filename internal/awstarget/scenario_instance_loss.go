package awstarget

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.InstanceLoss, scenario{disruption: topology.DisruptionInstance, build: func(_ context.Context, b *build) (drill.Scenario, error) {
		if b.req.Service.Runtime == topology.RuntimeContainer {
			return nil, target.Errorf(target.ErrBadRequest, "instance-loss of the container service %s needs --fis-template (a template with aws:ecs:stop-task)", b.req.Service.Name)
		}
		scope := awsrunbook.Scope{Environment: b.topo.Environment.Name, Region: b.req.Region, Service: b.req.Service.Name}
		return &InstanceLoss{Ops: b.ops, Scope: scope, Wait: b.req.Wait}, nil
	}})
}

// InstanceLoss terminates one in-service instance of a service's
// autoscaling group in a region; the group replaces it.
type InstanceLoss struct {
	Ops    *awsrunbook.Clients
	Scope  awsrunbook.Scope
	Wait   time.Duration
	Clock  clock.Clock
	group  awsrunbook.Group
	victim string
}

var (
	_ drill.Scenario = (*InstanceLoss)(nil)
	_ drill.Clocked  = (*InstanceLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *InstanceLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *InstanceLoss) Name() drill.ScenarioName        { return drill.InstanceLoss }
func (s *InstanceLoss) Disruption() topology.Disruption { return topology.DisruptionInstance }

func (s *InstanceLoss) Inject(ctx context.Context) (string, error) {
	groups, err := s.Ops.Groups(ctx, s.Scope)
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		if len(g.InService) > 0 {
			s.group, s.victim = g, g.InService[0]
			if err := s.Ops.TerminateInstance(ctx, g, s.victim); err != nil {
				return "", err
			}
			return fmt.Sprintf("terminated %s (%s) of %s in %s", s.victim, g.Zones[s.victim], g.Name, g.Region), nil
		}
	}
	return "", fmt.Errorf("%w: no instance in service in the groups of %s", drill.ErrPreflight, s.Scope)
}

func (s *InstanceLoss) Recover(context.Context) (string, error) {
	return "nothing to do: the group replaces the instance and the load balancer routes around it", nil
}

func (s *InstanceLoss) Restore(ctx context.Context) (string, error) {
	if s.victim == "" {
		return "nothing was terminated", nil
	}
	var g awsrunbook.Group
	err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		g, err = s.Ops.WaitWhole(ctx, s.group.Region, s.group.Name, []string{s.victim}, waitOr(s.Wait))
		return err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s whole again: %d/%d in service", g.Name, len(g.InService), g.Desired), nil
}
