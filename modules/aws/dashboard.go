package aws

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Dashboard names the environment's CloudWatch dashboard.
func Dashboard(t *topology.Topology) string { return "bulwark-" + t.Environment.Name }

// dashboardWidgets are the rows of a service's dashboard: one widget per
// region side by side, each in its region.
var dashboardWidgets = []struct {
	title   string
	metrics func(lb string) [][]any
	stat    string
}{
	{"requests and 5xx answers", func(lb string) [][]any {
		return [][]any{
			{"AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb},
			{".", "HTTPCode_Target_5XX_Count", ".", "."},
			{".", "HTTPCode_ELB_5XX_Count", ".", "."},
		}
	}, "Sum"},
	{"p99 response time", func(lb string) [][]any {
		return [][]any{{"AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, map[string]string{"stat": "p99"}}}
	}, "p99"},
	{"healthy and unhealthy hosts", func(lb string) [][]any {
		return [][]any{
			{"AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", lb, map[string]string{"stat": "Minimum"}},
			{".", "UnHealthyHostCount", ".", ".", map[string]string{"stat": "Maximum"}},
		}
	}, "Minimum"},
}

// DashboardBody renders the dashboard: per service, a row per widget kind
// with every region of the service side by side, the load balancers named
// by their ARN suffixes (by region).
func DashboardBody(t *topology.Topology, balancers map[string]map[string]string) (string, error) {
	var widgets []map[string]any
	y := 0
	for _, s := range t.Services {
		width := max(24/max(len(s.Regions), 1), 6)
		for _, w := range dashboardWidgets {
			for i, region := range s.Regions {
				widgets = append(widgets, map[string]any{
					"type": "metric", "x": (i * width) % 24, "y": y, "width": width, "height": 6,
					"properties": map[string]any{
						"title": fmt.Sprintf("%s %s: %s", s.Name, region, w.title), "region": region, "view": "timeSeries",
						"stat": w.stat, "period": 60, "metrics": w.metrics(balancers[s.Name][region]),
					},
				})
			}
			y += 6
		}
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}

// newDashboard declares the environment's dashboard from the regional
// stacks' load balancers.
func newDashboard(ctx *pulumi.Context, a GlobalArgs, opts ...pulumi.ResourceOption) (*cloudwatch.Dashboard, error) {
	var keys []string
	var lbs []any
	for _, s := range a.Topology.Services {
		for _, region := range s.Regions {
			keys = append(keys, s.Name+"\x00"+region)
			lbs = append(lbs, serviceOutput(a.Regions[region], s.Name, contract.OutputLoadBalancer))
		}
	}
	body := pulumi.All(lbs...).ApplyT(func(values []any) (string, error) {
		balancers := map[string]map[string]string{}
		for i, k := range keys {
			svc, region, _ := strings.Cut(k, "\x00")
			if balancers[svc] == nil {
				balancers[svc] = map[string]string{}
			}
			balancers[svc][region], _ = values[i].(string)
		}
		return DashboardBody(a.Topology, balancers)
	}).(pulumi.StringOutput)
	return cloudwatch.NewDashboard(ctx, "dashboard", &cloudwatch.DashboardArgs{DashboardName: pulumi.String(Dashboard(a.Topology)), DashboardBody: body}, opts...)
}
