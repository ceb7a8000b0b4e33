package localtarget

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// bakePoll is how often a bake looks at the canary region.
const bakePoll = 250 * time.Millisecond

// Bake watches a canary region of the local target for the bake time:
// every group of the region's services must stay whole and healthy (not
// below its capacity for longer than its health checks allow), none may
// replace an instance (one that exits or fails its checks), every load
// balancer must stay up, and the share of requests its load balancer
// answers with a 5xx must stay within the service's max_error_rate (judged
// once it has answered orchestrate.BakeMinRequests).
func Bake(c *localapi.Client, t *topology.Topology) func(ctx context.Context, region string, d time.Duration) (string, error) {
	return func(ctx context.Context, region string, d time.Duration) (string, error) {
		type watched struct {
			id       localapi.ServiceID
			replaced int
			grace    time.Duration
			since    time.Time // when it was last whole
			start    localapi.BalancerStats
			maxRate  float64
			requests int64
		}
		var groups []*watched
		for _, s := range t.ServicesIn(region) {
			id := localapi.ServiceID{Env: t.Environment.Name, Region: region, Service: s.Name}
			g, err := localapi.Get(ctx, c, localapi.Groups, id)
			if err != nil {
				return "", fmt.Errorf("group %s: %w", id, err)
			}
			w := &watched{id: id, replaced: g.Replaced, since: time.Now(), maxRate: s.Rollout.MaxErrorRate,
				grace: time.Duration(s.Health.UnhealthyAfter+1) * s.Health.Interval}
			w.start, _ = localapi.Do(ctx, c, localapi.ReadBalancerStats, id, localapi.None{})
			groups = append(groups, w)
		}
		deadline := time.Now().Add(d)
		for {
			for _, w := range groups {
				g, err := localapi.Get(ctx, c, localapi.Groups, w.id)
				if err != nil {
					return "", fmt.Errorf("group %s: %w", w.id, err)
				}
				if g.Replaced > w.replaced {
					return "", fmt.Errorf("group %s replaced %d instance(s) during the bake: they exited or failed their health checks", w.id, g.Replaced-w.replaced)
				}
				if g.Healthy() >= g.Current {
					w.since = time.Now()
				} else if time.Since(w.since) > w.grace {
					return "", fmt.Errorf("group %s has been below capacity (%d/%d healthy) for %s", w.id, g.Healthy(), g.Current, time.Since(w.since).Round(time.Millisecond))
				}
				if b, err := localapi.Get(ctx, c, localapi.Balancers, w.id); err == nil && !b.Running {
					return "", fmt.Errorf("the load balancer of %s is down", w.id)
				}
				if st, err := localapi.Do(ctx, c, localapi.ReadBalancerStats, w.id, localapi.None{}); err == nil {
					requests, errors := st.Requests-w.start.Requests, st.Errors5xx-w.start.Errors5xx
					w.requests = requests
					if requests >= orchestrate.BakeMinRequests && float64(errors)/float64(requests) > w.maxRate {
						return "", fmt.Errorf("the load balancer of %s answered %d of %d requests with a 5xx (%.1f%%, more than %.1f%%)",
							w.id, errors, requests, 100*float64(errors)/float64(requests), 100*w.maxRate)
					}
				}
			}
			if time.Now().After(deadline) {
				var served float64
				for _, w := range groups {
					served += float64(w.requests)
				}
				return fmt.Sprintf("%d group(s) whole and healthy for %s, no instance replaced, load balancers up, %s", len(groups), d, orchestrate.BakeVerdict(served)), nil
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(bakePoll):
			}
		}
	}
}

// PreviousImages names, for each canary service of a region, the image
// its group runs in another region of the service (one the rollout did not
// reach), read from the control plane.
func PreviousImages(c *localapi.Client, t *topology.Topology) func(ctx context.Context, region string, _ map[string]any) (map[string]topology.ImageRef, error) {
	return func(ctx context.Context, region string, _ map[string]any) (map[string]topology.ImageRef, error) {
		pins := map[string]topology.ImageRef{}
		for _, s := range t.ServicesIn(region) {
			if s.Rollout.Strategy != topology.RolloutCanary {
				continue
			}
			for _, other := range s.Regions {
				if other == region {
					continue
				}
				g, err := localapi.Get(ctx, c, localapi.Groups, localapi.ServiceID{Env: t.Environment.Name, Region: other, Service: s.Name})
				if err != nil {
					return nil, err
				}
				pins[s.Name] = topology.ImageRef{Digest: g.Digest, Path: g.ImagePath}
				break
			}
		}
		return pins, nil
	}
}
