package rollout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// AWSBake watches a canary region of the AWS target for the bake time,
// through the region's own APIs: every target group of the region's
// services must keep its targets healthy (a target unhealthy for longer
// than its health checks allow fails the bake, draining and joining ones
// do not), and the share of requests its load balancer answers with a 5xx,
// summed from CloudWatch's AWS/ApplicationELB metrics since the bake began,
// must stay within the service's max_error_rate, judged once minRequests
// were answered. CloudWatch publishes load balancer metrics per minute, a
// minute or two late: a bake on AWS should last several minutes. poll is
// the delay between looks (default 15 s).
func AWSBake(c *awsrunbook.Clients, t *topology.Topology, poll time.Duration) func(ctx context.Context, region string, d time.Duration) (string, error) {
	if poll <= 0 {
		poll = 15 * time.Second
	}
	return func(ctx context.Context, region string, d time.Duration) (string, error) {
		type watched struct {
			tg       awsrunbook.TargetGroup
			maxRate  float64
			grace    time.Duration
			since    time.Time // when it last had no unhealthy target
			requests float64
		}
		start := time.Now()
		scope := awsrunbook.Scope{Environment: t.Environment.Name, Region: region}
		found, err := awsrunbook.TargetGroups(ctx, c.ELB(region), scope)
		if err != nil {
			return "", err
		}
		var groups []*watched
		for _, s := range t.ServicesIn(region) {
			n := len(groups)
			for _, tg := range found {
				if tg.Service == s.Name {
					groups = append(groups, &watched{tg: tg, maxRate: s.Rollout.MaxErrorRate, since: start,
						grace: time.Duration(s.Health.UnhealthyAfter+1) * s.Health.Interval})
				}
			}
			if len(groups) == n {
				return "", fmt.Errorf("service %s in %s: %w: no target group tagged for it", s.Name, region, awsrunbook.ErrNotFound)
			}
		}
		deadline := start.Add(d)
		for {
			now := time.Now()
			for _, w := range groups {
				h, err := awsrunbook.DescribeTargetHealth(ctx, c.ELB(region), w.tg.ARN)
				if err != nil {
					return "", err
				}
				if len(h.Unhealthy) == 0 {
					w.since = now
				} else if now.Sub(w.since) > w.grace {
					return "", fmt.Errorf("target group of %s: %d of %d targets unhealthy for %s: %s",
						w.tg.Service, len(h.Unhealthy), h.Total, now.Sub(w.since).Round(time.Second), strings.Join(h.Unhealthy, ", "))
				}
				traffic, err := awsrunbook.ReadTraffic(ctx, c.CloudWatch(region), w.tg, start, now)
				if err != nil {
					return "", err
				}
				w.requests = traffic.Requests
				if traffic.Requests >= minRequests && traffic.ErrorRate() > w.maxRate {
					return "", fmt.Errorf("the load balancer of %s answered %.0f of %.0f requests with a 5xx (%.1f%%, more than %.1f%%)",
						w.tg.Service, traffic.Errors5xx, traffic.Requests, 100*traffic.ErrorRate(), 100*w.maxRate)
				}
			}
			if !now.Before(deadline) {
				var served float64
				for _, w := range groups {
					served += w.requests
				}
				return fmt.Sprintf("%d target group(s) healthy for %s, %s", len(groups), d, errorBudgetVerdict(served)), nil
			}
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("bake of %s interrupted: %w", region, ctx.Err())
			case <-time.After(min(poll, time.Until(deadline)+time.Millisecond)):
			}
		}
	}
}
