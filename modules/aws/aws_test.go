package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
	return planFile(t, filepath.Join(root(), "environments", env+".hcl"))
}

// planFile plans an environment file under Pulumi mocks.
func planFile(t *testing.T, path string) (*topology.Topology, *plan.Plan) {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root(), "images"))}
	topo, err := l.LoadFile(path)
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

// shopStack is a stack of prod with only what belongs to the region or to
// shop: prod runs a second service (payments) these tests do not count.
func shopStack(t *testing.T, p *plan.Plan, name string) plan.StackGraph {
	t.Helper()
	s := stack(t, p, name)
	byURN := map[string]plan.Resource{}
	for _, r := range s.Resources {
		byURN[r.URN] = r
	}
	service := func(r plan.Resource) string {
		for ; ; r = byURN[r.Parent] {
			if r.Type == "bulwark:topology:Service" || r.Type == "bulwark:aws:Endpoint" {
				return r.Name
			}
			if r.Parent == "" {
				return ""
			}
		}
	}
	kept := s
	kept.Resources = nil
	for _, r := range s.Resources {
		if svc := service(r); svc == "" || svc == "shop" {
			kept.Resources = append(kept.Resources, r)
		}
	}
	return kept
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
		s := shopStack(t, p, "prod."+r.Name)
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
		// a public and a private subnet in each of r.Zones zones of the region
		distinct := slices.Compact(slices.Sorted(slices.Values(zones)))
		if len(distinct) != r.Zones {
			t.Errorf("%s: subnets in zones %v, want %d zones", r.Name, distinct, r.Zones)
		}
		for _, z := range distinct {
			if !strings.HasPrefix(z, r.Name) {
				t.Errorf("%s: a subnet in zone %s of another region", r.Name, z)
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
			g["desiredCapacity"] != float64(svc.Capacity.Desired) || g["healthCheckGracePeriod"] != 60.0 /* 2 × healthy_after (2) × 10 s, at least a minute */ {
			t.Errorf("%s: group %v", r.Name, g)
		}
		// groups take no provider default tags: drills find them by these
		groupTags := map[string]any{}
		for _, tag := range get(g, "tags").([]any) {
			tag := tag.(map[string]any)
			if tag["propagateAtLaunch"] != true {
				t.Errorf("%s: group tag %v not propagated to instances", r.Name, tag)
			}
			groupTags[tag["key"].(string)] = tag["value"]
		}
		if groupTags["bulwark:env"] != "prod" || groupTags["bulwark:region"] != r.Name || groupTags["bulwark:service"] != svc.Name {
			t.Errorf("%s: group tags %v lack the bulwark scope", r.Name, groupTags)
		}
		// a new image replaces instances, rolling back when they fail their checks
		if get(g, "instanceRefresh", "strategy") != "Rolling" || get(g, "instanceRefresh", "preferences", "autoRollback") != true {
			t.Errorf("%s: instance refresh %v", r.Name, g["instanceRefresh"])
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
		if c["storageEncrypted"] != true || c["deletionProtection"] != true || c["globalClusterIdentifier"] != "bulwark-prod-shop" ||
			get(c, "tags", "bulwark:backup") != "bulwark-prod-shop" {
			t.Errorf("%s: cluster %v", r.Name, c)
		}
		if n := len(ofType(s, "aws:rds/clusterInstance:ClusterInstance")); n != r.Zones {
			t.Errorf("%s: %d database instances, want one per zone", r.Name, n)
		}
		// a vault everywhere the plan keeps backups, with its own key
		if v := ofType(s, "aws:backup/vault:Vault"); len(v) != 1 || v[0].Inputs["kmsKeyArn"] == "" || v[0].Inputs["name"] != "bulwark-prod-shop" {
			t.Errorf("%s: vaults %v", r.Name, v)
		}
	}
	// the plan in the primary region copies every backup to the other regions' vaults
	primary := shopStack(t, p, "prod.us-east-1")
	rule := get(ofType(primary, "aws:backup/plan:Plan")[0].Inputs, "rules", "0").(map[string]any)
	var dests []string
	for _, c := range rule["copyActions"].([]any) {
		dests = append(dests, fmt.Sprint(get(c.(map[string]any), "destinationVaultArn")))
	}
	want := []string{"arn:aws:backup:us-west-2:123456789012:backup-vault:bulwark-prod-shop", "arn:aws:backup:eu-west-1:123456789012:backup-vault:bulwark-prod-shop"}
	if !slices.Equal(dests, want) {
		t.Errorf("copy actions %v, want %v", dests, want)
	}
	if rule["schedule"] != "cron(0 0/1 * * ? *)" /* every hour */ || get(rule, "lifecycle", "deleteAfter") != float64(35) {
		t.Errorf("backup rule %v", rule)
	}
	if len(ofType(primary, "aws:backup/restoreTestingPlan:RestoreTestingPlan")) != 1 || len(ofType(primary, "aws:backup/selection:Selection")) != 1 {
		t.Error("the primary region has no restore testing plan or no selection")
	}
	for _, r := range []string{"us-west-2", "eu-west-1"} {
		if n := len(ofType(shopStack(t, p, "prod."+r), "aws:backup/plan:Plan")); n != 0 {
			t.Errorf("%s declares %d backup plans; only the primary region does", r, n)
		}
	}
	// active-active: a latency record per region, each tied to its region's health check
	global := shopStack(t, p, "prod.global")
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
	// the hosted zone the global stack looked up
	var zoneID any
	for _, inv := range global.Invokes {
		if inv.Token == "aws:route53/getZone:getZone" && inv.Args["name"] == "shop.example.com" {
			zoneID = inv.Result["zoneId"]
		}
	}
	for _, rec := range records {
		region := fmt.Sprint(rec.Inputs["setIdentifier"])
		if get(rec.Inputs, "latencyRoutingPolicies", "0", "region") != region || rec.Inputs["ttl"] != float64(30) ||
			rec.Inputs["name"] != "www.shop.example.com" || zoneID == nil || rec.Inputs["zoneId"] != zoneID {
			t.Errorf("record %s: %v (zone %v)", rec.Name, rec.Inputs, zoneID)
		}
		lbs := ofType(shopStack(t, p, "prod."+region), "aws:lb/loadBalancer:LoadBalancer")
		if len(lbs) != 1 || get(rec.Inputs, "records", "0") != lbs[0].Outputs["dnsName"] {
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

func TestContainerServiceBehindHTTPS(t *testing.T) {
	topo, p := planOf(t, "staging")
	manifest, err := imagemanifest.Load(filepath.Join(root(), "images"), "shop")
	if err != nil {
		t.Fatal(err)
	}
	svc := topo.Services[0]
	for _, r := range topo.Regions {
		s := stack(t, p, "staging."+r.Name)
		if n := len(ofType(s, "aws:ec2/launchTemplate:LaunchTemplate")) + len(ofType(s, "aws:autoscaling/group:Group")); n != 0 {
			t.Errorf("%s: a container service declares %d launch templates and groups", r.Name, n)
		}
		// the task definition pins the digest, from the region's own registry
		tds := ofType(s, "aws:ecs/taskDefinition:TaskDefinition")
		if len(tds) != 1 {
			t.Fatalf("%s: %d task definitions", r.Name, len(tds))
		}
		var defs []map[string]any
		if err := json.Unmarshal([]byte(fmt.Sprint(tds[0].Inputs["containerDefinitions"])), &defs); err != nil {
			t.Fatalf("%s: container definitions: %v", r.Name, err)
		}
		want, _ := manifest.ContainerImage(r.Name)
		if len(defs) != 1 || defs[0]["image"] != want || !strings.Contains(want, "@sha256:") || !strings.Contains(want, ".ecr."+r.Name+".") {
			t.Errorf("%s: container image %v, want %s", r.Name, defs[0]["image"], want)
		}
		if defs[0]["readonlyRootFilesystem"] != true || get(defs[0], "portMappings", "0", "containerPort") != float64(svc.Port) {
			t.Errorf("%s: container %v", r.Name, defs[0])
		}
		if get(tds[0].Inputs, "requiresCompatibilities", "0") != "FARGATE" || tds[0].Inputs["networkMode"] != "awsvpc" {
			t.Errorf("%s: task definition %v", r.Name, tds[0].Inputs)
		}
		// the service: every zone's private subnet, behind the target group, rolled back when unhealthy
		es := ofType(s, "aws:ecs/service:Service")
		if len(es) != 1 {
			t.Fatalf("%s: %d ECS services", r.Name, len(es))
		}
		in := es[0].Inputs
		if get(in, "deploymentCircuitBreaker", "enable") != true || get(in, "deploymentCircuitBreaker", "rollback") != true {
			t.Errorf("%s: no circuit breaker with rollback: %v", r.Name, in["deploymentCircuitBreaker"])
		}
		if n := len(get(in, "networkConfiguration", "subnets").([]any)); n != r.Zones || get(in, "networkConfiguration", "assignPublicIp") != false {
			t.Errorf("%s: tasks over %d subnets (want %d), network %v", r.Name, n, r.Zones, in["networkConfiguration"])
		}
		if in["launchType"] != "FARGATE" || in["desiredCount"] != float64(svc.Capacity.Desired) || get(in, "loadBalancers", "0", "containerPort") != float64(svc.Port) {
			t.Errorf("%s: ECS service %v", r.Name, in)
		}
		if tg := ofType(s, "aws:lb/targetGroup:TargetGroup")[0].Inputs; tg["targetType"] != "ip" {
			t.Errorf("%s: target type %v, want ip for Fargate", r.Name, tg["targetType"])
		}
		target := ofType(s, "aws:appautoscaling/target:Target")
		pols := ofType(s, "aws:appautoscaling/policy:Policy")
		if len(target) != 1 || target[0].Inputs["minCapacity"] != float64(svc.Capacity.Min) || target[0].Inputs["maxCapacity"] != float64(svc.Capacity.Max) || len(pols) != 1 {
			t.Fatalf("%s: scaling targets %v, policies %d", r.Name, target, len(pols))
		}
		if get(pols[0].Inputs, "targetTrackingScalingPolicyConfiguration", "predefinedMetricSpecification", "predefinedMetricType") != "ECSServiceAverageCPUUtilization" ||
			get(pols[0].Inputs, "targetTrackingScalingPolicyConfiguration", "targetValue") != float64(svc.Scaling.TargetCPU) {
			t.Errorf("%s: scaling policy %v", r.Name, pols[0].Inputs)
		}
		// HTTPS with the region's certificate; HTTP only redirects
		listeners := map[string]map[string]any{}
		for _, l := range ofType(s, "aws:lb/listener:Listener") {
			listeners[fmt.Sprint(l.Inputs["protocol"])] = l.Inputs
		}
		https, http := listeners["HTTPS"], listeners["HTTP"]
		if https == nil || https["certificateArn"] != svc.HTTPS.Certificates[r.Name] || https["sslPolicy"] != awsmodule.SSLPolicy || https["port"] != float64(443) {
			t.Errorf("%s: HTTPS listener %v", r.Name, https)
		}
		if http == nil || get(http, "defaultActions", "0", "type") != "redirect" || get(http, "defaultActions", "0", "redirect", "protocol") != "HTTPS" {
			t.Errorf("%s: HTTP listener %v, want a redirect to HTTPS", r.Name, http)
		}
	}
	// DNS health checks speak HTTPS (port 80 only redirects, which Route 53 would take for health)
	for _, hc := range ofType(stack(t, p, "staging.global"), "aws:route53/healthCheck:HealthCheck") {
		if hc.Inputs["type"] != "HTTPS" || hc.Inputs["port"] != float64(443) {
			t.Errorf("health check %s: %v %v, want HTTPS on 443", hc.Name, hc.Inputs["type"], hc.Inputs["port"])
		}
	}
}

func TestSingleNAT(t *testing.T) {
	_, p := planOf(t, "staging")
	if n := len(ofType(stack(t, p, "staging.us-east-1"), "aws:ec2/natGateway:NatGateway")); n != 3 {
		t.Errorf("us-east-1 (per-zone): %d NAT gateways, want 3", n)
	}
	west := stack(t, p, "staging.us-west-2")
	nats := ofType(west, "aws:ec2/natGateway:NatGateway")
	if len(nats) != 1 {
		t.Fatalf("us-west-2 (single): %d NAT gateways, want 1", len(nats))
	}
	// every private route table leaves through that one gateway
	private := 0
	for _, rt := range ofType(west, "aws:ec2/routeTable:RouteTable") {
		if id := get(rt.Inputs, "routes", "0", "natGatewayId"); id != nil {
			private++
			if id != nats[0].ID { // the gateway's ID
				t.Errorf("route table %s routes through %v, want %s", rt.Name, id, nats[0].Name)
			}
		}
	}
	if private != 3 {
		t.Errorf("%d private route tables, want one per zone", private)
	}
}

func TestDynamoDBGlobalTable(t *testing.T) {
	_, p := planFile(t, filepath.Join("testdata", "dynamodb.hcl"))
	primary := stack(t, p, "catalog.us-east-1")
	tables := ofType(primary, "aws:dynamodb/table:Table")
	if len(tables) != 1 {
		t.Fatalf("primary region: %d tables", len(tables))
	}
	in := tables[0].Inputs
	if in["name"] != "bulwark-catalog-catalog" || in["streamEnabled"] != true || in["deletionProtectionEnabled"] != true ||
		get(in, "pointInTimeRecovery", "enabled") != true || get(in, "serverSideEncryption", "enabled") != true || get(in, "serverSideEncryption", "kmsKeyArn") == nil ||
		get(in, "tags", "bulwark:backup") != "bulwark-catalog-catalog" {
		t.Errorf("table %v", in)
	}
	var replicas []string
	for _, r := range in["replicas"].([]any) {
		rep := r.(map[string]any)
		replicas = append(replicas, fmt.Sprint(rep["regionName"]))
		if rep["kmsKeyArn"] == nil || rep["pointInTimeRecovery"] != true {
			t.Errorf("replica %v lacks its key or point-in-time recovery", rep)
		}
	}
	if !slices.Equal(replicas, []string{"us-west-2", "eu-west-1"}) {
		t.Errorf("replicas %v", replicas)
	}
	keyRegions := []string{}
	for _, k := range ofType(primary, "aws:kms/replicaKey:ReplicaKey") {
		keyRegions = append(keyRegions, fmt.Sprint(k.Inputs["region"]))
	}
	slices.Sort(keyRegions)
	if !slices.Equal(keyRegions, []string{"eu-west-1", "us-west-2"}) {
		t.Errorf("replica keys in %v", keyRegions)
	}
	// every replica's lag is watched where DynamoDB publishes it, the
	// sending (primary) region, and notifies that region's topic: an alarm
	// notifies only a topic of its own region
	lags := map[string]map[string]any{}
	for _, a := range ofType(primary, "aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Inputs["metricName"] == "ReplicationLatency" {
			lags[fmt.Sprint(get(a.Inputs, "dimensions", "ReceivingRegion"))] = a.Inputs
		}
	}
	if len(lags) != 2 || lags["us-west-2"] == nil || lags["eu-west-1"] == nil {
		t.Errorf("replication latency alarms for %v, want us-west-2 and eu-west-1", slices.Collect(maps.Keys(lags)))
	}
	for receiving, a := range lags {
		action := fmt.Sprint(get(a, "alarmActions", "0"))
		if a["region"] != nil || !strings.HasPrefix(action, "arn:aws:sns:us-east-1:") || !strings.HasSuffix(action, ":bulwark-catalog-us-east-1-alarms") {
			t.Errorf("%s's lag alarm lives in %v and notifies %s, want us-east-1's own topic", receiving, a["region"], action)
		}
	}
	for _, r := range []string{"us-west-2", "eu-west-1"} {
		s := stack(t, p, "catalog."+r)
		for _, a := range ofType(s, "aws:cloudwatch/metricAlarm:MetricAlarm") {
			if a.Inputs["metricName"] == "ReplicationLatency" {
				t.Errorf("%s declares a replication latency alarm %v: the metric is in the sending region", r, a.Inputs["name"])
			}
		}
		if n := len(ofType(s, "aws:dynamodb/table:Table")) + len(ofType(s, "aws:rds/cluster:Cluster")); n != 0 {
			t.Errorf("%s declares %d tables or clusters; the primary region's table holds its replica", r, n)
		}
		// requests per target: the environment says per second, the metric counts per minute
		pol := ofType(s, "aws:autoscaling/policy:Policy")[0].Inputs
		if get(pol, "targetTrackingConfiguration", "predefinedMetricSpecification", "predefinedMetricType") != "ALBRequestCountPerTarget" ||
			get(pol, "targetTrackingConfiguration", "targetValue") != float64(50*60) {
			t.Errorf("%s: scaling policy %v", r, pol)
		}
	}
}

// Parameters are copied into each region's Parameter Store, readable by the
// service's instances or containers only, and a change of one reaches them.
func TestParametersInEveryRegion(t *testing.T) {
	topo, p := planFile(t, filepath.Join(root(), "modules", "aws", "testdata", "parameters.hcl"))
	for _, r := range topo.Regions {
		s := stack(t, p, "params."+r.Name)
		params := map[string]plan.Resource{}
		for _, res := range ofType(s, "aws:ssm/parameter:Parameter") {
			params[fmt.Sprint(res.Inputs["name"])] = res
		}
		want := map[string]string{"/bulwark/params/catalog/LOG_LEVEL": "info", "/bulwark/params/catalog/GREETING": "hello", "/bulwark/params/cart/CURRENCY": "EUR"}
		if len(params) != len(want) {
			t.Errorf("%s: parameters %v, want %v", r.Name, slices.Collect(maps.Keys(params)), want)
		}
		for name, value := range want {
			in := params[name].Inputs
			if in["insecureValue"] != value || in["type"] != "String" || in["tier"] != "Standard" {
				t.Errorf("%s: parameter %s = %v", r.Name, name, in)
			}
		}
		// each role may read its own service's parameters, and no others
		policies := map[string]map[string]any{}
		for _, pol := range ofType(s, "aws:iam/rolePolicy:RolePolicy") {
			var doc map[string]any
			if err := json.Unmarshal([]byte(fmt.Sprint(pol.Inputs["policy"])), &doc); err != nil {
				t.Fatalf("%s: policy %s: %v", r.Name, pol.Name, err)
			}
			policies[pol.Name] = doc
		}
		for svc, names := range map[string][]string{"catalog": {"GREETING", "LOG_LEVEL"}, "cart": {"CURRENCY"}} {
			var doc map[string]any
			for name, d := range policies {
				if strings.Contains(name, svc) {
					doc = d
				}
			}
			if doc == nil {
				t.Fatalf("%s: no parameter policy of %s among %v", r.Name, svc, slices.Collect(maps.Keys(policies)))
			}
			resources := fmt.Sprint(get(doc, "Statement", "0", "Resource"))
			for _, n := range names {
				if !strings.Contains(resources, "parameter/bulwark/params/"+svc+"/"+n) {
					t.Errorf("%s: %s's policy %s does not grant %s", r.Name, svc, resources, n)
				}
			}
			if other := map[string]string{"catalog": "cart", "cart": "catalog"}[svc]; strings.Contains(resources, "/"+other+"/") {
				t.Errorf("%s: %s's policy grants %s's parameters: %s", r.Name, svc, other, resources)
			}
			if by := get(doc, "Statement", "1", "Resource"); by != "arn:aws:ssm:"+r.Name+":"+plan.MockAccount+":parameter/bulwark/params/"+svc {
				t.Errorf("%s: %s may read by path %v", r.Name, svc, by)
			}
		}
		// instances: the path and the digest in their tags
		lts := ofType(s, "aws:ec2/launchTemplate:LaunchTemplate")
		if len(lts) != 1 {
			t.Fatalf("%s: %d launch templates", r.Name, len(lts))
		}
		digest := topo.Services[0].ParametersDigest()
		if tags := get(lts[0].Inputs, "tagSpecifications", "0", "tags"); get(tags.(map[string]any), "bulwark:parameters") != "/bulwark/params/catalog/" ||
			get(tags.(map[string]any), "bulwark:parameters-digest") != digest {
			t.Errorf("%s: instance tags %v, want the parameters' path and digest %s", r.Name, tags, digest)
		}
		// containers: each parameter from the store, the digest beside them
		var defs []map[string]any
		if err := json.Unmarshal([]byte(fmt.Sprint(ofType(s, "aws:ecs/taskDefinition:TaskDefinition")[0].Inputs["containerDefinitions"])), &defs); err != nil {
			t.Fatal(err)
		}
		if get(defs[0], "secrets", "0", "name") != "CURRENCY" || !strings.HasSuffix(fmt.Sprint(get(defs[0], "secrets", "0", "valueFrom")), ":parameter/bulwark/params/cart/CURRENCY") {
			t.Errorf("%s: container secrets %v", r.Name, defs[0]["secrets"])
		}
		if !strings.Contains(fmt.Sprint(defs[0]["environment"]), topo.Services[1].ParametersDigest()) {
			t.Errorf("%s: container environment %v lacks the parameters' digest", r.Name, defs[0]["environment"])
		}
	}
}

// Every region of prod gets one alarm set per service, with thresholds
// derived from its SLO (99.95% over 30 days: a 0.05% budget; p99 300ms)
// and the region RPO (5s of replication lag); the page tiers' composite
// alarms and the latency alarm stop the region's zone-loss experiment; the
// global stack alarms on Route 53's checks and draws every region side by
// side on one dashboard.
func TestAlarmsPerRegion(t *testing.T) {
	topo, p := planOf(t, "prod")
	primary := topo.Primary().Name
	for _, r := range topo.Regions {
		s := shopStack(t, p, "prod."+r.Name)
		topics := ofType(s, "aws:sns/topic:Topic")
		if len(topics) != 1 || topics[0].Inputs["name"] != "bulwark-prod-"+r.Name+"-alarms" {
			t.Errorf("%s: topics %v", r.Name, topics)
		}
		alarms := map[string]map[string]any{}
		for _, a := range ofType(s, "aws:cloudwatch/metricAlarm:MetricAlarm") {
			alarms[strings.TrimPrefix(fmt.Sprint(a.Inputs["name"]), "bulwark-prod-"+r.Name+"-shop-")] = a.Inputs
		}
		burn := map[string][2]float64{ // alarm -> period, threshold
			"error-budget-burn-1h-long": {3600, 0.0072}, "error-budget-burn-1h-short": {300, 0.0072},
			"error-budget-burn-6h-long": {21600, 0.003}, "error-budget-burn-6h-short": {1800, 0.003},
			"error-budget-burn-1d-long": {86400, 0.0015}, "error-budget-burn-1d-short": {7200, 0.0015},
		}
		for name, want := range burn {
			a := alarms[name]
			if a == nil || a["threshold"] != want[1] || get(a, "metricQueries", "0", "metric", "period") != want[0] || a["alarmActions"] != nil {
				t.Errorf("%s: alarm %s = %v, want period %v threshold %v and no actions of its own", r.Name, name, a, want[0], want[1])
			}
		}
		if _, ok := alarms["error-budget-burn-3d-long"]; ok {
			t.Errorf("%s: a 3-day window alarm: CloudWatch periods stop at a day", r.Name)
		}
		if a := alarms["latency-p99"]; a == nil || a["threshold"] != 0.3 || a["extendedStatistic"] != "p99" {
			t.Errorf("%s: latency alarm %v", r.Name, a)
		}
		if a := alarms["capacity-below-minimum"]; a == nil || a["threshold"] != float64(topo.Services[0].Capacity.Min) {
			t.Errorf("%s: capacity alarm %v", r.Name, a)
		}
		if a := alarms["replication-lag"]; (a != nil) != (r.Name != primary) || (a != nil && a["threshold"] != 5000.0) {
			t.Errorf("%s: replication lag alarm %v (primary %s: none; replicas: 5000 ms, the region RPO)", r.Name, a, primary)
		}
		composites := ofType(s, "aws:cloudwatch/compositeAlarm:CompositeAlarm")
		if len(composites) != 3 {
			t.Errorf("%s: %d composite alarms, want 3 (1h, 6h, 1d tiers)", r.Name, len(composites))
		}
		for _, c := range composites {
			rule := fmt.Sprint(c.Inputs["alarmRule"])
			if !strings.Contains(rule, "-long\") AND ALARM(") || c.Inputs["alarmActions"] == nil {
				t.Errorf("%s: composite %v", r.Name, c.Inputs)
			}
		}
		exps := ofType(s, "aws:fis/experimentTemplate:ExperimentTemplate")
		if len(exps) != 1 {
			t.Fatalf("%s: %d experiment templates, want the zone-loss one", r.Name, len(exps))
		}
		in := exps[0].Inputs
		stops, _ := in["stopConditions"].([]any)
		if len(stops) != 3 || get(in, "stopConditions", "0", "source") != "aws:cloudwatch:alarm" {
			t.Errorf("%s: stop conditions %v, want the 1h and 6h burn composites and the latency alarm", r.Name, stops)
		}
		var subnetZones []string
		for _, sub := range ofType(s, "aws:ec2/subnet:Subnet") {
			subnetZones = append(subnetZones, fmt.Sprint(sub.Inputs["availabilityZone"]))
		}
		if zone := fmt.Sprint(get(in, "targets", "0", "filters", "0", "values", "0")); !slices.Contains(subnetZones, zone) || get(in, "actions", "0", "actionId") != "aws:network:disrupt-connectivity" {
			t.Errorf("%s: experiment %v", r.Name, in)
		}
	}
	global := shopStack(t, p, "prod.global")
	checks := 0
	for _, a := range ofType(global, "aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Inputs["metricName"] == "HealthCheckStatus" && a.Inputs["namespace"] == "AWS/Route53" {
			checks++
		}
	}
	if checks != len(topo.Regions) {
		t.Errorf("global: %d health check alarms, want one per region", checks)
	}
	boards := ofType(global, "aws:cloudwatch/dashboard:Dashboard")
	if len(boards) != 1 {
		t.Fatalf("dashboards: %v", boards)
	}
	body, err := awsmodule.DashboardBody(topo, map[string]map[string]string{"shop": {"us-east-1": "app/a/1", "us-west-2": "app/b/2", "eu-west-1": "app/c/3"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Widgets []struct {
			X, Y       int
			Properties struct {
				Region  string
				Metrics [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	row := map[int][]string{}
	for _, w := range doc.Widgets {
		row[w.Y] = append(row[w.Y], w.Properties.Region)
	}
	for y, regions := range row {
		if len(regions) != len(topo.Regions) {
			t.Errorf("dashboard row %d: regions %v, want every region side by side", y, regions)
		}
	}
}

// A service that runs in one region and copies its backups to another
// has its vault there too: the region's stack declares it although no
// instance of the service runs in it, so the primary's copy rule names a
// vault that exists.
func TestCopyVaultWhereTheServiceDoesNotRun(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root(), "environments", "staging.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), `  mode    = "hot-standby"`, `  mode    = "active-active"
  regions = ["us-east-1"]`, 1)
	s = strings.Replace(s, `      "us-west-2" = "arn:aws:acm:us-west-2:123456789012:certificate/1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1"
`, "", 1)
	dir, err := os.MkdirTemp(root(), ".test-env-") // inside the project, which plans it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "one-region.hcl")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	_, p := planFile(t, path)
	west := ofType(stack(t, p, "staging.us-west-2"), "aws:backup/vault:Vault")
	if len(west) != 1 {
		t.Fatalf("us-west-2 holds %d backup vaults, want shop's copy vault", len(west))
	}
	if n := len(ofType(stack(t, p, "staging.us-west-2"), "aws:rds/cluster:Cluster")); n != 0 {
		t.Errorf("us-west-2 has %d database clusters: shop does not run there", n)
	}
	// the primary's plan copies into that vault's ARN
	copied := false
	for _, plan := range ofType(stack(t, p, "staging.us-east-1"), "aws:backup/plan:Plan") {
		if strings.Contains(fmt.Sprint(plan.Inputs), "arn:aws:backup:us-west-2:") {
			copied = true
		}
	}
	if !copied {
		t.Error("the primary's backup plan copies nowhere in us-west-2")
	}
}
