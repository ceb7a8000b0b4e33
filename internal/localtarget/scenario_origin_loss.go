package localtarget

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.OriginLoss, func(b *build) (drill.Scenario, error) {
		f, err := b.fault()
		if err != nil {
			return nil, err
		}
		s := &OriginLoss{Plane: b.plane, Topology: b.topo, Service: b.req.Service, Fault: f, Path: b.req.Service.Cache.Paths[0]}
		env := b.topo.Environment.Name
		// the probe asks every region's cache, whichever origins are lost
		for _, r := range b.req.Service.Regions {
			c, err := localapi.Get(b.ctx, b.plane, localapi.Caches, localapi.ServiceID{Env: env, Region: r, Service: b.req.Service.Name})
			if errors.Is(err, localapi.ErrNotFound) {
				return nil, target.Errorf(target.ErrNotDeployed, "%s has no cache deployed in %s (bulwark up --env %s)", b.req.Service.Name, r, env)
			}
			if err != nil {
				return nil, err
			}
			s.Caches = append(s.Caches, c.Address)
		}
		return s, nil
	})
}

// OriginLoss takes every instance of a service down behind its cache in
// the fault's regions (every zone of its groups, as zone-loss takes one:
// the load balancers then answer 503) for the hold, after warming each
// cache with one request of the cached path; the restore brings the
// zones back and waits until the groups are whole. The caches are to keep
// answering, stale: the probe asks the first cached path at every
// region's cache (CacheAddress at the service's port).
type OriginLoss struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Service  topology.Service
	Fault    drill.Fault
	// Path is the first cached path; Caches every region's cache, host:port.
	Path   string
	Caches []string
}

var _ drill.Degrader = (*OriginLoss)(nil)

func (s *OriginLoss) Name() drill.ScenarioName        { return drill.OriginLoss }
func (s *OriginLoss) Disruption() topology.Disruption { return drill.DisruptionOrigin }
func (s *OriginLoss) Degradation() drill.Degradation {
	return drill.Degradation{Fault: s.Fault, Asks: []drill.Ask{{Method: http.MethodGet, Path: s.Path, Addresses: s.Caches}}}
}

// groups are the service's groups in the fault's regions, with their zones.
func (s *OriginLoss) groups() map[localapi.ServiceID]int {
	out := map[localapi.ServiceID]int{}
	for _, r := range s.Fault.Regions {
		reg, _ := s.Topology.Region(r)
		out[localapi.ServiceID{Env: s.Topology.Environment.Name, Region: r, Service: s.Service.Name}] = max(reg.Zones, 1)
	}
	return out
}

func (s *OriginLoss) Inject(ctx context.Context) (string, error) {
	var notes []string
	c := &http.Client{Timeout: 5 * time.Second}
	for _, addr := range s.Caches {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+s.Path, nil)
		if err != nil {
			return "", err
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", fmt.Errorf("warm the cache at %s: %w", addr, err)
		}
		resp.Body.Close()
		notes = append(notes, fmt.Sprintf("%s %s", addr, resp.Status))
	}
	warmed := "warmed " + strings.Join(notes, ", ")
	var killed int
	for id, zones := range s.groups() {
		for z := 1; z <= zones; z++ {
			out, err := localapi.Do(ctx, s.Plane, localapi.SetZoneDown, id, localapi.ZoneRequest{Zone: z, Down: true})
			if err != nil {
				return warmed, fmt.Errorf("%s zone %d down: %w", id, z, err)
			}
			killed += len(out.Killed)
		}
	}
	return fmt.Sprintf("%s; every zone of %s in %s down: %d instances killed", warmed, s.Service.Name, strings.Join(s.Fault.Regions, ", "), killed), nil
}

func (s *OriginLoss) Recover(context.Context) (string, error) {
	return "nothing to do: the caches answer from what they hold", nil
}

// Restore brings every zone back and waits (up to 60 s) until each
// group's instances are all healthy.
func (s *OriginLoss) Restore(ctx context.Context) (string, error) {
	groups := s.groups()
	var errs []error
	for id, zones := range groups {
		for z := 1; z <= zones; z++ {
			if _, err := localapi.Do(ctx, s.Plane, localapi.SetZoneDown, id, localapi.ZoneRequest{Zone: z}); err != nil {
				errs = append(errs, fmt.Errorf("%s zone %d back: %w", id, z, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	deadline := time.Now().Add(60 * time.Second)
	for id := range groups {
		err := wait(ctx, time.Until(deadline), func() bool {
			g, err := localapi.Get(ctx, s.Plane, localapi.Groups, id)
			return err == nil && g.Current > 0 && g.Healthy() == g.Current
		})
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if err != nil {
			return "", fmt.Errorf("%s not whole again within 60s", id)
		}
	}
	return fmt.Sprintf("every zone of %s in %s back, each group whole", s.Service.Name, strings.Join(s.Fault.Regions, ", ")), nil
}
