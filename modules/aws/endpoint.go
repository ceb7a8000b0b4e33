package aws

import (
	"fmt"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// GlobalArgs is what DeployGlobal needs.
type GlobalArgs struct {
	Topology *topology.Topology
	Parent   pulumi.Resource
	// Regions holds each regional stack's outputs (read through stack references).
	Regions map[string]pulumi.MapOutput
}

// Endpoint is a service's health-checked DNS name: a Route 53 health check
// per regional load balancer, and failover records (hot standby: PRIMARY
// and SECONDARY) or latency records (active-active) tied to them.
type Endpoint struct {
	pulumi.ResourceState
	// Cache is the service's CloudFront distribution's domain name (cache.go), when it has a cache.
	Cache pulumi.StringOutput
}

// RequestInterval is the Route 53 health check interval for a health
// check interval: 10 s (fast) or 30 s, the only two it offers.
func RequestInterval(h topology.Health) int {
	if h.Interval <= 10e9 {
		return 10
	}
	return 30
}

// DeployGlobal declares every service's endpoint in the global stack.
func DeployGlobal(ctx *pulumi.Context, a GlobalArgs) (pulumi.Map, error) {
	// Route 53 is global; its API lives in us-east-1
	provider, err := pulumiaws.NewProvider(ctx, "global", &pulumiaws.ProviderArgs{
		Region:      pulumi.String("us-east-1"),
		DefaultTags: &pulumiaws.ProviderDefaultTagsArgs{Tags: tags(a.Topology, "global", "")},
	}, pulumi.Parent(a.Parent))
	if err != nil {
		return nil, err
	}
	// Route 53's health check metrics are in us-east-1: their alarms and
	// the topic they notify too
	topic, err := newAlarmTopic(ctx, a.Topology, "global", pulumi.Parent(a.Parent), pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	names, caches := pulumi.Map{}, pulumi.Map{}
	for _, s := range a.Topology.Services {
		e, err := newEndpoint(ctx, s.Name, a, s, provider, topic)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		names[s.Name] = pulumi.String(s.DNS.FQDN())
		if s.Cache != nil {
			caches[s.Name] = e.Cache
		}
	}
	dashboard, err := newDashboard(ctx, a, pulumi.Parent(a.Parent), pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	outs := pulumi.Map{contract.OutputEndpoints: names, contract.OutputAlarmTopic: topic.Arn, contract.OutputDashboard: dashboard.DashboardName}
	if len(caches) > 0 {
		// each cached service's distribution's domain name
		outs[contract.OutputCache] = caches
	}
	return outs, nil
}

func newEndpoint(ctx *pulumi.Context, name string, a GlobalArgs, s topology.Service, provider pulumi.ProviderResource, topic *sns.Topic) (*Endpoint, error) {
	e := &Endpoint{}
	if err := ctx.RegisterComponentResource(contract.TypeAWSEndpoint, name, e, pulumi.Parent(a.Parent), pulumi.Provider(provider)); err != nil {
		return nil, err
	}
	if err := e.declare(ctx, name, a, s, provider, topic); err != nil {
		return nil, err
	}
	return e, nil
}

// declare declares the endpoint's health checks and records, and the
// service's cache (cache.go) when it has one.
func (e *Endpoint) declare(ctx *pulumi.Context, name string, a GlobalArgs, s topology.Service, provider pulumi.ProviderResource, topic *sns.Topic) error {
	child := []pulumi.ResourceOption{pulumi.Parent(e), pulumi.Provider(provider)}
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{Name: pulumi.StringRef(s.DNS.Zone), PrivateZone: pulumi.BoolRef(false)}, pulumi.Parent(e), pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("hosted zone %s: %w", s.DNS.Zone, err)
	}
	primary, others := a.Topology.PrimaryRegionOf(s)
	regions := append([]string{primary}, others...)
	records := pulumi.Map{}
	for i, region := range regions {
		endpoint := serviceOutput(a.Regions[region], s.Name, contract.OutputEndpoint)
		// with HTTPS the check must speak it: port 80 only redirects, and
		// Route 53 takes a redirect for health whatever the targets' state
		kind, port := "HTTP", 80
		if s.HTTPS != nil {
			kind, port = "HTTPS", 443
		}
		check, err := route53.NewHealthCheck(ctx, fmt.Sprintf("%s-%s", name, region), &route53.HealthCheckArgs{
			Type: pulumi.String(kind), Fqdn: endpoint, Port: pulumi.Int(port), ResourcePath: pulumi.String(s.Health.Path),
			RequestInterval:  pulumi.Int(RequestInterval(s.Health)),
			FailureThreshold: pulumi.Int(min(10, max(1, s.Health.UnhealthyAfter))),
			MeasureLatency:   pulumi.Bool(s.Mode == topology.ActiveActive),
			Tags:             tags(a.Topology, region, s.Name, "Name", fmt.Sprintf("%s %s", s.DNS.FQDN(), region)),
		}, child...)
		if err != nil {
			return err
		}
		// the region's endpoint fails Route 53's checks: DNS takes it out
		alarm := AlarmName(a.Topology, region, s.Name, "health-check")
		if _, err := cloudwatch.NewMetricAlarm(ctx, fmt.Sprintf("%s-%s-health-check", name, region), &cloudwatch.MetricAlarmArgs{
			Name: pulumi.String(alarm), AlarmDescription: pulumi.String(slo.AlarmDescription(slo.Page, fmt.Sprintf("Route 53 finds %s's endpoint in %s unhealthy", s.Name, region))),
			Namespace: pulumi.String("AWS/Route53"), MetricName: pulumi.String("HealthCheckStatus"), Statistic: pulumi.String("Minimum"),
			Dimensions: pulumi.StringMap{"HealthCheckId": check.ID()}, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(1),
			Threshold: pulumi.Float64(1), ComparisonOperator: pulumi.String("LessThanThreshold"), TreatMissingData: pulumi.String("breaching"),
			AlarmActions: pulumi.Array{topic.Arn}, OkActions: pulumi.Array{topic.Arn}, Tags: tags(a.Topology, region, s.Name),
		}, child...); err != nil {
			return err
		}
		args := &route53.RecordArgs{
			ZoneId: pulumi.String(zone.ZoneId), Name: pulumi.String(s.DNS.FQDN()), Type: pulumi.String("CNAME"),
			Ttl: pulumi.Int(int(s.DNS.TTL.Seconds())), Records: pulumi.StringArray{endpoint},
			SetIdentifier: pulumi.String(region), HealthCheckId: check.ID(),
		}
		if AtApex(s.DNS) {
			// DNS allows no CNAME at a zone's apex: an alias A record to
			// the load balancer answers there instead (with the load
			// balancer's own TTL, 60 s; an alias record takes none)
			// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat
			args.Type, args.Ttl, args.Records = pulumi.String("A"), nil, nil
			args.Aliases = route53.RecordAliasArray{route53.RecordAliasArgs{
				Name: endpoint, ZoneId: serviceOutput(a.Regions[region], s.Name, contract.OutputEndpointZoneID), EvaluateTargetHealth: pulumi.Bool(true),
			}}
		}
		if s.Mode == topology.ActiveActive {
			args.LatencyRoutingPolicies = route53.RecordLatencyRoutingPolicyArray{route53.RecordLatencyRoutingPolicyArgs{Region: pulumi.String(region)}}
		} else {
			if i > 1 {
				continue // failover routing has one primary and one secondary
			}
			kind := map[bool]string{true: "PRIMARY", false: "SECONDARY"}[i == 0]
			args.FailoverRoutingPolicies = route53.RecordFailoverRoutingPolicyArray{route53.RecordFailoverRoutingPolicyArgs{Type: pulumi.String(kind)}}
		}
		if _, err := route53.NewRecord(ctx, fmt.Sprintf("%s-%s", name, region), args, child...); err != nil {
			return err
		}
		records[region] = endpoint
	}
	outs := pulumi.Map{"name": pulumi.String(s.DNS.FQDN()), "targets": records}
	if s.Cache != nil {
		domain, err := newCache(ctx, name, a, s, child)
		if err != nil {
			return err
		}
		e.Cache, outs[contract.OutputCache] = domain, domain
	}
	return ctx.RegisterResourceOutputs(e, outs)
}

// AtApex reports whether a service's name is its hosted zone's apex,
// where its records are alias A records rather than CNAMEs.
func AtApex(d topology.DNS) bool { return d.FQDN() == d.Zone }

// serviceOutput reads services.<svc>.<key> from a region's outputs.
func serviceOutput(region pulumi.MapOutput, service, key string) pulumi.StringOutput {
	return region.ApplyT(func(outs map[string]any) string {
		services, _ := outs[contract.OutputServices].(map[string]any)
		svc, _ := services[service].(map[string]any)
		v, _ := svc[key].(string)
		return v
	}).(pulumi.StringOutput)
}
