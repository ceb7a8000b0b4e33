package cost

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// sqsPollsPerHour is how often an idle consumer receives from its write
// queue: a long poll of modules/aws's QueueReceiveWait (20 s) each time.
const sqsPollsPerHour = 3600 / 20

// Estimate prices an aws plan of t: each resource by its type, the usage
// a plan cannot know from each service's usage. A rate the price files do
// not have (pricing.ErrNoPrice) leaves its resource unpriced, listed in
// the bill; any other error of the prices (a file that does not read)
// is returned.
func Estimate(t *topology.Topology, p *plan.Plan, c Prices) (Bill, error) {
	if p.Target != string(topology.TargetAWS) {
		return Bill{}, fmt.Errorf("cost: the plan of %s is of target %q; price the aws plan of AsAWS(t)", p.Environment, p.Target)
	}
	e := &estimator{t: t, prices: c, services: map[string]topology.Service{}, unpriced: map[string]*Unpriced{}}
	for _, s := range t.Services {
		e.services[s.Name] = s
	}
	e.bill = Bill{Environment: t.Environment.Name, Target: string(t.Environment.Target), Prices: t.Environment.Prices,
		Published: c.Published(), HoursPerMonth: HoursPerMonth, Mapping: map[string]string{}, Lines: []Line{}, Unpriced: []Unpriced{}}
	for _, r := range t.Regions {
		e.bill.Mapping[r.Name] = r.Name
	}
	for i := range p.Stacks {
		if err := e.stack(&p.Stacks[i]); err != nil {
			return Bill{}, err
		}
	}
	if err := e.usage(p); err != nil {
		return Bill{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(e.unpriced)) {
		e.bill.Unpriced = append(e.bill.Unpriced, *e.unpriced[k])
	}
	return e.bill, nil
}

type estimator struct {
	t        *topology.Topology
	prices   Prices
	services map[string]topology.Service
	bill     Bill
	unpriced map[string]*Unpriced
	// per stack: the resources by URN and by physical ID
	byURN map[string]*plan.Resource
	// natRegions are the regions with NAT gateways, consumers the
	// instances or tasks of a service in a region.
	natRegions map[string]string // region -> stack
	consumers  map[[2]string]float64
	// zones are the hosted zones the global stack reads, by name.
	zones map[string]string // zone name -> stack
}

// rate is a price lookup: a rate, or an error.
type rate func() (pricing.Rate, error)

// line adds a priced line; a rate the files lack leaves the kind unpriced.
func (e *estimator) line(l Line, r rate) error {
	rt, err := r()
	if errors.Is(err, pricing.ErrNoPrice) {
		e.markUnpriced(l.Kind, strings.SplitN(l.Resource, " ", 2)[0], l.Stack+"/"+l.Resource, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	l.UnitUSD, l.SKU, l.File = rt.USD, rt.SKU, rt.File
	if l.Unit == "" {
		l.Unit = rt.Unit
	}
	l.MonthlyUSD = l.Quantity * rt.USD
	e.bill.Lines = append(e.bill.Lines, l)
	return nil
}

func (e *estimator) markUnpriced(kind, typ, name, why string) {
	k := kind + "\x00" + why
	u := e.unpriced[k]
	if u == nil {
		u = &Unpriced{Kind: kind, Type: typ, Why: why}
		e.unpriced[k] = u
	}
	u.Count++
	if len(u.Names) < 5 {
		u.Names = append(u.Names, name)
	}
}

// usageOf is a service's usage; a topology built in code without a usage
// block has the defaults.
func (e *estimator) usageOf(service string) topology.Usage {
	s, ok := e.services[service]
	if !ok || s.Usage.From == nil {
		return topology.DefaultUsage()
	}
	return s.Usage
}

// basis describes a usage figure: "usage.writes_per_month 1M (default)".
func basis(u topology.Usage, name string) string {
	v, _ := u.Value(name)
	return fmt.Sprintf("usage.%s %s (%s)", name, count(v), u.Source(name))
}

// count prints a figure shortly: 10M, 2.5k, 20.
func count(x float64) string {
	switch {
	case x >= 1e9 && x == float64(int64(x/1e7))*1e7:
		return strconv.FormatFloat(x/1e9, 'f', -1, 64) + "G"
	case x >= 1e6 && x == float64(int64(x/1e4))*1e4:
		return strconv.FormatFloat(x/1e6, 'f', -1, 64) + "M"
	case x >= 1e3 && x == float64(int64(x/10))*10:
		return strconv.FormatFloat(x/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func label(r *plan.Resource) string { return kindName(r.Type) + " " + r.Name }

// kindName is a type token's short name: "aws:ec2/natGateway:NatGateway" -> "ec2/natGateway".
func kindName(typ string) string {
	s := strings.TrimPrefix(typ, "aws:")
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// serviceOf finds the service a resource belongs to: its bulwark:service
// tag, else the topology Service component above it.
func (e *estimator) serviceOf(r *plan.Resource) string {
	switch tags := r.Inputs["tags"].(type) {
	case map[string]any:
		if s, ok := tags[contract.TagService].(string); ok {
			return s
		}
	case []any: // an autoscaling group's tags
		for _, x := range tags {
			if m, ok := x.(map[string]any); ok && m["key"] == contract.TagService {
				if s, ok := m["value"].(string); ok {
					return s
				}
			}
		}
	}
	for p := e.byURN[r.Parent]; p != nil; p = e.byURN[p.Parent] {
		if p.Type == contract.TypeTopologyService {
			return p.Name
		}
	}
	return ""
}

// freeKinds are the aws resource types AWS does not charge for by
// themselves, with why (what their cost is priced through, if anything).
var freeKinds = map[string]string{
	"aws:ec2/vpc:Vpc":                                     "no charge",
	"aws:ec2/subnet:Subnet":                               "no charge",
	"aws:ec2/routeTable:RouteTable":                       "no charge",
	"aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
	"aws:ec2/internetGateway:InternetGateway":             "no charge (its traffic is priced as internet-out)",
	"aws:ec2/securityGroup:SecurityGroup":                 "no charge",
	"aws:ec2/launchTemplate:LaunchTemplate":               "priced through its autoscaling group",
	"aws:autoscaling/policy:Policy":                       "no charge",
	"aws:appautoscaling/target:Target":                    "no charge",
	"aws:appautoscaling/policy:Policy":                    "no charge",
	"aws:ecs/cluster:Cluster":                             "no charge (Fargate tasks are priced)",
	"aws:ecs/taskDefinition:TaskDefinition":               "priced through its ECS service",
	"aws:lb/targetGroup:TargetGroup":                      "no charge",
	"aws:lb/listener:Listener":                            "no charge",
	"aws:lb/listenerRule:ListenerRule":                    "no charge",
	"aws:iam/role:Role":                                   "no charge",
	"aws:iam/rolePolicy:RolePolicy":                       "no charge",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":   "no charge",
	"aws:iam/instanceProfile:InstanceProfile":             "no charge",
	"aws:ssm/parameter:Parameter":                         "no charge (standard tier)",
	"aws:rds/subnetGroup:SubnetGroup":                     "no charge",
	"aws:rds/globalCluster:GlobalCluster":                 "priced through its regional clusters",
	"aws:route53/record:Record":                           "priced as the service's DNS queries",
	"aws:backup/plan:Plan":                                "priced as its copies between regions",
	"aws:backup/selection:Selection":                      "no charge",
	"aws:fis/experimentTemplate:ExperimentTemplate":       "no charge until a drill runs it",
	"aws:cloudfront/cachePolicy:CachePolicy":              "no charge",
	"aws:secretsmanager/secretVersion:SecretVersion":      "priced with its secret",
	"aws:secretsmanager/secretRotation:SecretRotation":    "no charge (its function's invocations are not priced)",
	"aws:sns/topic:Topic":                                 "no charge for a topic; alarm notifications are within SNS's free million publishes",
	"aws:scheduler/schedule:Schedule":                     "within EventBridge Scheduler's free 14 million invocations a month",
}

// unpricedKinds are aws types AWS charges for that this bill does not
// price yet, with why; any aws type in neither list is unpriced as unknown.
var unpricedKinds = map[string]string{
	"aws:kms/key:Key":                                                  "KMS keys ($/key-month) are not read from the price files yet",
	"aws:kms/replicaKey:ReplicaKey":                                    "KMS keys ($/key-month) are not read from the price files yet",
	"aws:secretsmanager/secret:Secret":                                 "Secrets Manager secrets are not read from the price files yet",
	"aws:ec2/eip:Eip":                                                  "public IPv4 addresses are not read from the price files yet",
	"aws:cloudwatch/compositeAlarm:CompositeAlarm":                     "composite alarms are not read from the price files yet",
	"aws:cloudwatch/dashboard:Dashboard":                               "dashboards are not read from the price files yet",
	"aws:cloudwatch/logGroup:LogGroup":                                 "log ingestion and storage depend on usage the usage block does not give",
	"aws:serverlessrepository/cloudFormationStack:CloudFormationStack": "the rotation function's Lambda invocations are not priced",
	"aws:backup/restoreTestingPlan:RestoreTestingPlan":                 "restore tests' restores are not priced",
	"aws:backup/restoreTestingSelection:RestoreTestingSelection":       "restore tests' restores are not priced",
}

// stack prices one stack's resources.
func (e *estimator) stack(g *plan.StackGraph) error {
	e.byURN = make(map[string]*plan.Resource, len(g.Resources))
	byID := map[string]*plan.Resource{}
	for i := range g.Resources {
		r := &g.Resources[i]
		e.byURN[r.URN] = r
		if r.ID != "" {
			byID[r.ID] = r
		}
		if arn, ok := r.Outputs["arn"].(string); ok {
			byID[arn] = r
		}
	}
	if e.natRegions == nil {
		e.natRegions, e.consumers, e.zones = map[string]string{}, map[[2]string]float64{}, map[string]string{}
	}
	for _, inv := range g.Invokes {
		if inv.Token == "aws:route53/getZone:getZone" {
			if name, ok := inv.Result["name"].(string); ok {
				e.zones[strings.TrimSuffix(name, ".")] = g.Stack
			}
		}
	}
	for i := range g.Resources {
		r := &g.Resources[i]
		if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		if err := e.resource(g.Stack, r, byID); err != nil {
			return fmt.Errorf("cost: %s %s: %w", r.Type, r.Name, err)
		}
	}
	return nil
}

func (e *estimator) resource(stack string, r *plan.Resource, byID map[string]*plan.Resource) error {
	svc := e.serviceOf(r)
	u := e.usageOf(svc)
	base := Line{Stack: stack, Service: svc, Resource: label(r), Region: r.Region}
	at := func(kind string, qty float64, unit, why string) Line {
		l := base
		l.Kind, l.Quantity, l.Unit, l.Basis = kind, qty, unit, why
		return l
	}
	region := r.Region
	switch r.Type {
	case "aws:autoscaling/group:Group":
		desired, how := number(r.Inputs, "desiredCapacity"), "desired"
		if _, ok := r.Inputs["desiredCapacity"]; !ok {
			desired, how = number(r.Inputs, "minSize"), "minimum (no desired capacity)"
		}
		e.consumers[[2]string{svc, region}] += desired
		lt := byID[str(obj(r.Inputs, "launchTemplate"), "id")]
		if lt == nil {
			e.markUnpriced("ec2-instance", kindName(r.Type), stack+"/"+r.Name, "its launch template is not in the plan")
			return nil
		}
		it := str(lt.Inputs, "instanceType")
		if err := e.line(at("ec2-instance", desired*HoursPerMonth, "instance-hours",
			fmt.Sprintf("%s %s instances × %d h (%s)", how, count(desired), HoursPerMonth, it)),
			func() (pricing.Rate, error) { return e.prices.EC2Instance(region, it) }); err != nil {
			return err
		}
		for _, m := range list(lt.Inputs, "blockDeviceMappings") {
			ebs := obj(m, "ebs")
			gb, vt := number(ebs, "volumeSize"), cmp.Or(str(ebs, "volumeType"), "gp2")
			if gb == 0 {
				continue
			}
			l := at("ebs-volume", desired*gb, "GB-months", fmt.Sprintf("%s instances × %s GB %s (%s)", count(desired), count(gb), vt, str(m, "deviceName")))
			if err := e.line(l, func() (pricing.Rate, error) { return e.prices.EBSStorage(region, vt) }); err != nil {
				return err
			}
		}
	case "aws:ecs/service:Service":
		desired := number(r.Inputs, "desiredCount")
		e.consumers[[2]string{svc, region}] += desired
		td := byID[str(r.Inputs, "taskDefinition")]
		if td == nil {
			e.markUnpriced("fargate-vcpu", kindName(r.Type), stack+"/"+r.Name, "its task definition is not in the plan")
			return nil
		}
		vcpu, gb := number(td.Inputs, "cpu")/1024, number(td.Inputs, "memory")/1024
		if err := e.line(at("fargate-vcpu", desired*vcpu*HoursPerMonth, "vCPU-hours",
			fmt.Sprintf("desired %s tasks × %s vCPU × %d h", count(desired), count(vcpu), HoursPerMonth)),
			func() (pricing.Rate, error) { return e.prices.FargateVCPUHour(region) }); err != nil {
			return err
		}
		return e.line(at("fargate-memory", desired*gb*HoursPerMonth, "GB-hours",
			fmt.Sprintf("desired %s tasks × %s GB × %d h", count(desired), count(gb), HoursPerMonth)),
			func() (pricing.Rate, error) { return e.prices.FargateGBHour(region) })
	case "aws:lb/loadBalancer:LoadBalancer":
		if t := cmp.Or(str(r.Inputs, "loadBalancerType"), "application"); t != "application" {
			e.markUnpriced("load-balancer", kindName(r.Type), stack+"/"+r.Name, "a "+t+" load balancer is not priced")
			return nil
		}
		if err := e.line(at("alb", HoursPerMonth, "hours", fmt.Sprintf("1 load balancer × %d h", HoursPerMonth)),
			func() (pricing.Rate, error) { return e.prices.ALBHour(region) }); err != nil {
			return err
		}
		return e.line(at("alb-lcu", u.LCU*HoursPerMonth, "LCU-hours", fmt.Sprintf("%s × %d h", basis(u, "lcu"), HoursPerMonth)),
			func() (pricing.Rate, error) { return e.prices.ALBLCUHour(region) })
	case "aws:ec2/natGateway:NatGateway":
		e.natRegions[region] = stack
		return e.line(at("nat-gateway", HoursPerMonth, "hours", fmt.Sprintf("1 NAT gateway × %d h", HoursPerMonth)),
			func() (pricing.Rate, error) { return e.prices.NATGatewayHour(region) })
	case "aws:rds/clusterInstance:ClusterInstance":
		class := str(r.Inputs, "instanceClass")
		return e.line(at("aurora-instance", HoursPerMonth, "instance-hours", fmt.Sprintf("1 instance × %d h (%s)", HoursPerMonth, class)),
			func() (pricing.Rate, error) { return e.prices.AuroraInstance(region, class) })
	case "aws:rds/cluster:Cluster":
		return e.aurora(at, r, svc, u)
	case "aws:dynamodb/table:Table":
		return e.dynamo(at, r, svc, u)
	case "aws:route53/healthCheck:HealthCheck":
		fqdn := str(r.Inputs, "fqdn")
		onAWS := strings.HasSuffix(fqdn, ".amazonaws.com")
		where := "an endpoint outside AWS"
		if onAWS {
			where = "an AWS endpoint (" + fqdn[strings.Index(fqdn, ".")+1:] + ")"
		}
		if err := e.line(at("route53-health-check", 1, "health-check-months", "1 health check of "+where),
			func() (pricing.Rate, error) { return e.prices.Route53HealthCheck(onAWS) }); err != nil {
			return err
		}
		// optional features (HTTPS, latency measurement) cost a surcharge
		// each: the API's rate is for an AWS endpoint's
		for _, opt := range []struct {
			on         bool
			kind, what string
		}{
			{strings.HasPrefix(str(r.Inputs, "type"), "HTTPS"), "route53-health-check-https", "the HTTPS option of 1 health check"},
			{r.Inputs["measureLatency"] == true, "route53-health-check-latency", "the latency measurement option of 1 health check"},
		} {
			switch {
			case !opt.on:
			case !onAWS:
				e.markUnpriced(opt.kind, kindName(r.Type), stack+"/"+r.Name, "an optional feature of a health check of an endpoint outside AWS has no rate in the price API")
			default:
				if err := e.line(at(opt.kind, 1, "health-check-months", opt.what), func() (pricing.Rate, error) { return e.prices.Route53HealthCheckHTTPS() }); err != nil {
					return err
				}
			}
		}
	case "aws:backup/vault:Vault":
		return e.line(at("backup-storage", u.BackupGB, "GB-months", basis(u, "backup_gb")+" in this vault"),
			func() (pricing.Rate, error) { return e.prices.BackupStorageGB(region) })
	case "aws:backup/plan:Plan":
		for _, rule := range list(r.Inputs, "rules") {
			for _, ca := range list(rule, "copyActions") {
				to := arnRegion(str(ca, "destinationVaultArn"))
				if to == "" || to == region {
					continue
				}
				l := at("backup-copy", u.BackupGB, "GB", basis(u, "backup_gb")+" copied "+region+" → "+to+" a month")
				l.Resource += " → " + to
				if err := e.line(l, func() (pricing.Rate, error) { return e.prices.InterRegionGB(region, to) }); err != nil {
					return err
				}
			}
		}
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		return e.line(at("cloudwatch-alarm", 1, "alarm-months", "1 standard-resolution alarm"),
			func() (pricing.Rate, error) { return e.prices.CloudWatchAlarm(region) })
	case "aws:sqs/queue:Queue":
		if _, main := r.Inputs["redrivePolicy"]; !main {
			l := at("sqs-requests", 0, "million requests", "a dead-letter queue: no consumer polls it")
			return e.line(l, func() (pricing.Rate, error) { return e.prices.SQSRequests(region) })
		}
		// consumers are counted from this stack's groups and services,
		// which sort before the queue only by chance: count them here
		n := e.consumersIn(stack, svc, region)
		polls := n * sqsPollsPerHour * HoursPerMonth
		l := at("sqs-requests", polls/1e6, "million requests",
			fmt.Sprintf("%s consumers × a long poll every 20 s × %d h = %s receives", count(n), HoursPerMonth, count(polls)))
		return e.line(l, func() (pricing.Rate, error) { return e.prices.SQSRequests(region) })
	case "aws:cloudfront/distribution:Distribution":
		area := e.area(svc)
		if err := e.line(at("cloudfront-data", u.GBOutPerMonth, "GB", basis(u, "gb_out_per_month")+" to viewers in "+area),
			func() (pricing.Rate, error) { return e.prices.CloudFrontGB(area) }); err != nil {
			return err
		}
		return e.line(at("cloudfront-requests", u.RequestsPerMonth/1e4, "10,000 requests", basis(u, "requests_per_month")+" over HTTPS"),
			func() (pricing.Rate, error) { return e.prices.CloudFrontHTTPSRequests(area) })
	default:
		if why, ok := unpricedKinds[r.Type]; ok {
			e.markUnpriced(kindName(r.Type), kindName(r.Type), stack+"/"+r.Name, why)
			return nil
		}
		if _, free := freeKinds[r.Type]; free {
			return nil
		}
		e.markUnpriced(kindName(r.Type), kindName(r.Type), stack+"/"+r.Name, "a resource type the bill does not know")
	}
	return nil
}

// consumersIn counts a service's instances or tasks in a stack (the
// desired capacity of its groups and ECS services).
func (e *estimator) consumersIn(stack, svc, region string) float64 {
	n := 0.0
	for _, r := range e.byURN {
		if e.serviceOf(r) != svc {
			continue
		}
		switch r.Type {
		case "aws:autoscaling/group:Group":
			n += number(r.Inputs, "desiredCapacity")
		case "aws:ecs/service:Service":
			n += number(r.Inputs, "desiredCount")
		}
	}
	return n
}

// primaryOf is the service's primary region (of the aws topology).
func (e *estimator) primaryOf(svc string) string {
	s, ok := e.services[svc]
	if !ok {
		return ""
	}
	p, _ := e.t.PrimaryRegionOf(s)
	return p
}

func (e *estimator) aurora(at func(string, float64, string, string) Line, r *plan.Resource, svc string, u topology.Usage) error {
	region := r.Region
	if err := e.line(at("aurora-storage", u.DatabaseGB, "GB-months", basis(u, "database_gb")+" in this region's cluster"),
		func() (pricing.Rate, error) { return e.prices.AuroraStorageGB(region) }); err != nil {
		return err
	}
	primary := cmp.Or(e.primaryOf(svc), region)
	if region == primary {
		return e.line(at("aurora-io", u.WritesPerMonth/1e6, "million I/Os", basis(u, "writes_per_month")+", one I/O a write (reads from the buffer cache)"),
			func() (pricing.Rate, error) { return e.prices.AuroraIO(region) })
	}
	if str(r.Inputs, "globalClusterIdentifier") == "" {
		return nil
	}
	l := at("aurora-replicated-write", u.WritesPerMonth/1e6, "million I/Os", basis(u, "writes_per_month")+" replicated from "+primary)
	l.Region = primary // billed where the writes come from
	if err := e.line(l, func() (pricing.Rate, error) { return e.prices.AuroraReplicatedWriteIO(primary) }); err != nil {
		return err
	}
	x := at("inter-region-replication", u.GBBetweenRegionsPerMonth, "GB", basis(u, "gb_between_regions_per_month")+" "+primary+" → "+region)
	x.Region = primary
	return e.line(x, func() (pricing.Rate, error) { return e.prices.InterRegionGB(primary, region) })
}

func (e *estimator) dynamo(at func(string, float64, string, string) Line, r *plan.Resource, svc string, u topology.Usage) error {
	region := r.Region
	if err := e.line(at("dynamodb-write", u.WritesPerMonth/1e6, "million write request units", basis(u, "writes_per_month")),
		func() (pricing.Rate, error) { return e.prices.DynamoDBWrite(region) }); err != nil {
		return err
	}
	if err := e.line(at("dynamodb-read", u.RequestsPerMonth/1e6, "million read request units", basis(u, "requests_per_month")+", one read a request"),
		func() (pricing.Rate, error) { return e.prices.DynamoDBRead(region) }); err != nil {
		return err
	}
	copies := []string{region}
	for _, rep := range list(r.Inputs, "replicas") {
		if to := str(rep, "regionName"); to != "" && to != region {
			copies = append(copies, to)
		}
	}
	for _, in := range copies {
		l := at("dynamodb-storage", u.DatabaseGB, "GB-months", basis(u, "database_gb")+" in "+in)
		l.Region = in
		if in != region {
			l.Resource += " replica " + in
		}
		if err := e.line(l, func() (pricing.Rate, error) { return e.prices.DynamoDBStorageGB(in) }); err != nil {
			return err
		}
		if in == region {
			continue
		}
		w := at("dynamodb-replicated-write", u.WritesPerMonth/1e6, "million replicated write request units", basis(u, "writes_per_month")+" replicated to "+in)
		w.Region, w.Resource = in, l.Resource
		if err := e.line(w, func() (pricing.Rate, error) { return e.prices.DynamoDBReplicatedWrite(in) }); err != nil {
			return err
		}
		x := at("inter-region-replication", u.GBBetweenRegionsPerMonth, "GB", basis(u, "gb_between_regions_per_month")+" "+region+" → "+in)
		x.Resource = l.Resource
		if err := e.line(x, func() (pricing.Rate, error) { return e.prices.InterRegionGB(region, in) }); err != nil {
			return err
		}
	}
	return nil
}

// usage prices what each service's usage says beyond its resources: its
// traffic to the internet, through the NAT gateways, and its DNS.
func (e *estimator) usage(p *plan.Plan) error {
	global := ""
	for _, g := range p.Stacks {
		if strings.HasSuffix(g.Stack, ".global") {
			global = g.Stack
		}
	}
	zoneBilled := map[string]bool{}
	for _, s := range e.t.Services {
		u := e.usageOf(s.Name)
		serving := s.Regions
		if s.Mode == topology.HotStandby {
			primary, _ := e.t.PrimaryRegionOf(s)
			serving = []string{primary}
		}
		if s.Cache == nil && len(serving) > 0 {
			share := u.GBOutPerMonth / float64(len(serving))
			for _, region := range serving {
				l := Line{Stack: e.stackOf(p, region), Service: s.Name, Kind: "internet-out", Resource: "traffic " + s.Name + " → internet", Region: region,
					Quantity: share, Unit: "GB", Basis: fmt.Sprintf("%s over %d serving region(s)", basis(u, "gb_out_per_month"), len(serving))}
				if err := e.line(l, func() (pricing.Rate, error) { return e.prices.InternetOutGB(region) }); err != nil {
					return err
				}
			}
		}
		for _, region := range s.Regions {
			stack, ok := e.natRegions[region]
			if !ok {
				continue
			}
			l := Line{Stack: stack, Service: s.Name, Kind: "nat-gateway-data", Resource: "traffic " + s.Name + " → NAT gateways", Region: region,
				Quantity: u.NATGBPerMonth, Unit: "GB", Basis: basis(u, "nat_gb_per_month") + " in " + region}
			if err := e.line(l, func() (pricing.Rate, error) { return e.prices.NATGatewayGB(region) }); err != nil {
				return err
			}
		}
		if global == "" || s.DNS.Zone == "" {
			continue
		}
		// latency records (active-active) are billed at the latency rate;
		// failover (hot-standby) and simple records at the standard one
		routed := s.Mode == topology.ActiveActive && len(s.Regions) > 1
		how := "simple records, standard rate"
		switch {
		case routed:
			how = "latency records, latency rate"
		case len(s.Regions) > 1:
			how = "failover records, standard rate"
		}
		l := Line{Stack: global, Service: s.Name, Kind: "route53-queries", Resource: "queries " + s.DNS.FQDN(),
			Quantity: u.DNSQueriesPerMonth / 1e6, Unit: "million queries", Basis: basis(u, "dns_queries_per_month") + ", " + how}
		if err := e.line(l, func() (pricing.Rate, error) { return e.prices.Route53Queries(routed) }); err != nil {
			return err
		}
		if _, read := e.zones[s.DNS.Zone]; read && !zoneBilled[s.DNS.Zone] {
			zoneBilled[s.DNS.Zone] = true
			z := Line{Stack: global, Service: s.Name, Kind: "route53-hosted-zone", Resource: "hosted zone " + s.DNS.Zone,
				Quantity: 1, Unit: "zone-months", Basis: "1 hosted zone the global stack reads (made outside bulwark, billed all the same)"}
			if err := e.line(z, func() (pricing.Rate, error) { return e.prices.Route53HostedZone() }); err != nil {
				return err
			}
		}
	}
	return nil
}

// stackOf names a region's stack in the plan.
func (e *estimator) stackOf(p *plan.Plan, region string) string {
	for _, g := range p.Stacks {
		if strings.HasSuffix(g.Stack, "."+region) {
			return g.Stack
		}
	}
	return p.Environment + "." + region
}

// area is the CloudFront price area of a service's viewers: the one of
// its primary region.
func (e *estimator) area(svc string) string {
	return CloudFrontArea(e.primaryOf(svc))
}

// CloudFrontArea is the CloudFront price area (the offer file's
// fromLocation) of an AWS region's viewers.
func CloudFrontArea(region string) string {
	switch {
	case strings.HasPrefix(region, "us-"):
		return "United States"
	case strings.HasPrefix(region, "ca-"):
		return "Canada"
	case strings.HasPrefix(region, "eu-"):
		return "Europe"
	case strings.HasPrefix(region, "sa-"):
		return "South America"
	case strings.HasPrefix(region, "ap-northeast-1"):
		return "Japan"
	case strings.HasPrefix(region, "ap-south-"):
		return "India"
	case strings.HasPrefix(region, "ap-southeast-2"):
		return "Australia"
	case strings.HasPrefix(region, "me-"), strings.HasPrefix(region, "il-"):
		return "Middle East"
	case strings.HasPrefix(region, "af-"):
		return "South Africa"
	}
	return "Asia Pacific"
}

// arnRegion is an ARN's region field.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func number(m map[string]any, k string) float64 {
	switch v := m[k].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func list(m map[string]any, k string) []map[string]any {
	xs, _ := m[k].([]any)
	out := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		if o, ok := x.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}
