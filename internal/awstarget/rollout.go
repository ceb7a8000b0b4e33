package awstarget

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// Bake watches a canary region of the AWS target for the bake time,
// through the region's own APIs: every target group of the region's
// services must keep its targets healthy (a target unhealthy for longer
// than its health checks allow fails the bake, draining and joining ones
// do not), and the share of requests its load balancer answers with a 5xx,
// summed from CloudWatch's AWS/ApplicationELB metrics since the bake began,
// must stay within the service's max_error_rate, judged once orchestrate.BakeMinRequests
// were answered. CloudWatch publishes load balancer metrics per minute, a
// minute or two late: a bake on AWS should last several minutes. poll is
// the delay between looks (default 15 s). The bake's times (its length,
// the window it reads, the targets' grace) are on the clients' Clock; poll
// is wall time, as AWS's request rates are.
func Bake(c *awsrunbook.Clients, t *topology.Topology, poll time.Duration) func(ctx context.Context, region string, d time.Duration) (string, error) {
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
		clk := clock.OrReal(c.Clock)
		start := clk.Now()
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
		for looks := int64(d/poll) + 3; ; looks-- { // the clock runs no slower than the wall clock
			if looks <= 0 {
				return "", fmt.Errorf("bake of %s: %w: the bake's %s did not pass on its clock", region, awsrunbook.ErrTimeout, d)
			}
			now := clk.Now()
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
				if traffic.Requests >= orchestrate.BakeMinRequests && traffic.ErrorRate() > w.maxRate {
					return "", fmt.Errorf("the load balancer of %s answered %.0f of %.0f requests with a 5xx (%.1f%%, more than %.1f%%)",
						w.tg.Service, traffic.Errors5xx, traffic.Requests, 100*traffic.ErrorRate(), 100*w.maxRate)
				}
			}
			if !now.Before(deadline) {
				var served float64
				for _, w := range groups {
					served += w.requests
				}
				return fmt.Sprintf("%d target group(s) healthy for %s, %s", len(groups), d, orchestrate.BakeVerdict(served)), nil
			}
			// at most the time left on the clock, as wall time: on a clock
			// faster than the wall clock a look may come a little late
			if err := clock.Real.Sleep(ctx, min(poll, clock.Until(clk, deadline)+time.Millisecond)); err != nil {
				return "", fmt.Errorf("bake of %s interrupted: %w", region, err)
			}
		}
	}
}

// BlueGreen tells the orchestrator, per blue-green instance service of
// a region (the ones it switches in phases), the image the service should
// run (its manifest's AMI for the region, from imagesDir), where it stood
// after the last up (from the region stack's outputs), and how many
// instances its serving group runs now, read from Auto Scaling: a new
// colour starts that large, so a scaled-out service is not switched onto
// a smaller group.
func BlueGreen(c *awsrunbook.Clients, t *topology.Topology, imagesDir string) func(ctx context.Context, region string, outputs map[string]any) (map[string]orchestrate.BlueGreenTarget, error) {
	return func(ctx context.Context, region string, outputs map[string]any) (map[string]orchestrate.BlueGreenTarget, error) {
		previous := awsmodule.BlueGreenFromOutputs(outputs)
		out := map[string]orchestrate.BlueGreenTarget{}
		for _, s := range t.ServicesIn(region) {
			if !awsmodule.SwitchesBlueGreen(s) {
				continue
			}
			image, err := awsmodule.ServiceImage(t, region, s, imagesDir)
			if err != nil {
				return nil, err
			}
			target := orchestrate.BlueGreenTarget{Image: image}
			if st, ok := previous[s.Name]; ok {
				target.Previous = &st
				groups, err := c.Groups(ctx, awsrunbook.Scope{Environment: t.Environment.Name, Region: region, Service: s.Name})
				if err != nil && !errors.Is(err, awsrunbook.ErrNotFound) {
					return nil, err
				}
				for _, g := range groups {
					target.Serving = max(target.Serving, g.Desired)
				}
			}
			out[s.Name] = target
		}
		return out, nil
	}
}

// PreviousImages names, for each canary service of a region, the image
// (AMI or container) and build it ran before the rollout, read from the
// canary stack's outputs from before it: a canary that failed its bake is
// deployed again on them. An AMI is a region's own, so the other regions'
// images would not do.
func PreviousImages(t *topology.Topology) func(ctx context.Context, region string, before map[string]any) (map[string]topology.ImageRef, error) {
	return func(_ context.Context, region string, before map[string]any) (map[string]topology.ImageRef, error) {
		pins := map[string]topology.ImageRef{}
		for _, s := range t.ServicesIn(region) {
			if s.Rollout.Strategy != topology.RolloutCanary {
				continue
			}
			image, ok := awsmodule.ImageFromOutputs(before, s.Name)
			if !ok {
				return nil, fmt.Errorf("service %s in %s: %w: the canary stack has no image output from before the rollout", s.Name, region, awsrunbook.ErrNotFound)
			}
			pins[s.Name] = image
		}
		return pins, nil
	}
}
