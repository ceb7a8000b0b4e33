package aws_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// planOf plans an environment of the repository under Pulumi mocks.
func planOf(t *testing.T, env string) (*topology.Topology, *plan.Plan) {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root(), "images"))}
	topo, err := l.LoadFile(filepath.Join(root(), "environments", env+".hcl"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return topo, p
}

func stack(t *testing.T, p *plan.Plan, name string) plan.StackGraph {
	t.Helper()
	for _, s := range p.Stacks {
		if s.Stack == name {
			return s
		}
	}
	t.Fatalf("no stack %s in the plan", name)
	return plan.StackGraph{}
}

func ofType(s plan.StackGraph, typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range s.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestRegionsOfProd(t *testing.T) {
	topo, p := planOf(t, "prod")
	manifest, err := imagemanifest.Load(filepath.Join(root(), "images"), "shop")
	if err != nil {
		t.Fatal(err)
	}
	svc := topo.Services[0]
	for _, r := range topo.Regions {
		s := stack(t, p, "prod."+r.Name)
		// network: a public and a private subnet and a NAT gateway per zone
		if n := len(ofType(s, "aws:ec2/subnet:Subnet")); n != 2*r.Zones {
			t.Errorf("%s: %d subnets, want %d", r.Name, n, 2*r.Zones)
		}
		nats := ofType(s, "aws:ec2/natGateway:NatGateway")
		if len(nats) != r.Zones {
			t.Errorf("%s: %d NAT gateways, want one per zone (%d)", r.Name, len(nats), r.Zones)
		}
		var zones []string
		for _, sub := range ofType(s, "aws:ec2/subnet:Subnet") {
			zones = append(zones, fmt.Sprint(sub.Inputs["availabilityZone"]))
		}
		for _, z := range awsmodule.Zones(r.Name, r.Zones) {
			if !slices.Contains(zones, z) {
				t.Errorf("%s: no subnet in %s (%v)", r.Name, z, zones)
			}
		}
		// the launch template: the region's AMI from the manifest, IMDSv2, encrypted volumes
		lts := ofType(s, "aws:ec2/launchTemplate:LaunchTemplate")
		if len(lts) != 1 {
			t.Fatalf("%s: %d launch templates", r.Name, len(lts))
		}
		lt := lts[0].Inputs
		if want, _ := manifest.AMI(r.Name); lt["imageId"] != want {
			t.Errorf("%s: imageId %v, want the manifest's %s", r.Name, lt["imageId"], want)
		}
		if get(lt, "metadataOptions", "httpTokens") != "required" {
			t.Errorf("%s: IMDSv2 not required: %v", r.Name, lt["metadataOptions"])
		}
		if get(lt, "blockDeviceMappings", "0", "ebs", "encrypted") != "true" {
			t.Errorf("%s: root volume not encrypted: %v", r.Name, lt["blockDeviceMappings"])
		}
		// the group: ELB health checks, the environment's capacity, target tracking on CPU
		g := ofType(s, "aws:autoscaling/group:Group")[0].Inputs
		if g["healthCheckType"] != "ELB" || g["minSize"] != float64(svc.Capacity.Min) || g["maxSize"] != float64(svc.Capacity.Max) ||
			g["desiredCapacity"] != float64(svc.Capacity.Desired) || g["healthCheckGracePeriod"] != float64(awsmodule.GracePeriod(svc.Health)) {
			t.Errorf("%s: group %v", r.Name, g)
		}
		if n := len(get(g, "vpcZoneIdentifiers").([]any)); n != r.Zones {
			t.Errorf("%s: group over %d subnets, want %d", r.Name, n, r.Zones)
		}
		pol := ofType(s, "aws:autoscaling/policy:Policy")[0].Inputs
		if get(pol, "targetTrackingConfiguration", "predefinedMetricSpecification", "predefinedMetricType") != "ASGAverageCPUUtilization" ||
			get(pol, "targetTrackingConfiguration", "targetValue") != float64(svc.Scaling.TargetCPU) {
			t.Errorf("%s: scaling policy %v", r.Name, pol)
		}
		// the target group's health check is the environment's
		tg := ofType(s, "aws:lb/targetGroup:TargetGroup")[0].Inputs
		if get(tg, "healthCheck", "path") != svc.Health.Path || get(tg, "healthCheck", "interval") != svc.Health.Interval.Seconds() ||
			get(tg, "healthCheck", "unhealthyThreshold") != float64(svc.Health.UnhealthyAfter) {
			t.Errorf("%s: target group health check %v", r.Name, tg["healthCheck"])
		}
		// the data tier: the global cluster in the primary region only; every cluster encrypted and protected
		globals := ofType(s, "aws:rds/globalCluster:GlobalCluster")
		if (len(globals) == 1) != r.Primary {
			t.Errorf("%s: %d global clusters (primary %v)", r.Name, len(globals), r.Primary)
		}
		c := ofType(s, "aws:rds/cluster:Cluster")[0].Inputs
		if c["storageEncrypted"] != true || c["deletionProtection"] != true || c["globalClusterIdentifier"] != awsmodule.GlobalCluster(topo, "shop") ||
			get(c, "tags", awsmodule.BackupTag) != awsmodule.GlobalCluster(topo, "shop") {
			t.Errorf("%s: cluster %v", r.Name, c)
		}
		if n := len(ofType(s, "aws:rds/clusterInstance:ClusterInstance")); n != r.Zones {
			t.Errorf("%s: %d database instances, want one per zone", r.Name, n)
		}
		// a vault everywhere the plan keeps backups, with its own key
		if v := ofType(s, "aws:backup/vault:Vault"); len(v) != 1 || v[0].Inputs["kmsKeyArn"] == "" || v[0].Inputs["name"] != awsmodule.Vault(topo, "shop") {
			t.Errorf("%s: vaults %v", r.Name, v)
		}
	}
	// the plan in the primary region copies every backup to the other regions' vaults
	primary := stack(t, p, "prod.us-east-1")
	rule := get(ofType(primary, "aws:backup/plan:Plan")[0].Inputs, "rules", "0").(map[string]any)
	var dests []string
	for _, c := range rule["copyActions"].([]any) {
		dests = append(dests, fmt.Sprint(get(c.(map[string]any), "destinationVaultArn")))
	}
	want := []string{awsmodule.VaultArn(topo, plan.MockAccount, "us-west-2", "shop"), awsmodule.VaultArn(topo, plan.MockAccount, "eu-west-1", "shop")}
	if !slices.Equal(dests, want) {
		t.Errorf("copy actions %v, want %v", dests, want)
	}
	if rule["schedule"] != awsmodule.Schedule(svc.Backup.Every) || get(rule, "lifecycle", "deleteAfter") != float64(35) {
		t.Errorf("backup rule %v", rule)
	}
	if len(ofType(primary, "aws:backup/restoreTestingPlan:RestoreTestingPlan")) != 1 || len(ofType(primary, "aws:backup/selection:Selection")) != 1 {
		t.Error("the primary region has no restore testing plan or no selection")
	}
	for _, r := range []string{"us-west-2", "eu-west-1"} {
		if n := len(ofType(stack(t, p, "prod."+r), "aws:backup/plan:Plan")); n != 0 {
			t.Errorf("%s declares %d backup plans; only the primary region does", r, n)
		}
	}
	// active-active: a latency record per region, each tied to its region's health check
	global := stack(t, p, "prod.global")
	checks := ofType(global, "aws:route53/healthCheck:HealthCheck")
	records := ofType(global, "aws:route53/record:Record")
	if len(checks) != 3 || len(records) != 3 {
		t.Fatalf("global: %d health checks, %d records", len(checks), len(records))
	}
	for _, hc := range checks {
		if hc.Inputs["requestInterval"] != float64(10) || hc.Inputs["failureThreshold"] != float64(svc.Health.UnhealthyAfter) || hc.Inputs["resourcePath"] != "/healthz" {
			t.Errorf("health check %s: %v", hc.Name, hc.Inputs)
		}
	}
	for _, rec := range records {
		region := fmt.Sprint(rec.Inputs["setIdentifier"])
		if get(rec.Inputs, "latencyRoutingPolicies", "0", "region") != region || rec.Inputs["ttl"] != float64(30) ||
			rec.Inputs["name"] != "www.shop.example.com" || rec.Inputs["zoneId"] != "Z-shop.example.com" {
			t.Errorf("record %s: %v", rec.Name, rec.Inputs)
		}
		if fmt.Sprint(get(rec.Inputs, "records", "0")) != "shop.elb.example" {
			t.Errorf("record %s points at %v, want its region's load balancer", rec.Name, rec.Inputs["records"])
		}
	}
}

func TestHotStandbyFailoverRecords(t *testing.T) {
	topo, p := planOf(t, "staging")
	global := stack(t, p, "staging.global")
	kinds := map[string]string{}
	for _, rec := range ofType(global, "aws:route53/record:Record") {
		kinds[fmt.Sprint(rec.Inputs["setIdentifier"])] = fmt.Sprint(get(rec.Inputs, "failoverRoutingPolicies", "0", "type"))
		if rec.Inputs["healthCheckId"] == nil || rec.Inputs["healthCheckId"] == "" {
			t.Errorf("record %s has no health check", rec.Name)
		}
	}
	primary, others := topo.PrimaryRegionOf(topo.Services[0])
	if kinds[primary] != "PRIMARY" || kinds[others[0]] != "SECONDARY" || len(kinds) != 2 {
		t.Errorf("failover records %v, want %s PRIMARY and %s SECONDARY", kinds, primary, others[0])
	}
}
