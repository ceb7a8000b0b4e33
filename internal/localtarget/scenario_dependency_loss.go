package localtarget

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.DependencyLoss, func(b *build) (drill.Scenario, error) {
		f, err := b.fault()
		if err != nil {
			return nil, err
		}
		if f.Dependency == drill.DatabaseDependency {
			s := &DatabaseLoss{Plane: b.plane, Topology: b.topo, Service: b.req.Service, Fault: f}
			if b.req.Service.WriteQueue != nil {
				if err := b.queuesDeployed(); err != nil {
					return nil, err
				}
				return &QueuedDatabaseLoss{s}, nil
			}
			return s, nil
		}
		links, err := b.links(f)
		if err != nil {
			return nil, err
		}
		return &DependencyLoss{Plane: b.plane, Links: links, Fault: f}, nil
	})
}

// fault is the request's degradation, resolved for the service
// (drill.ResolveFault); what does not fit is a bad request.
func (b *build) fault() (drill.Fault, error) {
	f, err := drill.ResolveFault(b.topo, b.req.Service, b.req.Scenario, b.req.Fault)
	if err != nil {
		return f, target.Errorf(target.ErrBadRequest, "%w", err)
	}
	return f, nil
}

// links are the caller's links to the fault's dependency in the fault's
// regions, each of which must be deployed.
func (b *build) links(f drill.Fault) ([]localapi.ServiceID, error) {
	env := b.topo.Environment.Name
	var out []localapi.ServiceID
	for _, r := range f.Regions {
		id := localapi.ServiceID{Env: env, Region: r, Service: f.Dependency}
		if _, err := localapi.Get(b.ctx, b.plane, localapi.Links, id); errors.Is(err, localapi.ErrNotFound) {
			return nil, target.Errorf(target.ErrNotDeployed, "region %s has no link to %s deployed (bulwark up --env %s)", r, f.Dependency, env)
		} else if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// queuesDeployed checks that the service's write queue runs in each of
// its regions.
func (b *build) queuesDeployed() error {
	env := b.topo.Environment.Name
	for _, r := range b.req.Service.Regions {
		id := localapi.ServiceID{Env: env, Region: r, Service: b.req.Service.Name}
		if _, err := localapi.Get(b.ctx, b.plane, localapi.Queues, id); errors.Is(err, localapi.ErrNotFound) {
			return target.Errorf(target.ErrNotDeployed, "%s has no write queue deployed in %s (bulwark up --env %s)", b.req.Service.Name, r, env)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// setLinks sets one fault on every link.
func setLinks(ctx context.Context, plane *localapi.Client, links []localapi.ServiceID, fault localapi.LinkFault) error {
	var errs []error
	for _, id := range links {
		if _, err := localapi.Do(ctx, plane, localapi.SetLinkFault, id, fault); err != nil {
			errs = append(errs, fmt.Errorf("link %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func linkNames(links []localapi.ServiceID) string {
	var s []string
	for _, l := range links {
		s = append(s, l.String())
	}
	return strings.Join(s, ", ")
}

// DependencyLoss cuts a caller's links to a service it depends on in the
// fault's regions (Toxiproxy refuses their connections) for the hold; the
// restore heals them. The caller is to answer degraded, not fail: its
// probe asks GET / of it.
type DependencyLoss struct {
	Plane *localapi.Client
	Links []localapi.ServiceID
	Fault drill.Fault
}

var _ drill.Degrader = (*DependencyLoss)(nil)

func (s *DependencyLoss) Name() drill.ScenarioName        { return drill.DependencyLoss }
func (s *DependencyLoss) Disruption() topology.Disruption { return drill.DisruptionDependency }
func (s *DependencyLoss) Degradation() drill.Degradation {
	return drill.Degradation{Fault: s.Fault, Asks: []drill.Ask{drill.PageAsk("/")}}
}

func (s *DependencyLoss) Inject(ctx context.Context) (string, error) {
	if err := setLinks(ctx, s.Plane, s.Links, localapi.LinkFault{Down: true}); err != nil {
		return "", err
	}
	return "cut " + linkNames(s.Links), nil
}

func (s *DependencyLoss) Recover(context.Context) (string, error) {
	return "nothing to do: the caller answers without it", nil
}

func (s *DependencyLoss) Restore(ctx context.Context) (string, error) {
	if err := setLinks(ctx, s.Plane, s.Links, localapi.LinkFault{}); err != nil {
		return "", err
	}
	return "healed " + linkNames(s.Links), nil
}

// DatabaseLoss makes a service's database unavailable for the hold: its
// writer is killed and nothing is promoted (the replicas stay standbys,
// which take no writes); the restore starts the same member again, as
// it was. Writes fail for the hold, unless the service queues them
// (QueuedDatabaseLoss).
type DatabaseLoss struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Service  topology.Service
	Fault    drill.Fault
	writer   localapi.ServiceID
}

var _ drill.Degrader = (*DatabaseLoss)(nil)

func (s *DatabaseLoss) Name() drill.ScenarioName        { return drill.DependencyLoss }
func (s *DatabaseLoss) Disruption() topology.Disruption { return drill.DisruptionDependency }
func (s *DatabaseLoss) Degradation() drill.Degradation {
	asks := []drill.Ask{drill.PageAsk("/")}
	if s.Service.WriteQueue != nil {
		asks = append(asks, drill.WriteAsk())
	}
	return drill.Degradation{Fault: s.Fault, Asks: asks}
}

func (s *DatabaseLoss) Inject(ctx context.Context) (string, error) {
	region := liveWriters(ctx, s.Plane, s.Topology)[s.Service.Name]
	s.writer = localapi.ServiceID{Env: s.Topology.Environment.Name, Region: region, Service: s.Service.Name}
	killed, err := localapi.Do(ctx, s.Plane, localapi.KillDatabase, s.writer, localapi.None{})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("killed the writer %s (pid %d); nothing promoted: the database takes no writes", s.writer, killed.PID), nil
}

func (s *DatabaseLoss) Recover(context.Context) (string, error) {
	return "nothing to do: the database comes back at the restore", nil
}

// Restore starts the killed writer again, as its spec says (the control
// plane restarts a member put again; no other member was promoted, so it
// comes back the primary).
func (s *DatabaseLoss) Restore(ctx context.Context) (string, error) {
	if s.writer == (localapi.ServiceID{}) {
		return "nothing was killed", nil
	}
	db, err := localapi.Get(ctx, s.Plane, localapi.Databases, s.writer)
	if err != nil {
		return "", err
	}
	spec := db.DatabaseSpec
	spec.Password = "" // the database's credentials stay those it has
	back, err := localapi.Put(ctx, s.Plane, localapi.Databases, spec)
	if err != nil {
		return "", fmt.Errorf("start %s again: %w", s.writer, err)
	}
	return fmt.Sprintf("%s back as the %s (pid %d)", s.writer, back.Role, back.PID), nil
}

// QueuedDatabaseLoss is a DatabaseLoss of a service that queues its
// writes while its database cannot take them: after the restore the
// drill waits for every region's queue to drain (Drain), then reads the
// probe's writes back.
type QueuedDatabaseLoss struct{ *DatabaseLoss }

var _ drill.Drainer = QueuedDatabaseLoss{}

// Drain polls every region's queue until none holds a write, or ctx ends.
func (s QueuedDatabaseLoss) Drain(ctx context.Context) (map[string]drill.QueueLeft, error) {
	left := map[string]drill.QueueLeft{}
	for {
		var errs []error
		for _, r := range s.Service.Regions {
			id := localapi.ServiceID{Env: s.Topology.Environment.Name, Region: r, Service: s.Service.Name}
			st, err := localapi.Do(ctx, s.Plane, localapi.ReadQueueStats, id, localapi.None{})
			if err != nil {
				errs = append(errs, fmt.Errorf("queue %s: %w", id, err))
				continue
			}
			left[r] = drill.QueueLeft{Messages: st.Messages, Delivered: st.Delivered, Acked: st.Acked}
		}
		empty := len(errs) == 0
		for _, r := range slices.Sorted(maps.Keys(left)) {
			empty = empty && left[r].Messages == 0
		}
		if empty {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return left, errors.Join(append(errs, ctx.Err())...)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
