package localtarget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// members are the regions of a service's database members.
func members(t *topology.Topology, svc topology.Service) []string {
	primary, replicas := t.PrimaryRegionOf(svc)
	return append([]string{primary}, replicas...)
}

// acceptingWriters lists, per service with a database, the regions whose
// member runs as a primary, asked through the control plane.
func acceptingWriters(ctx context.Context, plane *localapi.Client, t *topology.Topology) (map[string][]string, error) {
	out := map[string][]string{}
	for _, svc := range t.Services {
		if svc.Database == nil {
			continue
		}
		out[svc.Name] = []string{}
		for _, r := range members(t, svc) {
			db, err := localapi.Get(ctx, plane, localapi.Databases, localapi.ServiceID{Env: t.Environment.Name, Region: r, Service: svc.Name})
			if errors.Is(err, localapi.ErrNotFound) {
				continue
			}
			if err != nil {
				return out, err
			}
			if db.Running && db.Role == "primary" {
				out[svc.Name] = append(out[svc.Name], r)
			}
		}
	}
	return out, nil
}

// liveWriters is the region of each service's writer now; a service whose
// writer cannot be seen keeps the plan's primary region.
func liveWriters(ctx context.Context, plane *localapi.Client, t *topology.Topology) map[string]string {
	live, _ := acceptingWriters(ctx, plane, t)
	out := map[string]string{}
	for _, svc := range t.Services {
		if svc.Database == nil {
			continue
		}
		out[svc.Name], _ = t.PrimaryRegionOf(svc)
		if w := live[svc.Name]; len(w) == 1 {
			out[svc.Name] = w[0]
		}
	}
	return out
}

// failOver is the runbook when region is lost or cut off, for every
// service with a database there: promote the first surviving replica when
// the writer was in the region (fencing the writer first when it may still
// run), or have the writer stop waiting for its synchronous standby there.
func failOver(ctx context.Context, plane *localapi.Client, t *topology.Topology, region string, writers map[string]string, fence bool) (string, error) {
	env := t.Environment.Name
	var steps []string
	for _, svc := range t.ServicesIn(region) {
		if svc.Database == nil {
			continue
		}
		writer := writers[svc.Name]
		survivors := slices.DeleteFunc(members(t, svc), func(r string) bool { return r == region || r == writer })
		switch {
		case writer == region && len(survivors) == 0:
			steps = append(steps, fmt.Sprintf("%s: no replica survives; restore from backup (not automated yet)", svc.Name))
		case writer == region:
			if fence {
				id := localapi.ServiceID{Env: env, Region: region, Service: svc.Name}
				killed, err := localapi.Do(ctx, plane, localapi.KillDatabase, id, localapi.None{})
				if err != nil {
					return strings.Join(steps, "; "), fmt.Errorf("fence %s: %w", id, err)
				}
				steps = append(steps, fmt.Sprintf("%s: fenced the writer cut off in %s (pid %d stopped through the control plane)", svc.Name, region, killed.PID))
			}
			id := localapi.ServiceID{Env: env, Region: survivors[0], Service: svc.Name}
			if _, err := localapi.Do(ctx, plane, localapi.PromoteDatabase, id, localapi.None{}); err != nil {
				return strings.Join(steps, "; "), fmt.Errorf("promote %s: %w", id, err)
			}
			steps = append(steps, fmt.Sprintf("%s: promoted the replica in %s", svc.Name, survivors[0]))
		case svc.Database.Replication == topology.Synchronous:
			id := localapi.ServiceID{Env: env, Region: writer, Service: svc.Name}
			if _, err := localapi.Do(ctx, plane, localapi.SetSynchronousStandbys, id, localapi.SyncRequest{Standbys: survivors}); err != nil {
				return strings.Join(steps, "; "), fmt.Errorf("synchronous standbys of %s: %w", id, err)
			}
			how := "asynchronous until it returns"
			if len(survivors) > 0 {
				how = fmt.Sprintf("waits for %v only", survivors)
			}
			steps = append(steps, fmt.Sprintf("%s: the writer in %s stopped waiting for %s (%s)", svc.Name, writer, region, how))
		}
	}
	if len(steps) == 0 {
		return "nothing to do: DNS health checks move clients to the other regions", nil
	}
	return strings.Join(steps, "; ") + "; DNS health checks move clients", nil
}

// resetSynchronous returns every writer outside region that waited for a
// synchronous standby there to the plan's standbys.
func resetSynchronous(ctx context.Context, plane *localapi.Client, t *topology.Topology, region string, writers map[string]string) ([]string, error) {
	var notes []string
	for _, svc := range t.ServicesIn(region) {
		if svc.Database == nil || svc.Database.Replication != topology.Synchronous || writers[svc.Name] == region {
			continue
		}
		id := localapi.ServiceID{Env: t.Environment.Name, Region: writers[svc.Name], Service: svc.Name}
		if _, err := localapi.Do(ctx, plane, localapi.SetSynchronousStandbys, id, localapi.SyncRequest{Reset: true}); err != nil {
			return notes, err
		}
		notes = append(notes, svc.Name+": synchronous replication restored")
	}
	return notes, nil
}
