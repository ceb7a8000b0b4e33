package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The AWS half of the plan's mocks: what AWS and pulumi-aws would compute
// for each resource (physical names, IDs, ARNs, DNS names, endpoints) and
// what the data sources bulwark reads would answer, in the formats AWS
// documents, with partition, region and account, so that a plan shows
// which region every value belongs to and a resource wired to another
// region's dependency can be seen. Values AWS draws at random are drawn
// from a hash of the stack, the resource's URN and the purpose, so a plan
// is byte-identical across runs.

// AWSProviderType is the type token of a pulumi-aws provider instance.
const AWSProviderType = "pulumi:providers:aws"

// MockAccount is the AWS account ID the offline plan's ARNs name.
const MockAccount = "123456789012"

// ErrNoRegion is returned for a regional AWS resource or data source with
// neither a region argument nor a provider that has one: with credentials
// it would land in whatever region the machine's AWS configuration names.
var ErrNoRegion = errors.New("no region: neither a region argument nor an explicit provider with a region")

// secretSuffix is the hyphen and six characters ending a secret's ARN.
var secretSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// globalServices are the AWS services whose resources live in no region:
// their ARNs carry none, and they need no region to be planned.
var globalServices = map[string]bool{"iam": true, "route53": true, "cloudfront": true}

// awsModule is the pulumi-aws module of a type token ("lb" of
// "aws:lb/loadBalancer:LoadBalancer"; "index" for the root module).
func awsModule(token string) string {
	mod, _, _ := strings.Cut(strings.TrimPrefix(token, "aws:"), "/")
	if i := strings.IndexByte(mod, ':'); i >= 0 {
		mod = mod[:i]
	}
	return mod
}

// awsResource is one AWS resource being mocked.
type awsResource struct {
	token, name, urn, region string
	// inputs are what the provider's Check returns: the program's inputs,
	// plus the names Pulumi's autonaming adds.
	inputs resource.PropertyMap
	// out are the outputs AWS (or Terraform) computes; id its physical ID.
	out resource.PropertyMap
	id  string
}

func (r *awsResource) rand(purpose string) *entropy {
	return newEntropy("resource", r.urn, purpose)
}

// str is a known string input.
func (r *awsResource) str(key string) (string, bool) {
	return knownString(r.inputs[resource.PropertyKey(key)])
}

func (r *awsResource) set(key string, v any) {
	r.out[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
}

func knownString(v resource.PropertyValue) (string, bool) {
	switch {
	case v.IsSecret():
		return knownString(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return "", false
		}
		return knownString(v.OutputValue().Element)
	case v.IsString():
		return v.StringValue(), true
	}
	return "", false
}

// arn builds an ARN in the aws partition; global services' ARNs name no
// region (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func (r *awsResource) arn(service, res string) string {
	region := r.region
	if globalServices[service] {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, MockAccount, res)
}

// naming says how a resource type gets its physical name.
type naming struct {
	field  string // the input that names it
	prefix string // its name-prefix input, "" when it has none
	// randlen > 0: pulumi-aws autonames an unset field <logical name>-<randlen
	// hex digits> in Check (tfbridge.AutoName; 7 digits everywhere bulwark
	// looks). It does not truncate: a name too long for AWS is refused by
	// the provider's validation at preview (pulumi-cdk#62 shows
	// `"name" cannot be longer than 32 characters: "...-403d9b7"` for a load
	// balancer) or by the AWS API at create.
	randlen int
	// tfDefault, for a field Pulumi does not autoname, is the prefix of the
	// name Terraform generates when it is unset (id.PrefixedUniqueId).
	tfDefault string
	lower     bool // AWS stores the name in lower case
}

// autoname is pulumi-aws's default: every resource with an input `name`
// gets tfbridge.AutoName("name", 255, "-") unless provider/resources.go
// says otherwise (setAutonaming in
// https://github.com/pulumi/pulumi-aws/blob/master/provider/resources.go;
// aws_lb_target_group overrides it with AutoName("name", 32, "-"),
// aws_iam_role with 64, aws_sns_topic with 80; the random part is 7 hex
// digits in each).
var autoname = naming{field: "name", prefix: "namePrefix", randlen: 7}

// physicalName is the name the resource gets: the program's; else, with a
// name prefix, the prefix and Terraform's 26 characters (known only once
// created, so an output); else Pulumi's autoname (an input, as Check
// returns it); else Terraform's generated name.
func (r *awsResource) physicalName(n naming) string {
	if v, ok := r.str(n.field); ok {
		if n.lower {
			v = strings.ToLower(v)
		}
		return v
	}
	if n.prefix != "" {
		if p, ok := r.str(n.prefix); ok {
			name := p + r.rand("name-prefix").terraformSuffix()
			r.set(n.field, name)
			return name
		}
	}
	if n.randlen > 0 {
		name := r.name + "-" + r.rand("autoname").hex(n.randlen)
		if n.lower {
			name = strings.ToLower(name)
		}
		r.inputs[resource.PropertyKey(n.field)] = resource.NewProperty(name)
		return name
	}
	name := n.tfDefault + r.rand("terraform-name").terraformSuffix()
	r.set(n.field, name)
	return name
}

// ec2ID is an EC2 resource ID: its prefix and 17 hex digits
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
func (r *awsResource) ec2ID(prefix string) string { return prefix + "-" + r.rand("id").hex(17) }

// ec2Mock mocks an EC2 resource named by its ID (vpc-..., subnet-...), its ARN
// arn:aws:ec2:<region>:<account>:<kind>/<id>.
func ec2Mock(prefix, kind string) func(r *awsResource) error {
	return func(r *awsResource) error {
		r.id = r.ec2ID(prefix)
		r.set("arn", r.arn("ec2", kind+"/"+r.id))
		r.set("ownerId", MockAccount)
		return nil
	}
}

// awsMocks are the per-type mocks, by type token.
var awsMocks = map[string]func(r *awsResource) error{
	// EC2 and VPC
	"aws:ec2/vpc:Vpc": func(r *awsResource) error {
		_ = ec2Mock("vpc", "vpc")(r)
		r.set("defaultSecurityGroupId", "sg-"+r.rand("default-sg").hex(17))
		r.set("defaultNetworkAclId", "acl-"+r.rand("default-acl").hex(17))
		r.set("defaultRouteTableId", "rtb-"+r.rand("main-rtb").hex(17))
		r.set("mainRouteTableId", "rtb-"+r.rand("main-rtb").hex(17))
		return nil
	},
	"aws:ec2/subnet:Subnet": func(r *awsResource) error {
		_ = ec2Mock("subnet", "subnet")(r)
		// the zone's ID in this account, when the account has the zone
		if zone, ok := r.str("availabilityZone"); ok {
			if id := zoneID(r.region, zone); id != "" {
				r.set("availabilityZoneId", id)
			}
		}
		return nil
	},
	"aws:ec2/internetGateway:InternetGateway":             ec2Mock("igw", "internet-gateway"),
	"aws:ec2/routeTable:RouteTable":                       ec2Mock("rtb", "route-table"),
	"aws:ec2/routeTableAssociation:RouteTableAssociation": func(r *awsResource) error { r.id = r.ec2ID("rtbassoc"); return nil },
	"aws:ec2/eip:Eip": func(r *awsResource) error {
		r.id = r.ec2ID("eipalloc")
		r.set("allocationId", r.id)
		r.set("arn", r.arn("ec2", "elastic-ip/"+r.id))
		r.set("publicIp", documentationAddress(r.rand("ip")))
		return nil
	},
	"aws:ec2/natGateway:NatGateway": ec2Mock("nat", "natgateway"),
	"aws:ec2/securityGroup:SecurityGroup": func(r *awsResource) error {
		r.physicalName(autoname)
		_ = ec2Mock("sg", "security-group")(r)
		return nil
	},
	"aws:ec2/launchTemplate:LaunchTemplate": func(r *awsResource) error {
		r.physicalName(autoname)
		_ = ec2Mock("lt", "launch-template")(r)
		r.set("latestVersion", 1.0)
		r.set("defaultVersion", 1.0)
		return nil
	},

	// Elastic Load Balancing
	"aws:lb/loadBalancer:LoadBalancer": func(r *awsResource) error {
		name := r.physicalName(autoname)
		network := false
		if t, _ := r.str("loadBalancerType"); t == "network" {
			network = true
		}
		kind := map[bool]string{false: "app", true: "net"}[network]
		suffix := fmt.Sprintf("%s/%s/%s", kind, name, r.rand("lb-id").hex(16))
		r.id = r.arn("elasticloadbalancing", "loadbalancer/"+suffix)
		r.set("arn", r.id)
		r.set("arnSuffix", suffix)
		// an Application Load Balancer's DNS name is
		// <name>-<10 digits>.<region>.elb.amazonaws.com, with internal- in
		// front for an internal one; a Network Load Balancer's
		// <name>-<16 hex>.elb.<region>.amazonaws.com
		// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#dns-name)
		host := name + "-" + r.rand("dns").from(digits, 10) + "." + r.region + ".elb"
		if network {
			host = name + "-" + r.rand("dns").hex(16) + ".elb." + r.region
		}
		if internal := r.inputs["internal"]; internal.IsBool() && internal.BoolValue() {
			host = "internal-" + host
		}
		r.set("dnsName", host+".amazonaws.com")
		zone, err := ELBHostedZone(r.region)
		if err != nil {
			return err
		}
		r.set("zoneId", zone)
		return nil
	},
	"aws:lb/targetGroup:TargetGroup": func(r *awsResource) error {
		name := r.physicalName(autoname) // AutoName("name", 32, "-")
		suffix := fmt.Sprintf("targetgroup/%s/%s", name, r.rand("tg-id").hex(16))
		r.id = r.arn("elasticloadbalancing", suffix)
		r.set("arn", r.id)
		r.set("arnSuffix", suffix)
		return nil
	},
	"aws:lb/listener:Listener": func(r *awsResource) error {
		lb, _ := r.str("loadBalancerArn")
		_, lbSuffix, ok := strings.Cut(lb, ":loadbalancer/")
		if !ok {
			lbSuffix = "app/unknown/" + r.rand("lb").hex(16)
		}
		r.id = r.arn("elasticloadbalancing", "listener/"+lbSuffix+"/"+r.rand("listener-id").hex(16))
		r.set("arn", r.id)
		return nil
	},
	"aws:lb/listenerRule:ListenerRule": func(r *awsResource) error {
		l, _ := r.str("listenerArn")
		_, lSuffix, ok := strings.Cut(l, ":listener/")
		if !ok {
			lSuffix = "app/unknown/" + r.rand("lb").hex(16) + "/" + r.rand("listener").hex(16)
		}
		r.id = r.arn("elasticloadbalancing", "listener-rule/"+lSuffix+"/"+r.rand("rule-id").hex(16))
		r.set("arn", r.id)
		return nil
	},

	// Auto Scaling
	"aws:autoscaling/group:Group": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("autoscaling", fmt.Sprintf("autoScalingGroup:%s:autoScalingGroupName/%s", r.rand("uuid").uuid(), name)))
		return nil
	},
	"aws:autoscaling/policy:Policy": func(r *awsResource) error {
		name := r.physicalName(autoname)
		group, _ := r.str("autoscalingGroupName")
		r.id = name
		r.set("arn", r.arn("autoscaling", fmt.Sprintf("scalingPolicy:%s:autoScalingGroupName/%s:policyName/%s", r.rand("uuid").uuid(), group, name)))
		return nil
	},
	"aws:appautoscaling/target:Target": func(r *awsResource) error {
		r.id, _ = r.str("resourceId")
		r.set("arn", r.arn("application-autoscaling", "scalable-target/0ec"+r.rand("id").hex(29)))
		return nil
	},
	"aws:appautoscaling/policy:Policy": func(r *awsResource) error {
		name := r.physicalName(autoname)
		ns, _ := r.str("serviceNamespace")
		id, _ := r.str("resourceId")
		r.id = name
		r.set("arn", r.arn("autoscaling", fmt.Sprintf("scalingPolicy:%s:resource/%s/%s:policyName/%s", r.rand("uuid").uuid(), ns, id, name)))
		return nil
	},

	// IAM (global)
	"aws:iam/role:Role": func(r *awsResource) error {
		name := r.physicalName(autoname) // AutoName("name", 64, "-")
		path, ok := r.str("path")
		if !ok {
			path = "/"
		}
		r.id = name
		r.set("arn", r.arn("iam", "role"+path+name))
		r.set("uniqueId", "AROA"+r.rand("unique-id").from(upperAlnum, 17))
		return nil
	},
	"aws:iam/instanceProfile:InstanceProfile": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("iam", "instance-profile/"+name))
		r.set("uniqueId", "AIPA"+r.rand("unique-id").from(upperAlnum, 17))
		return nil
	},
	"aws:iam/rolePolicy:RolePolicy": func(r *awsResource) error {
		name := r.physicalName(autoname)
		role, _ := r.str("role")
		r.id = role + ":" + name
		return nil
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": func(r *awsResource) error {
		role, _ := r.str("role")
		r.id = role + "-" + r.rand("id").terraformSuffix()
		return nil
	},

	// KMS
	"aws:kms/key:Key": func(r *awsResource) error {
		id := r.rand("key-id").uuid()
		if mr := r.inputs["multiRegion"]; mr.IsBool() && mr.BoolValue() {
			id = "mrk-" + r.rand("key-id").hex(32) // a multi-Region key's ID (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html)
		}
		r.id = id
		r.set("keyId", id)
		r.set("arn", r.arn("kms", "key/"+id))
		return nil
	},
	"aws:kms/replicaKey:ReplicaKey": func(r *awsResource) error {
		// a replica has its primary's key ID, in its own region
		primary, _ := r.str("primaryKeyArn")
		_, id, ok := strings.Cut(primary, ":key/")
		if !ok {
			id = "mrk-" + r.rand("key-id").hex(32)
		}
		r.id = id
		r.set("keyId", id)
		r.set("arn", r.arn("kms", "key/"+id))
		return nil
	},

	// RDS
	"aws:rds/cluster:Cluster": func(r *awsResource) error {
		id := r.physicalName(naming{field: "clusterIdentifier", prefix: "clusterIdentifierPrefix", tfDefault: "tf-", lower: true})
		r.id = id
		r.set("arn", r.arn("rds", "cluster:"+id))
		// every cluster of an account in a region shares the endpoints'
		// random label (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Overview.Endpoints.html)
		label := rdsLabel(r.region)
		r.set("endpoint", fmt.Sprintf("%s.cluster-%s.%s.rds.amazonaws.com", id, label, r.region))
		r.set("readerEndpoint", fmt.Sprintf("%s.cluster-ro-%s.%s.rds.amazonaws.com", id, label, r.region))
		r.set("clusterResourceId", "cluster-"+r.rand("resource-id").from(upperAlnum, 26))
		engine, _ := r.str("engine")
		r.set("port", map[bool]float64{true: 3306, false: 5432}[strings.Contains(engine, "mysql")])
		if m := r.inputs["manageMasterUserPassword"]; m.IsBool() && m.BoolValue() {
			r.set("masterUserSecrets", []any{map[string]any{
				"secretArn":    r.arn("secretsmanager", fmt.Sprintf("secret:rds!cluster-%s-%s", r.rand("secret").uuid(), r.rand("secret-suffix").from(mixedAlnum, 6))),
				"secretStatus": "active",
			}})
		}
		return nil
	},
	"aws:rds/clusterInstance:ClusterInstance": func(r *awsResource) error {
		id := r.physicalName(naming{field: "identifier", prefix: "identifierPrefix", tfDefault: "tf-", lower: true})
		r.id = id
		r.set("arn", r.arn("rds", "db:"+id))
		r.set("endpoint", fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", id, rdsLabel(r.region), r.region))
		r.set("dbiResourceId", "db-"+r.rand("resource-id").from(upperAlnum, 26))
		return nil
	},
	"aws:rds/globalCluster:GlobalCluster": func(r *awsResource) error {
		id, _ := r.str("globalClusterIdentifier")
		id = strings.ToLower(id)
		r.id = id
		r.set("arn", fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", MockAccount, id)) // global: no region
		// the global writer endpoint, which follows the writer across a
		// switchover or failover (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html)
		r.set("endpoint", fmt.Sprintf("%s.global-%s.global.rds.amazonaws.com", id, newEntropy("rds-global", MockAccount, id).from(lowerAlnum, 12)))
		r.set("globalClusterResourceId", "cluster-"+r.rand("resource-id").hex(16))
		return nil
	},
	"aws:rds/subnetGroup:SubnetGroup": func(r *awsResource) error {
		name := r.physicalName(naming{field: "name", prefix: "namePrefix", randlen: 7, lower: true})
		r.id = name
		r.set("arn", r.arn("rds", "subgrp:"+name))
		return nil
	},

	// DynamoDB
	"aws:dynamodb/table:Table": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("dynamodb", "table/"+name))
		if s := r.inputs["streamEnabled"]; s.IsBool() && s.BoolValue() {
			label := "2026-01-01T00:00:00." + r.rand("stream").from(digits, 3)
			r.set("streamArn", r.arn("dynamodb", "table/"+name+"/stream/"+label))
			r.set("streamLabel", label)
		}
		return nil
	},

	// Secrets Manager
	"aws:secretsmanager/secret:Secret": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = secretARN(r.region, name)
		r.set("arn", r.id)
		return nil
	},
	"aws:secretsmanager/secretVersion:SecretVersion": func(r *awsResource) error {
		secret, _ := r.str("secretId")
		version := r.rand("version").uuid()
		r.id = secret + "|" + version
		r.set("arn", secret)
		r.set("versionId", version)
		return nil
	},
	"aws:secretsmanager/secretRotation:SecretRotation": func(r *awsResource) error {
		r.id, _ = r.str("secretId")
		return nil
	},

	// Systems Manager Parameter Store
	"aws:ssm/parameter:Parameter": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		// a parameter's ARN ends in its name without the leading slash
		// (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html)
		r.set("arn", r.arn("ssm", "parameter/"+strings.TrimPrefix(name, "/")))
		r.set("version", 1.0)
		return nil
	},

	// SQS: a queue's ID is its URL
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html:
	// https://sqs.<region>.amazonaws.com/<account>/<name>); its ARN names
	// its region and account.
	"aws:sqs/queue:Queue": func(r *awsResource) error {
		name := r.physicalName(naming{field: "name", prefix: "namePrefix", randlen: 7})
		r.id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r.region, MockAccount, name)
		r.set("url", r.id)
		r.set("arn", r.arn("sqs", name))
		return nil
	},

	// CloudFront is global: its ARNs name no region, a distribution's ID is
	// E and 13 upper-case letters and digits, its domain
	// d<13 lower-case>.cloudfront.net, and every distribution's alias
	// target zone is Z2FDTNDATAQYW2
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-route53-aliastarget.html).
	"aws:cloudfront/distribution:Distribution": func(r *awsResource) error {
		e := r.rand("id")
		r.id = "E" + e.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13)
		r.set("arn", r.arn("cloudfront", "distribution/"+r.id))
		r.set("domainName", "d"+e.from("abcdefghijklmnopqrstuvwxyz0123456789", 13)+".cloudfront.net")
		r.set("hostedZoneId", "Z2FDTNDATAQYW2")
		r.set("etag", "E"+e.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13))
		r.set("status", "Deployed")
		return nil
	},
	"aws:cloudfront/cachePolicy:CachePolicy": func(r *awsResource) error {
		r.id = r.rand("id").uuid()
		r.set("etag", "E"+r.rand("etag").from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13))
		return nil
	},

	// SNS
	"aws:sns/topic:Topic": func(r *awsResource) error {
		name := r.physicalName(autoname) // Maxlen 80, Randlen 7
		r.id = r.arn("sns", name)
		r.set("arn", r.id)
		r.set("owner", MockAccount)
		return nil
	},

	// CloudWatch and CloudWatch Logs
	"aws:cloudwatch/metricAlarm:MetricAlarm": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("cloudwatch", "alarm:"+name))
		return nil
	},
	"aws:cloudwatch/compositeAlarm:CompositeAlarm": func(r *awsResource) error {
		name, _ := r.str("alarmName")
		r.id = name
		r.set("arn", r.arn("cloudwatch", "alarm:"+name))
		return nil
	},
	"aws:cloudwatch/dashboard:Dashboard": func(r *awsResource) error {
		name, _ := r.str("dashboardName")
		r.id = name
		r.set("dashboardArn", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", MockAccount, name)) // dashboards are global
		return nil
	},
	"aws:cloudwatch/logGroup:LogGroup": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("logs", "log-group:"+name))
		return nil
	},

	// ECS
	"aws:ecs/cluster:Cluster": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = r.arn("ecs", "cluster/"+name)
		r.set("arn", r.id)
		return nil
	},
	"aws:ecs/service:Service": func(r *awsResource) error {
		name := r.physicalName(autoname)
		cluster, _ := r.str("cluster")
		_, clusterName, _ := strings.Cut(cluster, ":cluster/")
		r.id = r.arn("ecs", "service/"+clusterName+"/"+name)
		r.set("arn", r.id)
		return nil
	},
	"aws:ecs/taskDefinition:TaskDefinition": func(r *awsResource) error {
		family, _ := r.str("family")
		r.id = family
		r.set("arn", r.arn("ecs", "task-definition/"+family+":1"))
		r.set("arnWithoutRevision", r.arn("ecs", "task-definition/"+family))
		r.set("revision", 1.0)
		return nil
	},

	// AWS Backup
	"aws:backup/vault:Vault": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("backup", "backup-vault:"+name))
		r.set("recoveryPoints", 0.0)
		return nil
	},
	"aws:backup/plan:Plan": func(r *awsResource) error {
		r.physicalName(autoname)
		r.id = r.rand("plan-id").uuid()
		r.set("arn", r.arn("backup", "backup-plan:"+r.id))
		r.set("version", r.rand("version").from(mixedAlnum, 48))
		return nil
	},
	"aws:backup/selection:Selection": func(r *awsResource) error {
		r.physicalName(autoname)
		r.id = r.rand("selection-id").uuid()
		return nil
	},
	"aws:backup/restoreTestingPlan:RestoreTestingPlan": func(r *awsResource) error {
		name, _ := r.str("name")
		r.id = name
		r.set("arn", r.arn("backup", "restore-testing-plan:"+name+"-"+r.rand("arn-suffix").hex(6)))
		return nil
	},
	"aws:backup/restoreTestingSelection:RestoreTestingSelection": func(r *awsResource) error {
		name, _ := r.str("name")
		plan, _ := r.str("restoreTestingPlanName")
		r.id = plan + ":" + name
		return nil
	},

	// Route 53 (global)
	"aws:route53/healthCheck:HealthCheck": func(r *awsResource) error {
		r.id = r.rand("id").uuid()
		r.set("arn", "arn:aws:route53:::healthcheck/"+r.id) // no region, no account
		return nil
	},
	"aws:route53/record:Record": func(r *awsResource) error {
		zone, _ := r.str("zoneId")
		name, _ := r.str("name")
		typ, _ := r.str("type")
		r.id = strings.Join([]string{zone, name, typ}, "_")
		if set, ok := r.str("setIdentifier"); ok {
			r.id += "_" + set
		}
		r.set("fqdn", name)
		return nil
	},
	"aws:route53/zone:Zone": func(r *awsResource) error {
		name, _ := r.str("name")
		r.id = hostedZoneID(name)
		r.set("zoneId", r.id)
		r.set("arn", "arn:aws:route53:::hostedzone/"+r.id)
		r.set("nameServers", nameServers(name))
		return nil
	},

	// Fault Injection Service
	"aws:fis/experimentTemplate:ExperimentTemplate": func(r *awsResource) error {
		r.id = "EXT" + r.rand("id").from(mixedAlnum, 14)
		r.set("arn", r.arn("fis", "experiment-template/"+r.id))
		return nil
	},

	// Certificate Manager, ECR, S3: not declared by bulwark today, but
	// referenced by ARN and cheap to answer alike
	"aws:acm/certificate:Certificate": func(r *awsResource) error {
		r.id = r.arn("acm", "certificate/"+r.rand("id").uuid())
		r.set("arn", r.id)
		return nil
	},
	"aws:ecr/repository:Repository": func(r *awsResource) error {
		name := r.physicalName(autoname)
		r.id = name
		r.set("arn", r.arn("ecr", "repository/"+name))
		r.set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", MockAccount, r.region, name))
		return nil
	},
	"aws:s3/bucket:Bucket": func(r *awsResource) error {
		name := r.physicalName(naming{field: "bucket", prefix: "bucketPrefix", randlen: 7, lower: true})
		r.id = name
		r.set("arn", "arn:aws:s3:::"+name)
		r.set("bucketDomainName", name+".s3.amazonaws.com")
		r.set("bucketRegionalDomainName", fmt.Sprintf("%s.s3.%s.amazonaws.com", name, r.region))
		return nil
	},
}

// genericAWS answers for a type with no mock of its own: an ID from the
// logical name and an ARN of the usual shape, flagged in its outputs so
// that nobody takes it for AWS's format.
func genericAWS(r *awsResource) error {
	r.id = r.name + "-" + r.rand("id").hex(8)
	_, typ, _ := strings.Cut(strings.TrimPrefix(r.token, "aws:"), "/")
	typ, _, _ = strings.Cut(typ, ":")
	r.set("arn", r.arn(awsModule(r.token), strings.ToLower(typ)+"/"+r.id))
	r.set("mockFormat", "generic: add a mock of this type to internal/plan/mocks.go")
	return nil
}

// secretARN is a secret's ARN in a region: its name, a hyphen and six
// random characters
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen),
// the same six in every region it is replicated to, as a replica keeps
// its primary's name.
func secretARN(region, name string) string {
	suffix := newEntropy("secret-suffix", MockAccount, name).from(mixedAlnum, 6)
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, MockAccount, name, suffix)
}

// rdsLabel is the random label of an account's RDS endpoints in a region:
// 12 lower-case letters and digits.
func rdsLabel(region string) string {
	return newEntropy("rds-endpoint", MockAccount, region).from(lowerAlnum, 12)
}

// hostedZoneID is a public hosted zone's ID: Z and 13 upper-case letters
// and digits, the same for every stack that looks the zone up.
func hostedZoneID(zone string) string {
	return "Z" + newEntropy("hosted-zone", MockAccount, strings.TrimSuffix(zone, ".")).from(upperAlnum, 13)
}

// nameServers are a hosted zone's four delegation name servers, one in
// each of Route 53's top-level domains.
func nameServers(zone string) []any {
	e := newEntropy("name-servers", MockAccount, strings.TrimSuffix(zone, "."))
	var out []any
	for _, tld := range []string{"com", "net", "org", "co.uk"} {
		out = append(out, fmt.Sprintf("ns-%d.awsdns-%02d.%s", 1+int(e.byte())*8, int(e.byte())%64, tld))
	}
	return out
}

// documentationAddress is an address of TEST-NET-3 (RFC 5737): an
// illustrative public IP, never a real one.
func documentationAddress(e *entropy) string { return fmt.Sprintf("203.0.113.%d", 1+int(e.byte())%254) }

// mockAWS computes what AWS and pulumi-aws would for one resource and
// returns its ID, the inputs as Check returns them and its state.
func mockAWS(token, name, urn, region string, inputs resource.PropertyMap) (*awsResource, error) {
	r := &awsResource{token: token, name: name, urn: urn, region: region, inputs: inputs.Copy(), out: resource.PropertyMap{}}
	mock, ok := awsMocks[token]
	if !ok {
		mock = genericAWS
	}
	if err := mock(r); err != nil {
		return nil, fmt.Errorf("%s %s: %w", token, name, err)
	}
	if r.id == "" {
		r.id = r.name + "-" + r.rand("id").hex(8)
	}
	return r, nil
}

// state is what the provider returns: the inputs and the computed outputs
// (an input the program set wins over a computed value).
func (r *awsResource) state() resource.PropertyMap {
	s := r.inputs.Copy()
	for k, v := range r.out {
		if _, ok := s[k]; !ok {
			s[k] = v
		}
	}
	return s
}

// regionOf is where an AWS resource or data source lives: its own region
// argument (pulumi-aws v7 has one on every regional resource), else its
// provider's.
func (r *recorder) regionOf(token string, args resource.PropertyMap, provider string) (string, error) {
	if region, ok := knownString(args["region"]); ok && region != "" {
		return region, nil
	}
	r.mu.Lock()
	region := r.providerRegions[provider]
	r.mu.Unlock()
	if region != "" {
		return region, nil
	}
	if globalServices[awsModule(token)] {
		return "", nil
	}
	return "", ErrNoRegion
}

// rememberProvider records a provider's region by the reference resources
// name it with ("URN::ID").
func (r *recorder) rememberProvider(urn, id string, inputs resource.PropertyMap) (string, error) {
	region, ok := knownString(inputs["region"])
	if !ok || region == "" {
		return "", fmt.Errorf("aws provider %s: %w", urn, ErrNoRegion)
	}
	r.mu.Lock()
	r.providerRegions[urn+"::"+id] = region
	r.mu.Unlock()
	return region, nil
}

// Invoke is one data source read by a stack's program: what it asked and,
// as the mocks answered, what it got (secrets shown as Secret).
type Invoke struct {
	Token  string         `json:"token"`
	Region string         `json:"region,omitempty"`
	Args   map[string]any `json:"args,omitempty"`
	Result map[string]any `json:"result"`
}

// callAWS answers pulumi-aws data sources as the caller's region would.
func (r *recorder) callAWS(args pulumi.MockCallArgs) (map[string]any, string, error) {
	region, err := r.regionOf(args.Token, args.Args, args.Provider)
	if err != nil && !errors.Is(err, ErrNoRegion) {
		return nil, "", err
	}
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return map[string]any{
			"accountId": MockAccount, "arn": "arn:aws:iam::" + MockAccount + ":user/plan", "userId": "AIDA" + newEntropy("user", MockAccount).from(upperAlnum, 17), "id": MockAccount,
		}, region, nil
	case "aws:index/getPartition:getPartition":
		return map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}, region, nil
	case "aws:route53/getZone:getZone":
		return lookupZone(args.Args)
	}
	if region == "" {
		return nil, "", fmt.Errorf("%w (a provider: pulumi.Provider(...))", ErrNoRegion)
	}
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		if _, ok := elbHostedZones[region]; !ok {
			return nil, "", fmt.Errorf("%q: %w", region, ErrUnknownRegion)
		}
		return map[string]any{"name": region, "region": region, "id": region, "endpoint": "ec2." + region + ".amazonaws.com"}, region, nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		res, err := availabilityZones(region, args.Args)
		return res, region, err
	case "aws:secretsmanager/getSecret:getSecret":
		// by name or ARN; whether the plan creates (or replicates) the
		// secret there is the constraints suite's to judge
		name, _ := knownString(args.Args["name"])
		if arn, ok := knownString(args.Args["arn"]); ok && name == "" {
			_, rest, _ := strings.Cut(arn, ":secret:")
			name = secretSuffix.ReplaceAllString(rest, "")
		}
		if name == "" {
			return nil, "", errors.New("getSecret: neither name nor arn")
		}
		arn := secretARN(region, name)
		return map[string]any{"arn": arn, "id": arn, "name": name, "region": region, "description": "", "kmsKeyId": "", "policy": "", "tags": map[string]any{}}, region, nil
	case "aws:secretsmanager/getRandomPassword:getRandomPassword":
		pw, err := randomPassword(args.Args, newEntropy("random-password", r.stack, args.Provider, canonical(args.Args)))
		if err != nil {
			return nil, "", err
		}
		return map[string]any{"randomPassword": pw, "id": region, "region": region}, region, nil
	}
	return nil, "", fmt.Errorf("the plan's mocks do not answer %s: add it to internal/plan/mocks.go with what AWS would return", args.Token)
}

// lookupZone answers route53.LookupZone for a public zone by name (or ID).
func lookupZone(args resource.PropertyMap) (map[string]any, string, error) {
	name, _ := knownString(args["name"])
	id, _ := knownString(args["zoneId"])
	if private := args["privateZone"]; private.IsBool() && private.BoolValue() {
		return nil, "", fmt.Errorf("private hosted zone %q: the plan's mocks know public zones only", name)
	}
	name = strings.TrimSuffix(name, ".")
	if id == "" {
		if name == "" {
			return nil, "", errors.New("route53 getZone: neither name nor zoneId")
		}
		id = hostedZoneID(name)
	}
	return map[string]any{
		"zoneId": id, "id": id, "name": name, "arn": "arn:aws:route53:::hostedzone/" + id,
		"nameServers": nameServers(name), "privateZone": false, "resourceRecordSetCount": 2.0,
		"callerReference": newEntropy("caller-reference", id).uuid(), "comment": "",
	}, "", nil
}

// availabilityZones answers aws.GetAvailabilityZones in a region, with the
// arguments DescribeAvailabilityZones takes as filters
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html).
func availabilityZones(region string, args resource.PropertyMap) (map[string]any, error) {
	zones, err := AvailabilityZones(region)
	if err != nil {
		return nil, err
	}
	const state, optIn, zoneType = "available", "opt-in-not-required", "availability-zone"
	keep := func(z Zone) (bool, error) {
		if s, ok := knownString(args["state"]); ok && s != state {
			return false, nil
		}
		for _, name := range stringList(args["excludeNames"]) {
			if name == z.Name {
				return false, nil
			}
		}
		for _, id := range stringList(args["excludeZoneIds"]) {
			if id == z.ID {
				return false, nil
			}
		}
		if f := args["filters"]; f.IsArray() {
			for _, fv := range f.ArrayValue() {
				if !fv.IsObject() {
					continue
				}
				fname, _ := knownString(fv.ObjectValue()["name"])
				values := stringList(fv.ObjectValue()["values"])
				var have string
				switch fname {
				case "opt-in-status":
					have = optIn
				case "state":
					have = state
				case "zone-type":
					have = zoneType
				case "zone-name":
					have = z.Name
				case "zone-id":
					have = z.ID
				case "region-name", "group-name":
					have = region
				default:
					return false, fmt.Errorf("availability zone filter %q is not modelled by the plan's mocks", fname)
				}
				if !contains(values, have) {
					return false, nil
				}
			}
		}
		return true, nil
	}
	names, ids := []any{}, []any{}
	for _, z := range zones {
		ok, err := keep(z)
		if err != nil {
			return nil, err
		}
		if ok {
			names, ids = append(names, z.Name), append(ids, z.ID)
		}
	}
	return map[string]any{"names": names, "zoneIds": ids, "groupNames": []any{region}, "id": region, "region": region}, nil
}

// punctuation is what Secrets Manager's GetRandomPassword draws from
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html).
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// randomPassword answers GetRandomPassword: PasswordLength 1-4096 (32 when
// unset), the characters the Exclude* arguments leave, at least one of
// each included type unless RequireEachIncludedType is false.
func randomPassword(args resource.PropertyMap, e *entropy) (string, error) {
	length := 32
	if v := args["passwordLength"]; v.IsNumber() {
		length = int(v.NumberValue())
	}
	if length < 1 || length > 4096 {
		return "", fmt.Errorf("GetRandomPassword: PasswordLength %d is outside 1-4096", length)
	}
	flag := func(k string) bool { v := args[resource.PropertyKey(k)]; return v.IsBool() && v.BoolValue() }
	exclude, _ := knownString(args["excludeCharacters"])
	var classes []string
	for _, c := range []struct {
		set     string
		exclude string
	}{
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "excludeUppercase"}, {"abcdefghijklmnopqrstuvwxyz", "excludeLowercase"},
		{digits, "excludeNumbers"}, {punctuation, "excludePunctuation"},
	} {
		if flag(c.exclude) {
			continue
		}
		if set := strings.Map(func(r rune) rune {
			if strings.ContainsRune(exclude, r) {
				return -1
			}
			return r
		}, c.set); set != "" {
			classes = append(classes, set)
		}
	}
	if flag("includeSpace") {
		classes = append(classes, " ")
	}
	if len(classes) == 0 {
		return "", errors.New("GetRandomPassword: every character type is excluded")
	}
	require := true
	if v := args["requireEachIncludedType"]; v.IsBool() {
		require = v.BoolValue()
	}
	all := strings.Join(classes, "")
	out := []byte(e.from(all, length))
	if require {
		if length < len(classes) {
			return "", fmt.Errorf("GetRandomPassword: %d characters cannot hold one of each of %d types", length, len(classes))
		}
		for i, set := range classes {
			out[i] = e.from(set, 1)[0]
		}
	}
	return string(out), nil
}

func stringList(v resource.PropertyValue) []string {
	if v.IsOutput() && v.OutputValue().Known {
		v = v.OutputValue().Element
	}
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if s, ok := knownString(e); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canonical renders arguments in a stable form (JSON sorts map keys).
func canonical(args resource.PropertyMap) string {
	b, _ := json.Marshal(plainMap(args))
	return string(b)
}

// sortInvokes orders a stack's invokes and drops repeats (the same data
// source read with the same arguments in the same region answers alike).
func sortInvokes(in []Invoke) []Invoke {
	key := func(i Invoke) string {
		b, _ := json.Marshal(i.Args)
		return i.Token + "\x00" + i.Region + "\x00" + string(b)
	}
	sort.SliceStable(in, func(a, b int) bool { return key(in[a]) < key(in[b]) })
	var out []Invoke
	for i, inv := range in {
		if i > 0 && key(inv) == key(in[i-1]) {
			continue
		}
		out = append(out, inv)
	}
	return out
}
