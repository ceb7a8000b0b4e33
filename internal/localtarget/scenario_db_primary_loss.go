package localtarget

import (
	"context"
	"fmt"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.DatabasePrimaryLoss, func(b *build) (drill.Scenario, error) {
		if b.req.Service.Database == nil {
			return nil, target.Errorf(target.ErrBadRequest, "service %s has no database", b.req.Service.Name)
		}
		return &DatabasePrimaryLoss{Plane: b.plane, Topology: b.topo, Service: b.req.Service}, nil
	})
}

// DatabasePrimaryLoss kills the primary database member of a service; the
// runbook promotes the first surviving replica. The former primary stays
// down until its region is rebuilt (no split brain).
type DatabasePrimaryLoss struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Service  topology.Service
}

var _ drill.Scenario = (*DatabasePrimaryLoss)(nil)

func (s *DatabasePrimaryLoss) Name() drill.ScenarioName        { return drill.DatabasePrimaryLoss }
func (s *DatabasePrimaryLoss) Disruption() topology.Disruption { return topology.DisruptionDatabase }

// ids are the primary's member and the first replica's (the zero ID when
// there is none).
func (s *DatabasePrimaryLoss) ids() (primary, replica localapi.ServiceID, err error) {
	if s.Service.Database == nil {
		return primary, replica, fmt.Errorf("service %s has no database", s.Service.Name)
	}
	p, replicas := s.Topology.PrimaryRegionOf(s.Service)
	env := s.Topology.Environment.Name
	primary = localapi.ServiceID{Env: env, Region: p, Service: s.Service.Name}
	if len(replicas) > 0 {
		replica = localapi.ServiceID{Env: env, Region: replicas[0], Service: s.Service.Name}
	}
	return primary, replica, nil
}

func (s *DatabasePrimaryLoss) Inject(ctx context.Context) (string, error) {
	primary, _, err := s.ids()
	if err != nil {
		return "", err
	}
	killed, err := localapi.Do(ctx, s.Plane, localapi.KillDatabase, primary, localapi.None{})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("killed the primary %s (pid %d)", primary, killed.PID), nil
}

func (s *DatabasePrimaryLoss) Recover(ctx context.Context) (string, error) {
	_, replica, err := s.ids()
	if err != nil {
		return "", err
	}
	if replica == (localapi.ServiceID{}) {
		return "", fmt.Errorf("no replica to promote: restore from backup (not automated yet)")
	}
	if _, err := localapi.Do(ctx, s.Plane, localapi.PromoteDatabase, replica, localapi.None{}); err != nil {
		return "", err
	}
	return fmt.Sprintf("promoted %s; instances reach it through their multi-host database URL", replica), nil
}

func (s *DatabasePrimaryLoss) Restore(ctx context.Context) (string, error) {
	primary, replica, _ := s.ids()
	return fmt.Sprintf("stays failed over: %s is the primary; %s rejoins as a replica when its region is rebuilt", replica, primary), nil
}
