package awsrunbook

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// HealthCheck is a Route 53 health check as the steps see it.
type HealthCheck struct {
	ID       string
	Inverted bool
	Version  int64
}

// HealthChecks finds the Route 53 health checks of a scope by their tags.
func (c *Clients) HealthChecks(ctx context.Context, s Scope) ([]HealthCheck, error) {
	var all []r53types.HealthCheck
	p := route53.NewListHealthChecksPaginator(c.Route53, &route53.ListHealthChecksInput{})
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return nil, fmt.Errorf("health checks of %s: %w after %d pages", s, ErrTooManyPages, page)
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("health checks of %s: %w", s, err)
		}
		all = append(all, res.HealthChecks...)
	}
	var out []HealthCheck
	for start := 0; start < len(all); start += 10 { // ListTagsForResources takes at most 10
		batch := all[start:min(start+10, len(all))]
		ids := make([]string, len(batch))
		byID := map[string]r53types.HealthCheck{}
		for i, h := range batch {
			ids[i] = aws.ToString(h.Id)
			byID[ids[i]] = h
		}
		tags, err := c.Route53.ListTagsForResources(ctx, &route53.ListTagsForResourcesInput{ResourceType: r53types.TagResourceTypeHealthcheck, ResourceIds: ids})
		if err != nil {
			return nil, fmt.Errorf("tags of health checks %v: %w", ids, err)
		}
		for _, set := range tags.ResourceTagSets {
			have := map[string]string{}
			for _, t := range set.Tags {
				have[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !s.matches(have) {
				continue
			}
			h := byID[aws.ToString(set.ResourceId)]
			hc := HealthCheck{ID: aws.ToString(h.Id), Version: aws.ToInt64(h.HealthCheckVersion)}
			if h.HealthCheckConfig != nil {
				hc.Inverted = aws.ToBool(h.HealthCheckConfig.Inverted)
			}
			out = append(out, hc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("health checks of %s: %w", s, ErrNotFound)
	}
	return out, nil
}

// SetInverted inverts a health check (or stops inverting it), so routing
// treats a healthy endpoint as unhealthy: the way to take a region out of
// DNS without touching it. The version guards against a concurrent edit.
func (c *Clients) SetInverted(ctx context.Context, h HealthCheck, inverted bool) (HealthCheck, error) {
	out, err := c.Route53.UpdateHealthCheck(ctx, &route53.UpdateHealthCheckInput{
		HealthCheckId: aws.String(h.ID), HealthCheckVersion: aws.Int64(h.Version), Inverted: aws.Bool(inverted),
	})
	if err != nil {
		return h, fmt.Errorf("set health check %s inverted=%t: %w", h.ID, inverted, err)
	}
	h.Inverted = inverted
	if out.HealthCheck != nil {
		h.Version = aws.ToInt64(out.HealthCheck.HealthCheckVersion)
	}
	return h, nil
}

// CheckStatus reports how many of Route 53's checkers see the endpoint
// healthy (before any inversion), and how many reported.
func (c *Clients) CheckStatus(ctx context.Context, id string) (healthy, reported int, err error) {
	out, err := c.Route53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(id)})
	if err != nil {
		return 0, 0, fmt.Errorf("status of health check %s: %w", id, err)
	}
	for _, o := range out.HealthCheckObservations {
		if o.StatusReport == nil {
			continue
		}
		reported++
		if strings.HasPrefix(aws.ToString(o.StatusReport.Status), "Success") {
			healthy++
		}
	}
	return healthy, reported, nil
}
