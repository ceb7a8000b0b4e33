package localtarget

import (
	"context"
	"fmt"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.RegionLoss, func(b *build) (drill.Scenario, error) {
		return &RegionLoss{Plane: b.plane, Topology: b.topo, Region: b.req.Region}, nil
	})
}

// RegionLoss kills every process of a region on the local target (its
// instances, load balancers and database members), as the loss of the
// region would, and runs the runbook: promote a surviving replica when the
// writer was there, or stop waiting for a lost synchronous standby.
type RegionLoss struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Region   string
	writers  map[string]string // service → region of its writer before the injection
}

var _ drill.Scenario = (*RegionLoss)(nil)

func (s *RegionLoss) Name() drill.ScenarioName        { return drill.RegionLoss }
func (s *RegionLoss) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *RegionLoss) Inject(ctx context.Context) (string, error) {
	s.writers = liveWriters(ctx, s.Plane, s.Topology)
	out, err := localapi.Do(ctx, s.Plane, localapi.SuspendRegion, localapi.RegionID{Env: s.Topology.Environment.Name, Region: s.Region}, localapi.None{})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("region %s lost: killed %s", s.Region, strings.Join(out.Killed, ", ")), nil
}

// Recover runs the runbook for every service with a database.
func (s *RegionLoss) Recover(ctx context.Context) (string, error) {
	return failOver(ctx, s.Plane, s.Topology, s.Region, s.writers, false)
}

// Restore brings the region back and returns synchronous replication to the
// plan's. A former writer is left down (see ResumeRegion).
func (s *RegionLoss) Restore(ctx context.Context) (string, error) {
	out, err := localapi.Do(ctx, s.Plane, localapi.ResumeRegion, localapi.RegionID{Env: s.Topology.Environment.Name, Region: s.Region}, localapi.None{})
	if err != nil {
		return strings.Join(out.Notes, "; "), err
	}
	more, err := resetSynchronous(ctx, s.Plane, s.Topology, s.Region, s.writers)
	return strings.Join(append(out.Notes, more...), "; "), err
}
