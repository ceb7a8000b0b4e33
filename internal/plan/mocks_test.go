package plan

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The expected values below are AWS's documented formats and the ALB
// hosted zones of https://docs.aws.amazon.com/general/latest/gr/elb.html,
// written out as literals.

// twoRegions runs body with a provider in us-east-1 and one in eu-west-1.
func twoRegions(t *testing.T, body func(ctx *pulumi.Context, east, west pulumi.ResourceOption) error) *StackGraph {
	t.Helper()
	g, err := Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
		e, err := pulumiaws.NewProvider(ctx, "east", &pulumiaws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return nil, err
		}
		w, err := pulumiaws.NewProvider(ctx, "west", &pulumiaws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return nil, err
		}
		return pulumi.Map{}, body(ctx, pulumi.Provider(e), pulumi.Provider(w))
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func byName(g *StackGraph, typ, name string) Resource {
	for _, r := range g.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	return Resource{}
}

func matches(t *testing.T, what string, got any, pattern string) {
	t.Helper()
	s, _ := got.(string)
	if !regexp.MustCompile("^" + pattern + "$").MatchString(s) {
		t.Errorf("%s = %q, want %s", what, s, pattern)
	}
}

func TestLoadBalancersAreRegional(t *testing.T) {
	g := twoRegions(t, func(ctx *pulumi.Context, east, west pulumi.ResourceOption) error {
		for _, p := range []struct {
			name string
			opt  pulumi.ResourceOption
		}{{"shop", east}, {"shop-eu", west}} {
			if _, err := lb.NewLoadBalancer(ctx, p.name, &lb.LoadBalancerArgs{LoadBalancerType: pulumi.String("application")}, p.opt); err != nil {
				return err
			}
			if _, err := lb.NewTargetGroup(ctx, p.name, &lb.TargetGroupArgs{Port: pulumi.Int(80)}, p.opt); err != nil {
				return err
			}
		}
		_, err := lb.NewLoadBalancer(ctx, "named", &lb.LoadBalancerArgs{Name: pulumi.String("explicit"), Internal: pulumi.Bool(true)}, east)
		return err
	})
	for _, c := range []struct {
		name, region, zone string
	}{{"shop", "us-east-1", "Z35SXDOTRQ7X7K"}, {"shop-eu", "eu-west-1", "Z32O12XQLNTSW2"}} {
		lbr := byName(g, "aws:lb/loadBalancer:LoadBalancer", c.name)
		if lbr.Region != c.region {
			t.Errorf("%s: region %q, want %s", c.name, lbr.Region, c.region)
		}
		// Pulumi's autoname: the logical name, a hyphen, 7 hex digits
		matches(t, c.name+" name", lbr.Inputs["name"], c.name+"-[0-9a-f]{7}")
		name := lbr.Inputs["name"].(string)
		matches(t, c.name+" arn", lbr.Outputs["arn"], "arn:aws:elasticloadbalancing:"+c.region+":123456789012:loadbalancer/app/"+name+"/[0-9a-f]{16}")
		_, tail, _ := strings.Cut(lbr.Outputs["arn"].(string), ":loadbalancer/")
		if lbr.Outputs["arnSuffix"] != tail {
			t.Errorf("%s: arnSuffix %v, want the ARN's tail %s (CloudWatch's LoadBalancer dimension)", c.name, lbr.Outputs["arnSuffix"], tail)
		}
		matches(t, c.name+" dnsName", lbr.Outputs["dnsName"], name+"-[0-9]{10}\\."+c.region+"\\.elb\\.amazonaws\\.com")
		if lbr.Outputs["zoneId"] != c.zone || lbr.ID != lbr.Outputs["arn"] {
			t.Errorf("%s: zone %v id %s, want %s and the ARN", c.name, lbr.Outputs["zoneId"], lbr.ID, c.zone)
		}
		tg := byName(g, "aws:lb/targetGroup:TargetGroup", c.name)
		tgName, _ := tg.Inputs["name"].(string)
		matches(t, c.name+" target group arn", tg.Outputs["arn"], "arn:aws:elasticloadbalancing:"+c.region+":123456789012:targetgroup/"+tgName+"/[0-9a-f]{16}")
		_, tail, _ = strings.Cut(tg.Outputs["arn"].(string), ":")
		if s, _ := tg.Outputs["arnSuffix"].(string); !strings.HasSuffix(tail, s) || !strings.HasPrefix(s, "targetgroup/") {
			t.Errorf("%s: target group arnSuffix %q is not its ARN's tail", c.name, s)
		}
	}
	named := byName(g, "aws:lb/loadBalancer:LoadBalancer", "named")
	if named.Inputs["name"] != "explicit" {
		t.Errorf("an explicit name was changed: %v", named.Inputs["name"])
	}
	matches(t, "internal dnsName", named.Outputs["dnsName"], `internal-explicit-[0-9]{10}\.us-east-1\.elb\.amazonaws\.com`)
	if a, b := byName(g, "aws:lb/loadBalancer:LoadBalancer", "shop").Outputs["dnsName"], byName(g, "aws:lb/loadBalancer:LoadBalancer", "shop-eu").Outputs["dnsName"]; a == b {
		t.Errorf("two load balancers share the DNS name %v", a)
	}
}

func TestARNsAndIDsAsAWSFormatsThem(t *testing.T) {
	g := twoRegions(t, func(ctx *pulumi.Context, east, west pulumi.ResourceOption) error {
		vpc, err := ec2.NewVpc(ctx, "net", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")}, east)
		if err != nil {
			return err
		}
		if _, err := ec2.NewSubnet(ctx, "a", &ec2.SubnetArgs{VpcId: vpc.ID(), CidrBlock: pulumi.String("10.0.0.0/24"), AvailabilityZone: pulumi.String("us-east-1c")}, east); err != nil {
			return err
		}
		if _, err := ec2.NewSecurityGroup(ctx, "sg", &ec2.SecurityGroupArgs{VpcId: vpc.ID()}, east); err != nil {
			return err
		}
		if _, err := ec2.NewLaunchTemplate(ctx, "lt", &ec2.LaunchTemplateArgs{NamePrefix: pulumi.String("prod-shop-")}, east); err != nil {
			return err
		}
		if _, err := autoscaling.NewGroup(ctx, "asg", &autoscaling.GroupArgs{MaxSize: pulumi.Int(2), MinSize: pulumi.Int(1), NamePrefix: pulumi.String("prod-shop-")}, east); err != nil {
			return err
		}
		if _, err := iam.NewRole(ctx, "role", &iam.RoleArgs{AssumeRolePolicy: pulumi.String("{}")}); err != nil { // IAM is global: no provider needed
			return err
		}
		if _, err := sns.NewTopic(ctx, "alarms", &sns.TopicArgs{Name: pulumi.String("alarms")}, west); err != nil {
			return err
		}
		if _, err := ssm.NewParameter(ctx, "p", &ssm.ParameterArgs{Name: pulumi.String("/bulwark/prod/shop/LOG_LEVEL"), Type: pulumi.String("String"), InsecureValue: pulumi.String("info")}, west); err != nil {
			return err
		}
		if _, err := kms.NewKey(ctx, "key", &kms.KeyArgs{}, east); err != nil {
			return err
		}
		mrk, err := kms.NewKey(ctx, "mrk", &kms.KeyArgs{MultiRegion: pulumi.Bool(true)}, east)
		if err != nil {
			return err
		}
		// the replica's own region argument wins over the provider's
		if _, err := kms.NewReplicaKey(ctx, "replica", &kms.ReplicaKeyArgs{PrimaryKeyArn: mrk.Arn, Region: pulumi.String("eu-west-1")}, east); err != nil {
			return err
		}
		if _, err := secretsmanager.NewSecret(ctx, "db", &secretsmanager.SecretArgs{Name: pulumi.String("bulwark/prod/shop/database")}, east); err != nil {
			return err
		}
		if _, err := cloudwatch.NewMetricAlarm(ctx, "alarm", &cloudwatch.MetricAlarmArgs{Name: pulumi.String("bulwark-prod-shop-5xx"), ComparisonOperator: pulumi.String("GreaterThanThreshold"), EvaluationPeriods: pulumi.Int(1)}, west); err != nil {
			return err
		}
		gc, err := rds.NewGlobalCluster(ctx, "global", &rds.GlobalClusterArgs{GlobalClusterIdentifier: pulumi.String("bulwark-prod-shop")}, east)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			id  string
			opt pulumi.ResourceOption
		}{{"bulwark-prod-shop-us-east-1", east}, {"bulwark-prod-shop-eu-west-1", west}} {
			cl, err := rds.NewCluster(ctx, c.id, &rds.ClusterArgs{ClusterIdentifier: pulumi.String(c.id), Engine: pulumi.String("aurora-postgresql"), GlobalClusterIdentifier: gc.ID()}, c.opt)
			if err != nil {
				return err
			}
			if _, err := rds.NewClusterInstance(ctx, c.id, &rds.ClusterInstanceArgs{ClusterIdentifier: cl.ID(), InstanceClass: pulumi.String("db.r6g.large"), Engine: rds.EngineTypeAuroraPostgresql}, c.opt); err != nil {
				return err
			}
		}
		return nil
	})
	out := func(typ, name, key string) any { return byName(g, typ, name).Outputs[key] }
	hex17 := "[0-9a-f]{17}"
	matches(t, "vpc id", byName(g, "aws:ec2/vpc:Vpc", "net").ID, "vpc-"+hex17)
	matches(t, "vpc arn", out("aws:ec2/vpc:Vpc", "net", "arn"), "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-"+hex17)
	matches(t, "subnet id", byName(g, "aws:ec2/subnet:Subnet", "a").ID, "subnet-"+hex17)
	if z := out("aws:ec2/subnet:Subnet", "a", "availabilityZoneId"); z != "use1-az6" {
		t.Errorf("us-east-1c's zone ID in the mocks' account = %v, want use1-az6", z)
	}
	matches(t, "security group id", byName(g, "aws:ec2/securityGroup:SecurityGroup", "sg").ID, "sg-"+hex17)
	matches(t, "launch template id", byName(g, "aws:ec2/launchTemplate:LaunchTemplate", "lt").ID, "lt-"+hex17)
	// a name prefix gets Terraform's 26 characters, at create: an output
	matches(t, "launch template name", out("aws:ec2/launchTemplate:LaunchTemplate", "lt", "name"), "prod-shop-[0-9]{18}[0-9a-f]{8}")
	matches(t, "group name", byName(g, "aws:autoscaling/group:Group", "asg").ID, "prod-shop-[0-9]{18}[0-9a-f]{8}")
	if _, ok := byName(g, "aws:autoscaling/group:Group", "asg").Inputs["name"]; ok {
		t.Error("a group with a name prefix got an autoname too")
	}
	role := byName(g, "aws:iam/role:Role", "role")
	matches(t, "role arn", role.Outputs["arn"], `arn:aws:iam::123456789012:role/role-[0-9a-f]{7}`)
	if role.Region != "" {
		t.Errorf("a global IAM role without a provider has region %q", role.Region)
	}
	matches(t, "topic arn", out("aws:sns/topic:Topic", "alarms", "arn"), "arn:aws:sns:eu-west-1:123456789012:alarms")
	matches(t, "parameter arn", out("aws:ssm/parameter:Parameter", "p", "arn"), "arn:aws:ssm:eu-west-1:123456789012:parameter/bulwark/prod/shop/LOG_LEVEL")
	matches(t, "key arn", out("aws:kms/key:Key", "key", "arn"), "arn:aws:kms:us-east-1:123456789012:key/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
	matches(t, "multi-region key arn", out("aws:kms/key:Key", "mrk", "arn"), "arn:aws:kms:us-east-1:123456789012:key/mrk-[0-9a-f]{32}")
	_, primaryID, _ := strings.Cut(out("aws:kms/key:Key", "mrk", "arn").(string), ":key/")
	if r := byName(g, "aws:kms/replicaKey:ReplicaKey", "replica"); r.Region != "eu-west-1" || r.Outputs["arn"] != "arn:aws:kms:eu-west-1:123456789012:key/"+primaryID {
		t.Errorf("replica key: region %s arn %v, want eu-west-1 and its primary's key ID", r.Region, r.Outputs["arn"])
	}
	matches(t, "secret arn", out("aws:secretsmanager/secret:Secret", "db", "arn"), "arn:aws:secretsmanager:us-east-1:123456789012:secret:bulwark/prod/shop/database-[A-Za-z0-9]{6}")
	matches(t, "alarm arn", out("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", "arn"), "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:bulwark-prod-shop-5xx")
	matches(t, "global cluster arn", out("aws:rds/globalCluster:GlobalCluster", "global", "arn"), "arn:aws:rds::123456789012:global-cluster:bulwark-prod-shop")
	matches(t, "global writer endpoint", out("aws:rds/globalCluster:GlobalCluster", "global", "endpoint"), `bulwark-prod-shop\.global-[a-z0-9]{12}\.global\.rds\.amazonaws\.com`)
	labels := map[string]string{}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		id := "bulwark-prod-shop-" + region
		matches(t, id+" arn", out("aws:rds/cluster:Cluster", id, "arn"), "arn:aws:rds:"+region+":123456789012:cluster:"+id)
		ep, _ := out("aws:rds/cluster:Cluster", id, "endpoint").(string)
		matches(t, id+" endpoint", ep, id+`\.cluster-[a-z0-9]{12}\.`+region+`\.rds\.amazonaws\.com`)
		label := strings.TrimPrefix(strings.Split(ep, ".")[1], "cluster-")
		if reader := out("aws:rds/cluster:Cluster", id, "readerEndpoint"); reader != id+".cluster-ro-"+label+"."+region+".rds.amazonaws.com" {
			t.Errorf("%s reader endpoint %v, want the writer's label %s after cluster-ro-", id, reader, label)
		}
		labels[region] = label
		// an instance without an identifier gets Terraform's tf-<26>
		inst := byName(g, "aws:rds/clusterInstance:ClusterInstance", id)
		matches(t, id+" instance", inst.ID, "tf-[0-9]{18}[0-9a-f]{8}")
		matches(t, id+" instance endpoint", inst.Outputs["endpoint"], inst.ID+`\.`+label+`\.`+region+`\.rds\.amazonaws\.com`)
	}
	if labels["us-east-1"] == labels["eu-west-1"] {
		t.Errorf("both regions' RDS endpoints carry label %s", labels["us-east-1"])
	}
}

func TestAWSResourcesNeedARegion(t *testing.T) {
	_, err := Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
		_, err := sns.NewTopic(ctx, "orphan", &sns.TopicArgs{}) // the default provider: whatever region the machine says
		return nil, err
	})
	if !errors.Is(err, ErrNoRegion) {
		t.Errorf("a topic with no provider and no region: %v, want ErrNoRegion", err)
	}
	_, err = Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
		p, err := pulumiaws.NewProvider(ctx, "far", &pulumiaws.ProviderArgs{Region: pulumi.String("ap-south-2")})
		if err != nil {
			return nil, err
		}
		_, err = lb.NewLoadBalancer(ctx, "lb", &lb.LoadBalancerArgs{}, pulumi.Provider(p))
		return nil, err
	})
	if !errors.Is(err, ErrUnknownRegion) || !strings.Contains(err.Error(), "awsregions.go") {
		t.Errorf("a load balancer in a region the mocks do not know: %v, want ErrUnknownRegion naming awsregions.go", err)
	}
}

func TestAvailabilityZonesPerRegion(t *testing.T) {
	var got = map[string]*pulumiaws.GetAvailabilityZonesResult{}
	_, err := Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
		for _, region := range []string{"us-east-1", "us-west-1", "ap-northeast-1"} {
			p, err := pulumiaws.NewProvider(ctx, region, &pulumiaws.ProviderArgs{Region: pulumi.String(region)})
			if err != nil {
				return nil, err
			}
			res, err := pulumiaws.GetAvailabilityZones(ctx, &pulumiaws.GetAvailabilityZonesArgs{
				State:   pulumi.StringRef("available"),
				Filters: []pulumiaws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
			}, pulumi.Provider(p))
			if err != nil {
				return nil, err
			}
			got[region] = res
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"us-east-1":      {"us-east-1a us-east-1b us-east-1c us-east-1d us-east-1e us-east-1f", "use1-az2 use1-az4 use1-az6 use1-az1 use1-az3 use1-az5"},
		"us-west-1":      {"us-west-1b us-west-1c", "usw1-az3 usw1-az1"},
		"ap-northeast-1": {"ap-northeast-1a ap-northeast-1c ap-northeast-1d", "apne1-az4 apne1-az1 apne1-az2"},
	}
	for region, w := range want {
		if r := got[region]; r == nil || strings.Join(r.Names, " ") != w[0] || strings.Join(r.ZoneIds, " ") != w[1] {
			t.Errorf("%s: zones %v %v, want %s / %s", region, r.Names, r.ZoneIds, w[0], w[1])
		}
	}
	_, err = Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
		p, err := pulumiaws.NewProvider(ctx, "r", &pulumiaws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return nil, err
		}
		_, err = pulumiaws.GetAvailabilityZones(ctx, &pulumiaws.GetAvailabilityZonesArgs{
			Filters: []pulumiaws.GetAvailabilityZonesFilter{{Name: "network-border-group", Values: []string{"us-east-1"}}},
		}, pulumi.Provider(p))
		return nil, err
	})
	if err == nil || !strings.Contains(err.Error(), "network-border-group") {
		t.Errorf("an unmodelled filter: %v, want an error naming it", err)
	}
}

func TestRandomPasswordIsDeterministicAndFollowsTheArguments(t *testing.T) {
	run := func(length int) (string, *StackGraph) {
		var pw string
		g, err := Program("p", "test", func(ctx *pulumi.Context) (pulumi.Map, error) {
			p, err := pulumiaws.NewProvider(ctx, "r", &pulumiaws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return nil, err
			}
			res, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
				PasswordLength: pulumi.IntRef(length), ExcludePunctuation: pulumi.BoolRef(true),
			}, pulumi.Provider(p))
			if err != nil {
				return nil, err
			}
			pw = res.RandomPassword
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pw, g
	}
	a, g := run(24)
	b, _ := run(24)
	c, _ := run(30)
	if len(a) != 24 || len(c) != 30 || a != b || strings.HasPrefix(c, a) {
		t.Errorf("passwords %q, %q, %q: want 24 characters twice the same, then 30 others", a, b, c)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(a) || !regexp.MustCompile(`[A-Z]`).MatchString(a) || !regexp.MustCompile(`[a-z]`).MatchString(a) || !regexp.MustCompile(`[0-9]`).MatchString(a) {
		t.Errorf("password %q: want letters of both cases and digits, no punctuation", a)
	}
	if len(g.Invokes) != 1 || g.Invokes[0].Result["randomPassword"] != Secret {
		t.Errorf("the plan records the password: %+v", g.Invokes)
	}
}
