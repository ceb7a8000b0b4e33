package awstarget

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

func init() {
	register(drill.DatabasePrimaryLoss, scenario{disruption: topology.DisruptionDatabase, build: func(_ context.Context, b *build) (drill.Scenario, error) {
		if err := needsAurora(b); err != nil {
			return nil, err
		}
		return &DatabasePrimaryLoss{Ops: b.ops, Topology: b.topo, Service: b.req.Service, Wait: b.req.Wait}, nil
	}})
}

// DatabasePrimaryLoss treats the writer of a service's Aurora global
// cluster as lost: the runbook fails over (data loss allowed) to the next
// region of the service; the return to steady state switches back.
type DatabasePrimaryLoss struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
	Service  topology.Service
	Wait     time.Duration
	Clock    clock.Clock
	from, to string
}

var (
	_ drill.Scenario = (*DatabasePrimaryLoss)(nil)
	_ drill.Clocked  = (*DatabasePrimaryLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *DatabasePrimaryLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *DatabasePrimaryLoss) moveWriter(ctx context.Context, to string, dataLoss bool) error {
	return withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error {
		_, err := s.Ops.MoveWriter(ctx, s.id(), to, dataLoss, waitOr(s.Wait))
		return err
	})
}

func (s *DatabasePrimaryLoss) Name() drill.ScenarioName        { return drill.DatabasePrimaryLoss }
func (s *DatabasePrimaryLoss) Disruption() topology.Disruption { return topology.DisruptionDatabase }

func (s *DatabasePrimaryLoss) id() string {
	return awsmodule.GlobalCluster(s.Topology, s.Service.Name)
}

// Inject declares the writer lost. Aurora offers no way to kill a writer;
// what clients see is the failover itself, which the recovery starts.
func (s *DatabasePrimaryLoss) Inject(ctx context.Context) (string, error) {
	if s.Service.Database == nil || s.Service.Database.Engine == topology.EngineDynamoDB {
		return "", fmt.Errorf("%w: service %s has no Aurora database", drill.ErrPreflight, s.Service.Name)
	}
	g, err := s.Ops.DescribeGlobal(ctx, s.Service.Regions[0], s.id())
	if err != nil {
		return "", err
	}
	s.from = awsrunbook.RegionOfARN(g.Writer)
	for _, r := range s.Service.Regions {
		if _, ok := g.Members[r]; ok && r != s.from {
			s.to = r
			break
		}
	}
	if s.to == "" {
		return "", fmt.Errorf("%w: global cluster %s has no secondary to fail over to", drill.ErrPreflight, s.id())
	}
	return fmt.Sprintf("the writer of %s in %s declared lost", s.id(), s.from), nil
}

func (s *DatabasePrimaryLoss) Recover(ctx context.Context) (string, error) {
	if err := s.moveWriter(ctx, s.to, true); err != nil {
		return "", err
	}
	return fmt.Sprintf("failed %s over to %s (data loss allowed)", s.id(), s.to), nil
}

func (s *DatabasePrimaryLoss) Restore(ctx context.Context) (string, error) {
	if s.from == "" {
		return "nothing was failed over", nil
	}
	if err := s.moveWriter(ctx, s.from, false); err != nil {
		return "", err
	}
	return fmt.Sprintf("switched %s back to %s without data loss", s.id(), s.from), nil
}
