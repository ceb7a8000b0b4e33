package awsconstraints

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// Hand-made plans, each breaking one rule as AWS's documentation states
// it. The values are literals from the cited pages, not from the modules.

const east, west = "us-east-1", "us-west-2"

// res is a resource of type typ in a region; with outputs, its ID and
// computed outputs as the mocks give them.
func res(typ, name, region string, inputs map[string]any) plan.Resource {
	return plan.Resource{URN: "urn:pulumi:t." + region + "::p::" + typ + "::" + name, Type: typ, Name: name, Custom: true, Region: region, Inputs: inputs}
}

func withOut(r plan.Resource, id string, outputs map[string]any) plan.Resource {
	r.ID, r.Outputs = id, outputs
	return r
}

// planOf puts resources into stacks by region ("" for the global stack).
func planOf(rs ...plan.Resource) *plan.Plan {
	p := &plan.Plan{Environment: "t", Target: "aws"}
	byStack := map[string]*plan.StackGraph{}
	var order []string
	for _, r := range rs {
		stack := "t." + r.Region
		if byStack[stack] == nil {
			byStack[stack] = &plan.StackGraph{Stack: stack}
			order = append(order, stack)
		}
		byStack[stack].Resources = append(byStack[stack].Resources, r)
	}
	for _, s := range order {
		p.Stacks = append(p.Stacks, *byStack[s])
	}
	return p
}

func subnet(name, region, zone, cidr string) plan.Resource {
	return withOut(res(typeSubnet, name, region, map[string]any{"availabilityZone": zone, "cidrBlock": cidr, "vpcId": "vpc-0123456789abcdef0"}), "subnet-"+name, nil)
}

func alarm(name, region string, in map[string]any) plan.Resource {
	base := map[string]any{"name": name, "namespace": "AWS/ApplicationELB", "metricName": "HealthyHostCount", "statistic": "Minimum", "period": 60.0, "evaluationPeriods": 1.0}
	for k, v := range in {
		base[k] = v
	}
	return res(typeMetricAlarm, name, region, base)
}

func record(name string, in map[string]any) plan.Resource {
	base := map[string]any{"zoneId": "ZEXAMPLE123456", "name": "www.example.com", "type": "CNAME", "ttl": 60.0, "records": []any{"lb-1.us-east-1.elb.amazonaws.com"}}
	for k, v := range in {
		base[k] = v
	}
	return res(typeRecord, name, east, base)
}

const topicWest = "arn:aws:sns:us-west-2:123456789012:alarms"

// distribution is a CloudFront distribution with an origin per Region
// ("east", "west") and a default behaviour to east, in the global stack.
func distribution(in map[string]any) plan.Resource {
	base := map[string]any{"enabled": true,
		"origins": []any{
			map[string]any{"originId": "east", "domainName": "lb-1.us-east-1.elb.amazonaws.com"},
			map[string]any{"originId": "west", "domainName": "lb-2.us-west-2.elb.amazonaws.com"},
		},
		"defaultCacheBehavior": behavior("", "east", "GET", "HEAD"),
	}
	for k, v := range in {
		base[k] = v
	}
	return res(typeDistribution, "d", east, base)
}

func originGroup(codes []any, members ...string) map[string]any {
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"originId": m})
	}
	return map[string]any{"originId": "failover", "members": ms, "failoverCriteria": map[string]any{"statusCodes": codes}}
}

func behavior(path, target string, methods ...string) map[string]any {
	var allowed []any
	for _, m := range methods {
		allowed = append(allowed, m)
	}
	b := map[string]any{"targetOriginId": target, "allowedMethods": allowed, "cachedMethods": []any{"GET", "HEAD"}, "viewerProtocolPolicy": "redirect-to-https"}
	if path != "" {
		b["pathPattern"] = path
	}
	return b
}

// failing maps each rule to plans that break it.
var failing = map[string][]*plan.Plan{
	"region-same": {planOf(
		withOut(res(typeTopic, "alarms", west, map[string]any{"name": "alarms"}), topicWest, map[string]any{"arn": topicWest}),
		res("aws:fis/experimentTemplate:ExperimentTemplate", "drill", east, map[string]any{"roleArn": "arn:aws:iam::123456789012:role/fis",
			"stopConditions": []any{map[string]any{"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:slo"}}}),
	), planOf( // an EC2 ID of another Region's resource
		withOut(res(typeVpc, "west", west, map[string]any{"cidrBlock": "10.1.0.0/16"}), "vpc-0aaaaaaaaaaaaaaa1", nil),
		res(typeSecurityGroup, "sg", east, map[string]any{"vpcId": "vpc-0aaaaaaaaaaaaaaa1", "name": "sg"}),
	)},
	"elb-load-balancer-name": {
		planOf(res(typeLoadBalancer, "a", east, map[string]any{"name": "internal-api"})),
		planOf(res(typeLoadBalancer, "b", east, map[string]any{"name": "a-load-balancer-name-of-33-chars1"})),
		planOf(res(typeLoadBalancer, "c", east, map[string]any{"name": "-api"})),
	},
	"elb-alb-two-zones": {planOf(
		subnet("a", east, "us-east-1a", "10.0.0.0/24"), subnet("b", east, "us-east-1a", "10.0.1.0/24"),
		res(typeLoadBalancer, "lb", east, map[string]any{"name": "lb", "loadBalancerType": "application", "subnets": []any{"subnet-a", "subnet-b"}}),
	)},
	"elb-target-group-name": {planOf(res(typeTargetGroup, "tg", east, map[string]any{"name": "tg_underscore"}))},
	"elb-health-check": {
		planOf(res(typeTargetGroup, "tg", east, map[string]any{"healthCheck": map[string]any{"interval": 4.0}})),
		planOf(res(typeTargetGroup, "tg", east, map[string]any{"healthCheck": map[string]any{"interval": 10.0, "timeout": 10.0}})),
		planOf(res(typeTargetGroup, "tg", east, map[string]any{"healthCheck": map[string]any{"healthyThreshold": 11.0}})),
		planOf(res(typeTargetGroup, "tg", east, map[string]any{"healthCheck": map[string]any{"unhealthyThreshold": 1.0}})),
	},
	"elb-deregistration-delay":        {planOf(res(typeTargetGroup, "tg", east, map[string]any{"deregistrationDelay": 3601.0}))},
	"elb-listener-https":              {planOf(res(typeListener, "l", east, map[string]any{"port": 443.0, "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}))},
	"elb-listener-certificate-region": {planOf(res(typeListener, "l", east, map[string]any{"port": 443.0, "protocol": "HTTPS", "sslPolicy": "p", "certificateArn": "arn:aws:acm:us-west-2:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}))},
	"elb-forward-weights": {planOf(res(typeListener, "l", east, map[string]any{"defaultActions": []any{map[string]any{"type": "forward", "forward": map[string]any{
		"targetGroups": []any{map[string]any{"arn": "a", "weight": 1000.0}}}}}}))},
	"elb-rule-priority": {planOf(res(typeListenerRule, "r", east, map[string]any{"priority": 50001.0}))},
	"route53-health-check": {
		planOf(res(typeHealthCheck, "hc", east, map[string]any{"requestInterval": 20.0})),
		planOf(res(typeHealthCheck, "hc", east, map[string]any{"failureThreshold": 11.0})),
	},
	"route53-cname-apex": {func() *plan.Plan {
		p := planOf(record("apex", map[string]any{"name": "example.com"}))
		p.Stacks[0].Invokes = []plan.Invoke{{Token: "aws:route53/getZone:getZone", Args: map[string]any{"name": "example.com"}, Result: map[string]any{"zoneId": "ZEXAMPLE123456", "name": "example.com"}}}
		return p
	}()},
	"route53-cname-alone": {planOf(record("cname", nil), record("txt", map[string]any{"type": "TXT", "records": []any{"v=spf1 -all"}}))},
	"route53-routing": {
		planOf( // two PRIMARY records of one name
			record("a", map[string]any{"setIdentifier": "a", "failoverRoutingPolicies": []any{map[string]any{"type": "PRIMARY"}}}),
			record("b", map[string]any{"setIdentifier": "b", "failoverRoutingPolicies": []any{map[string]any{"type": "PRIMARY"}}}),
		),
		planOf( // latency and failover mixed
			record("a", map[string]any{"setIdentifier": "a", "failoverRoutingPolicies": []any{map[string]any{"type": "PRIMARY"}}}),
			record("b", map[string]any{"setIdentifier": "b", "latencyRoutingPolicies": []any{map[string]any{"region": east}}}),
		),
		planOf(record("a", map[string]any{"latencyRoutingPolicies": []any{map[string]any{"region": east}}})), // no set identifier
	},
	"route53-latency-region": {planOf(record("a", map[string]any{"setIdentifier": "a", "latencyRoutingPolicies": []any{map[string]any{"region": west}}}))},
	"route53-ttl": {
		planOf(record("a", map[string]any{"ttl": nil})),
		planOf(record("b", map[string]any{"type": "A", "records": nil, "aliases": []any{map[string]any{"name": "lb-1.us-east-1.elb.amazonaws.com", "zoneId": "Z35SXDOTRQ7X7K"}}})),
	},
	"route53-metrics-us-east-1": {planOf(alarm("hc", west, map[string]any{"namespace": "AWS/Route53", "metricName": "HealthCheckStatus"}))},
	"cloudwatch-alarm-name":     {planOf(alarm(strings.Repeat("a", 256), east, nil))},
	"cloudwatch-alarm-period": {
		planOf(alarm("p", east, map[string]any{"period": 90.0})),
		planOf(alarm("eval", east, map[string]any{"period": 300.0, "evaluationPeriods": 289.0})),      // 24h05m with a period under an hour
		planOf(alarm("week", east, map[string]any{"period": 86400.0, "evaluationPeriods": 8.0})),      // 8 days
		planOf(alarm("dp", east, map[string]any{"evaluationPeriods": 2.0, "datapointsToAlarm": 3.0})), // M of N with M > N
		planOf(alarm("q", east, map[string]any{"metricName": nil, "statistic": nil, "period": nil, "metricQueries": []any{
			map[string]any{"id": "m", "returnData": true, "metric": map[string]any{"namespace": "AWS/ApplicationELB", "metricName": "RequestCount", "stat": "Sum", "period": 70.0}}}})),
	},
	"cloudwatch-alarm-metric": {
		planOf(alarm("both", east, map[string]any{"extendedStatistic": "p99"})),
		planOf(alarm("ret", east, map[string]any{"metricName": nil, "statistic": nil, "metricQueries": []any{
			map[string]any{"id": "a", "returnData": false, "expression": "1"}, map[string]any{"id": "B", "returnData": false, "expression": "a"}}})),
	},
	"cloudwatch-alarm-actions-region": {planOf(alarm("a", east, map[string]any{"alarmActions": []any{topicWest}}))},
	"cloudwatch-composite-rule": {planOf(
		alarm("member", west, nil),
		res(typeCompositeAlarm, "c", east, map[string]any{"alarmName": "c", "alarmRule": `ALARM("member")`}),
	)},
	"cloudwatch-dashboard": {
		planOf(res(typeDashboard, "d", east, map[string]any{"dashboardName": "bulwark prod"})),
		planOf(res(typeDashboard, "d", east, map[string]any{"dashboardName": "d", "dashboardBody": `{"widgets":[{"type":"metric","x":18,"y":0,"width":8,"height":6}]}`})),
	},
	"logs-log-group": {
		planOf(res(typeLogGroup, "l", east, map[string]any{"name": "/bulwark/prod shop/"})),
		planOf(res(typeLogGroup, "l", east, map[string]any{"name": "l", "retentionInDays": 31.0})),
	},
	"sns-topic-name": {planOf(res(typeTopic, "t", east, map[string]any{"name": "alarms.prod"}))},
	"rds-identifier": {
		planOf(res(typeCluster, "c", east, map[string]any{"clusterIdentifier": "1shop"})),
		planOf(res(typeCluster, "c", east, map[string]any{"clusterIdentifier": "shop--east"})),
		planOf(res(typeGlobalCluster, "g", east, map[string]any{"globalClusterIdentifier": strings.Repeat("g", 64)})),
	},
	"rds-database-name":           {planOf(res(typeGlobalCluster, "g", east, map[string]any{"globalClusterIdentifier": "g", "databaseName": "my-shop"}))},
	"rds-global-managed-password": {planOf(res(typeCluster, "c", east, map[string]any{"globalClusterIdentifier": "g", "manageMasterUserPassword": true, "skipFinalSnapshot": true}))},
	"rds-global-secondary-credentials": {planOf(
		res(typeGlobalCluster, "g", east, map[string]any{"globalClusterIdentifier": "g"}),
		res(typeCluster, "c", west, map[string]any{"globalClusterIdentifier": "g", "masterUsername": "bulwark", "skipFinalSnapshot": true}),
	)},
	"rds-final-snapshot": {
		planOf(res(typeCluster, "c", east, map[string]any{"skipFinalSnapshot": false})),
		planOf(res(typeCluster, "c", east, map[string]any{"finalSnapshotIdentifier": "final--snapshot"})),
	},
	"rds-backup-retention": {planOf(res(typeCluster, "c", east, map[string]any{"backupRetentionPeriod": 36.0, "skipFinalSnapshot": true}))},
	"rds-kms-region":       {planOf(res(typeCluster, "c", east, map[string]any{"kmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1", "skipFinalSnapshot": true}))},
	"rds-subnet-group": {
		planOf(res(typeDBSubnetGroup, "g", east, map[string]any{"name": "default"})),
		planOf(subnet("a", east, "us-east-1a", "10.0.0.0/24"), res(typeDBSubnetGroup, "g", east, map[string]any{"name": "g", "subnetIds": []any{"subnet-a"}})),
	},
	"rds-instance-zone": {planOf(
		subnet("a", east, "us-east-1a", "10.0.0.0/24"), subnet("b", east, "us-east-1b", "10.0.1.0/24"),
		withOut(res(typeDBSubnetGroup, "g", east, map[string]any{"name": "g", "subnetIds": []any{"subnet-a", "subnet-b"}}), "g", nil),
		res(typeClusterInstance, "i", east, map[string]any{"availabilityZone": "us-east-1c", "dbSubnetGroupName": "g"}),
	)},
	"backup-vault-name": {planOf(res(typeBackupVault, "v", east, map[string]any{"name": "vault.with.dots"}))},
	"backup-plan-name":  {planOf(res(typeBackupPlan, "p", east, map[string]any{"name": strings.Repeat("p", 51)}))},
	"backup-rule": {
		planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "every 1h", "targetVaultName": "v"}}})),
		planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "r", "targetVaultName": "v", "schedule": "cron(0/30 * * * ? *)"}}})),
		planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "r", "targetVaultName": "v", "startWindow": 30.0}}})),
		planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "r", "targetVaultName": "v", "enableContinuousBackup": true,
			"lifecycle": map[string]any{"deleteAfter": 36.0}}}})),
		planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "r", "targetVaultName": "v",
			"lifecycle": map[string]any{"coldStorageAfter": 30.0, "deleteAfter": 100.0}}}})),
	},
	"backup-copy-destination": {planOf(res(typeBackupPlan, "p", east, map[string]any{"name": "p", "rules": []any{map[string]any{"ruleName": "r", "targetVaultName": "v",
		"copyActions": []any{map[string]any{"destinationVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:missing"}}}}}))},
	"backup-restore-testing": {
		planOf(res(typeRestoreTestingPlan, "r", east, map[string]any{"name": "restore-tests"})),
		planOf(res(typeRestoreTestingPlan, "r", east, map[string]any{"name": "r", "recoveryPointSelection": map[string]any{"selectionWindowDays": 366.0}})),
	},
	"ecs-names": {
		planOf(res(typeECSCluster, "c", east, map[string]any{"name": "prod.shop"})),
		planOf(res(typeTaskDefinition, "t", east, map[string]any{"family": "f", "containerDefinitions": `[{"name":"shop.web"}]`})),
	},
	"ecs-fargate-size": {
		planOf(res(typeTaskDefinition, "t", east, map[string]any{"family": "f", "requiresCompatibilities": []any{"FARGATE"}, "cpu": "256", "memory": "4096"})),
		planOf(res(typeTaskDefinition, "t", east, map[string]any{"family": "f", "requiresCompatibilities": []any{"FARGATE"}, "cpu": "1 vCPU", "memory": "1 GB"})),
	},
	"ecs-deployment": {
		planOf(res(typeECSService, "s", east, map[string]any{"name": "s", "deploymentConfiguration": map[string]any{"bakeTimeInMinutes": "1441"}})),
		planOf(res(typeECSService, "s", east, map[string]any{"name": "s", "deploymentMinimumHealthyPercent": 100.0, "deploymentMaximumPercent": 50.0})),
	},
	"ec2-security-group": {
		planOf(res(typeSecurityGroup, "s", east, map[string]any{"name": "sg-shop"})),
		planOf(res(typeSecurityGroup, "s", east, map[string]any{"name": "s", "description": "shop's load balancer"})),
	},
	"ec2-launch-template": {
		planOf(res(typeLaunchTemplate, "l", east, map[string]any{"name": "lt"})),
		planOf(res(typeLaunchTemplate, "l", east, map[string]any{"name": "lt1", "metadataOptions": map[string]any{"httpPutResponseHopLimit": 65.0}})),
		planOf(res(typeLaunchTemplate, "l", east, map[string]any{"name": "lt1", "blockDeviceMappings": []any{map[string]any{"ebs": map[string]any{"volumeType": "gp3", "volumeSize": 16385.0}}}})),
	},
	"ec2-subnet-zone": {planOf(subnet("a", "us-west-1", "us-west-1a", "10.0.0.0/24"))}, // this account has us-west-1b and c
	"ec2-cidr": {
		planOf(withOut(res(typeVpc, "v", east, map[string]any{"cidrBlock": "10.0.0.0/8"}), "vpc-0123456789abcdef0", nil)),
		planOf(withOut(res(typeVpc, "v", east, map[string]any{"cidrBlock": "10.0.0.0/16"}), "vpc-0123456789abcdef0", nil), subnet("a", east, "us-east-1a", "10.1.0.0/24")),
		planOf(subnet("a", east, "us-east-1a", "10.0.0.0/24"), subnet("b", east, "us-east-1b", "10.0.0.128/25")),
	},
	"autoscaling-group": {
		planOf(res(typeAutoscalingGroup, "g", east, map[string]any{"name": "g", "minSize": 3.0, "maxSize": 2.0})),
		planOf(res(typeAutoscalingGroup, "g", east, map[string]any{"name": "g", "minSize": 2.0, "maxSize": 4.0, "desiredCapacity": 5.0})),
	},
	"autoscaling-resource-label": {
		planOf(res(typeAutoscalingPolicy, "p", east, map[string]any{"name": "p", "targetTrackingConfiguration": map[string]any{"predefinedMetricSpecification": map[string]any{
			"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": "targetgroup/shop/0123456789abcdef"}}})),
		planOf(
			withOut(res(typeLoadBalancer, "lb", west, map[string]any{"name": "lb"}), "lb", map[string]any{"arnSuffix": "app/lb/1111111111111111"}),
			withOut(res(typeTargetGroup, "tg", west, map[string]any{"name": "tg"}), "tg", map[string]any{"arnSuffix": "targetgroup/tg/2222222222222222"}),
			res(typeScalingPolicy, "p", east, map[string]any{"name": "p", "targetTrackingScalingPolicyConfiguration": map[string]any{"predefinedMetricSpecification": map[string]any{
				"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": "app/lb/1111111111111111/targetgroup/tg/2222222222222222"}}}),
		),
	},
	"appautoscaling-target": {planOf(res(typeScalableTarget, "t", east, map[string]any{"minCapacity": 5.0, "maxCapacity": 4.0}))},
	"iam-names": {
		planOf(res(typeRole, "r", east, map[string]any{"name": strings.Repeat("r", 65)})),
		planOf(res(typeRolePolicy, "p", east, map[string]any{"name": "read parameters"})),
	},
	"iam-policy-size": {
		planOf(res(typeRole, "r", east, map[string]any{"name": "r", "assumeRolePolicy": `{"Statement":"` + strings.Repeat("x", 2048) + `"}`})),
		planOf(res(typeRolePolicy, "a", east, map[string]any{"role": "r", "policy": strings.Repeat("x", 6000)}), res(typeRolePolicy, "b", east, map[string]any{"role": "r", "policy": strings.Repeat("y", 6000)})),
	},
	"kms-key": {
		planOf(res(typeKey, "k", east, map[string]any{"deletionWindowInDays": 6.0})),
		planOf(res(typeKey, "k", east, map[string]any{"description": strings.Repeat("d", 8193)})),
	},
	"kms-replica-key": {
		planOf(res(typeReplicaKey, "k", west, map[string]any{"primaryKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"})),
		planOf(res(typeReplicaKey, "k", east, map[string]any{"primaryKeyArn": "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"})),
	},
	"ssm-parameter-name": {
		planOf(res(typeParameter, "p", east, map[string]any{"name": "/aws-shop/LOG_LEVEL"})),
		planOf(res(typeParameter, "p", east, map[string]any{"name": "/" + strings.Repeat("a/", 15) + "p"})),
		planOf(res(typeParameter, "p", east, map[string]any{"name": "/shop/LOG LEVEL"})),
	},
	"ssm-parameter-value": {planOf(res(typeParameter, "p", east, map[string]any{"name": "p", "tier": "Standard", "insecureValue": strings.Repeat("v", 4097)}))},
	"dynamodb-table":      {planOf(res(typeTable, "t", east, map[string]any{"name": "t1"}))},
	"dynamodb-global-table": {
		planOf(res(typeTable, "t", east, map[string]any{"name": "table", "replicas": []any{map[string]any{"regionName": west}}})),
		planOf(res(typeTable, "t", east, map[string]any{"name": "table", "streamEnabled": true, "streamViewType": "NEW_AND_OLD_IMAGES",
			"replicas": []any{map[string]any{"regionName": west, "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"}}})),
	},
	"secretsmanager-secret": {
		planOf(res(typeSecret, "s", east, map[string]any{"name": "db-secret"})), // ends in a hyphen and six characters
		planOf(res(typeSecret, "s", east, map[string]any{"name": "db", "replicas": []any{map[string]any{"region": east}}})),
		planOf(res(typeSecret, "s", east, map[string]any{"name": "db", "recoveryWindowInDays": 3.0})),
	},
	"secretsmanager-lookup": {func() *plan.Plan {
		p := planOf(res(typeSecret, "s", east, map[string]any{"name": "db"}), res(typeVpc, "v", west, map[string]any{}))
		p.Stacks[1].Invokes = []plan.Invoke{{Token: tokenGetSecret, Region: west, Args: map[string]any{"name": "db"}, Result: map[string]any{}}}
		return p
	}()},
	"fis-experiment-template": {
		planOf(res(typeExperiment, "x", east, map[string]any{"description": strings.Repeat("d", 513)})),
		planOf(res(typeExperiment, "x", east, map[string]any{"actions": []any{map[string]any{"actionId": "aws:network:disrupt-connectivity",
			"parameters": []any{map[string]any{"key": "duration", "value": "PT13H"}}}}})),
		planOf(res(typeExperiment, "x", east, map[string]any{"stopConditions": []any{
			map[string]any{"source": "none"}, map[string]any{"source": "none"}, map[string]any{"source": "none"}, map[string]any{"source": "none"}, map[string]any{"source": "none"}, map[string]any{"source": "none"}}})),
	},
	"sqs-queue-name": {
		planOf(res(typeQueue, "q", east, map[string]any{"name": strings.Repeat("q", 81)})),
		planOf(res(typeQueue, "q", east, map[string]any{"name": "bulwark.prod.writes"})),
		planOf(res(typeQueue, "q", east, map[string]any{"name": "writes", "fifoQueue": true})),
	},
	"sqs-queue-attributes": {
		planOf(res(typeQueue, "q", east, map[string]any{"name": "q", "messageRetentionSeconds": 59.0})),
		planOf(res(typeQueue, "q", east, map[string]any{"name": "q", "messageRetentionSeconds": 1209601.0})), // 14 days and a second
		planOf(res(typeQueue, "q", east, map[string]any{"name": "q", "visibilityTimeoutSeconds": 43201.0})),
		planOf(res(typeQueue, "q", east, map[string]any{"name": "q", "redrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":1001}`})),
		planOf(res(typeQueue, "q", east, map[string]any{"name": "q", "redrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":0}`})),
	},
	"sqs-dead-letter-queue": {
		planOf( // the dead-letter queue keeps messages 4 days (the default), the source 14
			res(typeQueue, "dlq", east, map[string]any{"name": "dlq"}),
			res(typeQueue, "q", east, map[string]any{"name": "q", "messageRetentionSeconds": 1209600.0,
				"redrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}`}),
		),
		planOf( // a FIFO queue's dead-letter queue is standard
			res(typeQueue, "dlq", east, map[string]any{"name": "dlq", "messageRetentionSeconds": 1209600.0}),
			res(typeQueue, "q", east, map[string]any{"name": "q.fifo", "fifoQueue": true,
				"redrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}`}),
		),
	},
	"cloudfront-origin-group": {
		planOf(distribution(map[string]any{"originGroups": []any{originGroup([]any{500.0}, "east")}})),                 // one member
		planOf(distribution(map[string]any{"originGroups": []any{originGroup([]any{500.0}, "east", "west", "east")}})), // three
		planOf(distribution(map[string]any{"originGroups": []any{originGroup([]any{429.0, 500.0}, "east", "west")}})),  // 429 is not a failover code
		planOf(distribution(map[string]any{"originGroups": []any{originGroup([]any{500.0}, "east", "elsewhere")}})),    // not an origin
	},
	"cloudfront-cache-behavior": {
		planOf(distribution(map[string]any{"originGroups": []any{originGroup([]any{500.0}, "east", "west")},
			"orderedCacheBehaviors": []any{behavior("/catalog*", "failover", "GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE")}})),
		planOf(distribution(map[string]any{"orderedCacheBehaviors": []any{behavior("/catalog*", "east", "GET", "POST")}})),
		planOf(distribution(map[string]any{"orderedCacheBehaviors": []any{behavior("/"+strings.Repeat("p", 255), "east", "GET", "HEAD")}})),
		planOf(distribution(map[string]any{"orderedCacheBehaviors": []any{behavior("/catalog*", "nowhere", "GET", "HEAD")}})),
	},
	"cloudfront-cache-policy": {
		planOf(res(typeCachePolicy, "c", east, map[string]any{"name": "c", "minTtl": 0.0, "defaultTtl": 10.0, "maxTtl": 5.0})),
		planOf(res(typeCachePolicy, "c", east, map[string]any{"name": "c", "minTtl": 20.0, "defaultTtl": 10.0, "maxTtl": 50.0})),
	},
	"tags": {
		planOf(res(typeVpc, "v", east, map[string]any{"tags": map[string]any{"aws:cloudformation:stack-name": "x"}})),
		planOf(res(typeVpc, "v", east, map[string]any{"tags": map[string]any{"Name": strings.Repeat("n", 257)}})),
		planOf(res(typeTopic, "t", east, map[string]any{"name": "t", "tags": map[string]any{"owners": "payments, search"}})), // a comma, outside EC2
		planOf(res(typeVpc, "v", east, map[string]any{"tags": func() map[string]any {
			m := map[string]any{}
			for i := 0; i < 51; i++ {
				m[fmt.Sprint("k", i)] = "v"
			}
			return m
		}()})),
	},
}

// TestEveryRuleCanFail proves each rule catches a plan that breaks it.
func TestEveryRuleCanFail(t *testing.T) {
	for _, rule := range Rules() {
		cases := failing[rule.ID]
		if len(cases) == 0 {
			t.Errorf("rule %s has no failing case", rule.ID)
			continue
		}
		for i, p := range cases {
			var found []string
			for _, v := range Check(p) {
				if v.Rule == rule.ID {
					found = append(found, v.Message)
				}
			}
			if len(found) == 0 {
				t.Errorf("rule %s: case %d breaks it, but Check reports %v", rule.ID, i, Check(p))
			}
		}
	}
	for id := range failing {
		if !ruleExists(id) {
			t.Errorf("failing case for unknown rule %s", id)
		}
	}
}

func ruleExists(id string) bool {
	for _, r := range Rules() {
		if r.ID == id {
			return true
		}
	}
	return false
}

// TestRulesCiteAWS: every rule states what it checks and cites an AWS page.
func TestRulesCiteAWS(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s twice", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.Source, "https://docs.aws.amazon.com/") || r.Summary == "" {
			t.Errorf("rule %s: source %q, summary %q", r.ID, r.Source, r.Summary)
		}
		if (r.check == nil) == (r.plan == nil) {
			t.Errorf("rule %s must judge resources or the plan, one of them", r.ID)
		}
	}
}

// TestViolationsAreOrdered: stacks in plan order, then URN and rule.
func TestViolationsAreOrdered(t *testing.T) {
	p := planOf(
		res(typeTopic, "b", west, map[string]any{"name": "a.b"}),
		res(typeLoadBalancer, "a", east, map[string]any{"name": "internal-x", "tags": map[string]any{"aws:x": "y"}}),
	)
	var got []string
	for _, v := range Check(p) {
		got = append(got, v.Stack+" "+v.Rule)
	}
	want := []string{"t.us-west-2 sns-topic-name", "t.us-east-1 elb-load-balancer-name", "t.us-east-1 tags"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("violations %v, want %v", got, want)
	}
}
