package local

import (
	"fmt"
	"net"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Monitor is the environment's Prometheus and exporters.
type Monitor struct {
	pulumi.CustomResourceState
	Prometheus pulumi.StringOutput `pulumi:"prometheus"`
	Running    pulumi.BoolOutput   `pulumi:"running"`
}

// DnsServer is the environment's PowerDNS.
type DnsServer struct {
	pulumi.CustomResourceState
	Address pulumi.StringOutput `pulumi:"address"`
	Running pulumi.BoolOutput   `pulumi:"running"`
}

// DnsRecord is a health-checked record.
type DnsRecord struct {
	pulumi.CustomResourceState
	Fqdn pulumi.StringOutput `pulumi:"fqdn"`
}

// GlobalArgs is what DeployGlobal needs.
type GlobalArgs struct {
	Topology *topology.Topology
	Parent   pulumi.Resource
	// Regions holds each regional stack's outputs: read from the state by
	// the orchestrator and given to the program as run inputs, else
	// through stack references.
	Regions map[string]pulumi.MapOutput
}

// DeployGlobal declares the environment's DNS server and a health-checked
// record per service over the regions' load balancers: every region for
// active-active, the primary first for hot-standby. It returns the global
// stack's extra outputs ("dns_server").
func DeployGlobal(ctx *pulumi.Context, a GlobalArgs) (pulumi.Map, error) {
	env := a.Topology.Environment.Name
	server := &DnsServer{}
	if err := ctx.RegisterResource(contract.TypeLocalDnsServer, env, pulumi.Map{"env": pulumi.String(env)}, server, pulumi.Parent(a.Parent)); err != nil {
		return nil, fmt.Errorf("dns server: %w", err)
	}
	var records []pulumi.Resource
	for _, s := range a.Topology.Services {
		var endpoints []any
		for _, region := range orderedRegions(a.Topology, s) {
			endpoints = append(endpoints, endpointHost(a.Regions[region], s.Name))
		}
		hot := s.Mode == topology.HotStandby
		targets := pulumi.All(endpoints...).ApplyT(func(hosts []any) [][]string {
			if hot {
				sets := make([][]string, len(hosts))
				for i, h := range hosts {
					sets[i] = []string{h.(string)}
				}
				return sets
			}
			set := make([]string, len(hosts))
			for i, h := range hosts {
				set[i] = h.(string)
			}
			return [][]string{set}
		})
		rec := &DnsRecord{}
		err := ctx.RegisterResource(contract.TypeLocalDnsRecord, s.Name, pulumi.Map{
			"env": pulumi.String(env), "zone": pulumi.String(s.DNS.Zone), "name": pulumi.String(s.DNS.Name),
			"ttl": pulumi.Int(int(s.DNS.TTL.Seconds())), "targets": targets, "port": pulumi.Int(s.Port),
			"healthPath": pulumi.String(s.Health.Path),
		}, rec, pulumi.Parent(server))
		if err != nil {
			return nil, fmt.Errorf("dns record of %s: %w", s.Name, err)
		}
		records = append(records, rec)
	}
	outs := pulumi.Map{contract.OutputDNSServer: server.Address}
	if len(a.Topology.Services) == 0 {
		return outs, nil // nothing to watch
	}
	monitor, err := deployMonitor(ctx, a.Topology, a.Parent, records)
	if err != nil {
		return nil, err
	}
	outs[contract.OutputPrometheus] = monitor.Prometheus
	return outs, nil
}

// deployMonitor declares the environment's monitoring, after its DNS
// records (it probes them), with the rules of its SLOs.
func deployMonitor(ctx *pulumi.Context, t *topology.Topology, parent pulumi.Resource, records []pulumi.Resource) (*Monitor, error) {
	rules, err := slo.PrometheusRules(t)
	if err != nil {
		return nil, err
	}
	retention := 24 * time.Hour
	var services pulumi.Array
	for _, s := range t.Services {
		window := topology.DefaultSLOWindow
		if s.SLO != nil {
			window = s.SLO.Window
		}
		retention = max(retention, window+24*time.Hour)
		services = append(services, pulumi.Map{
			"name": pulumi.String(s.Name), "port": pulumi.Int(s.Port), "regions": pulumi.ToStringArray(s.Regions),
			"fqdn": pulumi.String(s.DNS.FQDN()), "healthPath": pulumi.String(s.Health.Path),
			"database": pulumi.Bool(s.Database != nil && s.Database.Engine == topology.EnginePostgres),
		})
	}
	env := t.Environment.Name
	monitor := &Monitor{}
	err = ctx.RegisterResource(contract.TypeLocalMonitor, env, pulumi.Map{
		"env": pulumi.String(env), "services": services, "rules": pulumi.String(string(rules)),
		"retention": pulumi.String(slo.PromDuration(retention)),
	}, monitor, pulumi.Parent(parent), pulumi.DependsOn(records))
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	return monitor, nil
}

// orderedRegions lists a service's regions, the primary first.
func orderedRegions(t *topology.Topology, s topology.Service) []string {
	primary := t.Primary().Name
	var out []string
	for _, r := range s.Regions {
		if r == primary {
			out = append([]string{r}, out...)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// endpointHost reads services.<svc>.endpoint from a region's outputs and
// keeps the address.
func endpointHost(region pulumi.MapOutput, service string) pulumi.StringOutput {
	return region.ApplyT(func(outs map[string]any) string {
		services, _ := outs[contract.OutputServices].(map[string]any)
		svc, _ := services[service].(map[string]any)
		endpoint, _ := svc[contract.OutputEndpoint].(string)
		if host, _, err := net.SplitHostPort(endpoint); err == nil {
			return host
		}
		return endpoint
	}).(pulumi.StringOutput)
}
