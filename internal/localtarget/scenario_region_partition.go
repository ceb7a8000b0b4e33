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
	register(drill.RegionPartition, func(b *build) (drill.Scenario, error) {
		return &RegionPartition{Plane: b.plane, Topology: b.topo, Region: b.req.Region}, nil
	})
}

// RegionPartition cuts a region off on the local target while everything
// in it keeps running (see localcloud.Plane.PartitionRegion): DNS health
// checks, clients and the other regions' database members cannot reach it,
// nor it them. The runbook is a region loss's, except that a writer cut
// off is fenced first, through the control plane that still reaches the
// region: nothing may accept writes on both sides. The drill audits that.
type RegionPartition struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Region   string
	writers  map[string]string
}

var (
	_ drill.Scenario    = (*RegionPartition)(nil)
	_ drill.WriterAudit = (*RegionPartition)(nil)
)

func (s *RegionPartition) Name() drill.ScenarioName        { return drill.RegionPartition }
func (s *RegionPartition) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *RegionPartition) Inject(ctx context.Context) (string, error) {
	s.writers = liveWriters(ctx, s.Plane, s.Topology)
	out, err := localapi.Do(ctx, s.Plane, localapi.PartitionRegion, localapi.RegionID{Env: s.Topology.Environment.Name, Region: s.Region}, localapi.None{})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("region %s cut off, its processes running (nftables table inet %s drops what crosses its border)", s.Region, out.Table), nil
}

// Recover fences a writer cut off, then promotes a replica elsewhere.
func (s *RegionPartition) Recover(ctx context.Context) (string, error) {
	return failOver(ctx, s.Plane, s.Topology, s.Region, s.writers, true)
}

// Restore heals the partition. A fenced writer stays down: its region is
// rebuilt (recreate-region) to rejoin it as a replica.
func (s *RegionPartition) Restore(ctx context.Context) (string, error) {
	env := s.Topology.Environment.Name
	if _, err := localapi.Do(ctx, s.Plane, localapi.HealRegion, localapi.RegionID{Env: env, Region: s.Region}, localapi.None{}); err != nil {
		return "", err
	}
	notes := []string{"region " + s.Region + " reconnected"}
	for svc, w := range s.writers {
		if w == s.Region {
			notes = append(notes, fmt.Sprintf("database %s stays fenced: rebuild region %s (bulwark recreate-region) to rejoin it as a replica", localapi.ServiceID{Env: env, Region: s.Region, Service: svc}, s.Region))
		}
	}
	more, err := resetSynchronous(ctx, s.Plane, s.Topology, s.Region, s.writers)
	return strings.Join(append(notes, more...), "; "), err
}

// Writers lists, per service, the regions whose member accepts writes now.
func (s *RegionPartition) Writers(ctx context.Context) (map[string][]string, error) {
	return acceptingWriters(ctx, s.Plane, s.Topology)
}
