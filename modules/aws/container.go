package aws

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Task sizes of a container service (Fargate's smallest pair).
const (
	TaskCPU    = 256 // CPU units: a quarter of a vCPU
	TaskMemory = 512 // MiB
	// LogRetentionDays is how long the tasks' logs are kept.
	LogRetentionDays = 30
)

// containerSecret is a variable ECS sets from Secrets Manager or Parameter
// Store when a task starts: valueFrom is the full ARN, for a secret's
// JSON key followed by ":<key>::"
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
type containerSecret struct{ name, valueFrom string }

// containerDefinitions is the task's one container: the image pinned by
// digest, a read-only root file system, logs to CloudWatch, and the
// runtime contract: env as environment variables, secrets from their
// stores (nothing secret in the task definition).
func containerDefinitions(a ServiceArgs, logGroup string, env map[string]string, secrets []containerSecret) (string, error) {
	s := a.Service
	var environment []map[string]string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		environment = append(environment, map[string]string{"name": k, "value": env[k]})
	}
	defs := []map[string]any{{
		"name":                   s.Name,
		"image":                  a.Container,
		"essential":              true,
		"readonlyRootFilesystem": true,
		"user":                   "65532:65532",
		"portMappings":           []map[string]any{{"containerPort": s.Port, "protocol": "tcp"}},
		"environment":            environment,
		"logConfiguration": map[string]any{
			"logDriver": "awslogs",
			"options": map[string]string{
				"awslogs-group": logGroup, "awslogs-region": a.Region.Name, "awslogs-stream-prefix": s.Name,
			},
		},
	}}
	if len(secrets) > 0 {
		var list []map[string]string
		for _, sec := range secrets {
			list = append(list, map[string]string{"name": sec.name, "valueFrom": sec.valueFrom})
		}
		defs[0]["secrets"] = list
	}
	b, err := json.Marshal(defs)
	return string(b), err
}

// containerRuntime is the runtime contract of a container: the values the
// stack knows, then (resolved at deploy time) the database's, and the
// variables ECS fills from the parameters and the secret.
func containerRuntime(ctx *pulumi.Context, a ServiceArgs, params *parameters) (pulumi.StringMapOutput, pulumi.ArrayOutput, error) {
	env := pulumi.StringMap{}
	for k, v := range plainRuntime(a) {
		env[k] = pulumi.String(v)
	}
	type pending struct {
		name string
		from pulumi.StringOutput
	}
	var secrets []pending
	if params != nil {
		// parameters come from the region's store when a task starts; their
		// digest makes a changed value a new task definition, deployed as any
		env["BULWARK_PARAMETERS_DIGEST"] = pulumi.String(params.digest)
		for i, key := range params.names {
			secrets = append(secrets, pending{key, params.arns.Index(pulumi.Int(i))})
		}
	}
	if db := a.Database; db != nil {
		for k, v := range db.Env {
			env[k] = v
		}
		for _, k := range slices.Sorted(maps.Keys(db.Parameters)) {
			secrets = append(secrets, pending{k, pulumi.String(parameterARN(a.Region.Name, a.Account, db.Parameters[k])).ToStringOutput()})
		}
		if db.Secret != "" {
			arn, err := containerSecretARN(ctx, a, db.SecretARN)
			if err != nil {
				return pulumi.StringMapOutput{}, pulumi.ArrayOutput{}, err
			}
			for _, k := range slices.Sorted(maps.Keys(db.SecretKeys)) {
				secrets = append(secrets, pending{k, pulumi.Sprintf("%s:%s::", arn, db.SecretKeys[k])})
			}
		}
	}
	var list pulumi.Array
	for _, p := range secrets {
		list = append(list, pulumi.StringArray{pulumi.String(p.name), p.from})
	}
	return env.ToStringMapOutput(), list.ToArrayOutput(), nil
}

// newContainers declares the container runtime: an ECS cluster, a task
// definition pinned to the image digest, and a Fargate service over every
// zone's private subnet that rolls back a deployment that does not become
// healthy, scaled between the environment's bounds.
func newContainers(ctx *pulumi.Context, name string, a ServiceArgs, front *frontDoor, params *parameters, child pulumi.ResourceOption) (*ecs.Service, error) {
	s := a.Service
	prefix := fmt.Sprintf("%s-%s", a.Topology.Environment.Name, s.Name)
	t := tags(a.Topology, a.Region.Name, s.Name)
	cluster, err := ecs.NewCluster(ctx, name, &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled")}},
		Tags:     t,
	}, child)
	if err != nil {
		return nil, err
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		NamePrefix: pulumi.Sprintf("/bulwark/%s/", prefix), RetentionInDays: pulumi.Int(LogRetentionDays), Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	// the execution role pulls the image and writes logs; the task role,
	// what the code itself may do, holds only the write queue's policy
	// (when the service has one): least privilege
	execRole, err := iam.NewRole(ctx, name+"-execution", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-execution", &iam.RolePolicyAttachmentArgs{
		Role: execRole.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"),
	}, child); err != nil {
		return nil, err
	}
	if params != nil {
		// the execution role hands the parameters to the container
		if _, err := iam.NewRolePolicy(ctx, name+"-parameters", &iam.RolePolicyArgs{Role: execRole.Name, Policy: params.readPolicy}, child); err != nil {
			return nil, err
		}
	}
	if policy := runtimePolicy(a); policy != "" {
		// and the database's writer URL and credentials
		if _, err := iam.NewRolePolicy(ctx, name+"-runtime", &iam.RolePolicyArgs{Role: execRole.Name, Policy: pulumi.String(policy)}, child); err != nil {
			return nil, err
		}
	}
	taskRole, err := iam.NewRole(ctx, name+"-task", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return nil, err
	}
	// the task's code may use the region's write queue (its consumer runs
	// in the tasks), and nothing else
	if err := allowQueue(ctx, name, a, taskRole, child); err != nil {
		return nil, err
	}
	env, secrets, err := containerRuntime(ctx, a, params)
	if err != nil {
		return nil, err
	}
	defs := pulumi.All(logs.Name, env, secrets).ApplyT(func(v []any) (string, error) {
		var list []containerSecret
		for _, pair := range v[2].([]any) {
			switch p := pair.(type) {
			case []string:
				list = append(list, containerSecret{name: p[0], valueFrom: p[1]})
			case []any:
				list = append(list, containerSecret{name: p[0].(string), valueFrom: p[1].(string)})
			}
		}
		return containerDefinitions(a, v[0].(string), v[1].(map[string]string), list)
	}).(pulumi.StringOutput)
	task, err := ecs.NewTaskDefinition(ctx, name, &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(prefix),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		NetworkMode:             pulumi.String("awsvpc"),
		Cpu:                     pulumi.String(fmt.Sprint(TaskCPU)), Memory: pulumi.String(fmt.Sprint(TaskMemory)),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"), CpuArchitecture: pulumi.String("X86_64"),
		},
		ExecutionRoleArn: execRole.Arn, TaskRoleArn: taskRole.Arn,
		ContainerDefinitions: defs,
		Tags:                 tags(a.Topology, a.Region.Name, s.Name, contract.TagImageBuild, a.Build),
	}, child)
	if err != nil {
		return nil, err
	}
	h := s.Health
	balancer := ecs.ServiceLoadBalancerArgs{
		TargetGroupArn: front.tgs[topology.Blue].Arn, ContainerName: pulumi.String(s.Name), ContainerPort: pulumi.Int(s.Port),
	}
	var deployment ecs.ServiceDeploymentConfigurationPtrInput
	if s.Rollout.Strategy == topology.RolloutBlueGreen {
		if balancer.AdvancedConfiguration, err = ecsBlueGreen(ctx, name, a, front, child); err != nil {
			return nil, err
		}
		deployment = &ecs.ServiceDeploymentConfigurationArgs{
			Strategy: pulumi.String("BLUE_GREEN"), BakeTimeInMinutes: pulumi.String(fmt.Sprint(bakeMinutes(s.Rollout.Bake))),
		}
	}
	service, err := ecs.NewService(ctx, name, &ecs.ServiceArgs{
		Cluster: cluster.Arn, TaskDefinition: task.Arn, LaunchType: pulumi.String("FARGATE"),
		DesiredCount: pulumi.Int(s.Capacity.Desired),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets: a.Network.PrivateSubnetIDs, SecurityGroups: pulumi.StringArray{front.targetSG.ID()}, AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers:                 ecs.ServiceLoadBalancerArray{balancer},
		DeploymentConfiguration:       deployment,
		HealthCheckGracePeriodSeconds: pulumi.Int(GracePeriod(h)),
		// a deployment that does not become healthy is rolled back; a new
		// task starts before an old one stops
		DeploymentCircuitBreaker:        &ecs.ServiceDeploymentCircuitBreakerArgs{Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true)},
		DeploymentMinimumHealthyPercent: pulumi.Int(100), DeploymentMaximumPercent: pulumi.Int(200),
		AvailabilityZoneRebalancing: pulumi.String("ENABLED"),
		PropagateTags:               pulumi.String("SERVICE"), EnableEcsManagedTags: pulumi.Bool(true),
		Tags: t,
	}, child, pulumi.IgnoreChanges([]string{"desiredCount"})) // autoscaling owns the count once running
	if err != nil {
		return nil, err
	}
	if a.Database != nil && a.Database.Secret != "" {
		if err := redeployEvery(ctx, name, a, cluster, service, child); err != nil {
			return nil, err
		}
	}
	resourceID := pulumi.Sprintf("service/%s/%s", cluster.Name, service.Name)
	target, err := appautoscaling.NewTarget(ctx, name, &appautoscaling.TargetArgs{
		ServiceNamespace: pulumi.String("ecs"), ScalableDimension: pulumi.String("ecs:service:DesiredCount"), ResourceId: resourceID,
		MinCapacity: pulumi.Int(s.Capacity.Min), MaxCapacity: pulumi.Int(s.Capacity.Max), Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	if sc := s.Scaling; sc.TargetCPU > 0 || sc.TargetRequests > 0 {
		metric, label, value := trackedMetric(sc, front, front.tgs[topology.Blue], "ECSServiceAverageCPUUtilization")
		spec := &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{PredefinedMetricType: pulumi.String(metric), ResourceLabel: label}
		cooldown := int(sc.Cooldown.Seconds())
		if _, err := appautoscaling.NewPolicy(ctx, name, &appautoscaling.PolicyArgs{
			PolicyType:       pulumi.String("TargetTrackingScaling"),
			ServiceNamespace: target.ServiceNamespace, ScalableDimension: target.ScalableDimension, ResourceId: target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: spec, TargetValue: pulumi.Float64(value),
				ScaleOutCooldown: pulumi.Int(cooldown), ScaleInCooldown: pulumi.Int(cooldown),
			},
		}, child); err != nil {
			return nil, err
		}
	}
	return service, nil
}

// bakeMinutes is a bake time in ECS's whole minutes (0 to 1440), rounded up.
func bakeMinutes(d time.Duration) int {
	return min(1440, int(math.Ceil(d.Minutes())))
}

// ecsBlueGreen sets up ECS's own blue/green deployments for a container
// service: a listener rule that sends every request to the blue target
// group (ECS moves it between blue and green at each deployment, so its
// actions are ECS's to change), and the role ECS uses to do so. ECS starts
// the new tasks in the other target group, switches the rule once they are
// healthy, keeps the old tasks for the bake time and rolls back on a
// failed deployment (the circuit breaker).
func ecsBlueGreen(ctx *pulumi.Context, name string, a ServiceArgs, front *frontDoor, child pulumi.ResourceOption) (*ecs.ServiceLoadBalancerAdvancedConfigurationArgs, error) {
	t := tags(a.Topology, a.Region.Name, a.Service.Name)
	rule, err := lb.NewListenerRule(ctx, name+"-production", &lb.ListenerRuleArgs{
		ListenerArn: front.serving.Arn, Priority: pulumi.Int(1),
		Conditions: lb.ListenerRuleConditionArray{lb.ListenerRuleConditionArgs{
			PathPattern: &lb.ListenerRuleConditionPathPatternArgs{Values: pulumi.StringArray{pulumi.String("/*")}},
		}},
		Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
			Type: pulumi.String("forward"),
			Forward: &lb.ListenerRuleActionForwardArgs{TargetGroups: lb.ListenerRuleActionForwardTargetGroupArray{
				lb.ListenerRuleActionForwardTargetGroupArgs{Arn: front.tgs[topology.Blue].Arn, Weight: pulumi.Int(100)},
				lb.ListenerRuleActionForwardTargetGroupArgs{Arn: front.tgs[topology.Green].Arn, Weight: pulumi.Int(0)},
			}},
		}},
		Tags: t,
	}, child, pulumi.IgnoreChanges([]string{"actions"}))
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-deployments", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return nil, err
	}
	attached, err := iam.NewRolePolicyAttachment(ctx, name+"-deployments", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"),
	}, child)
	if err != nil {
		return nil, err
	}
	// the service may use the role only once it carries its policy
	roleArn := pulumi.All(role.Arn, attached.ID()).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return &ecs.ServiceLoadBalancerAdvancedConfigurationArgs{
		AlternateTargetGroupArn: front.tgs[topology.Green].Arn, ProductionListenerRule: rule.Arn, RoleArn: roleArn,
	}, nil
}

// redeployEvery starts a service's tasks afresh every CredentialsRestart
// (an EventBridge Scheduler schedule calling ECS UpdateService with
// ForceNewDeployment through its universal target, with a role that may do
// only that): ECS hands a task the database's credentials when it starts,
// and the alternating-users rotation retires a user two rotations on
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
func redeployEvery(ctx *pulumi.Context, name string, a ServiceArgs, cluster *ecs.Cluster, service *ecs.Service, child pulumi.ResourceOption) error {
	t := tags(a.Topology, a.Region.Name, a.Service.Name)
	role, err := iam.NewRole(ctx, name+"-redeploy", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("scheduler.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return err
	}
	policy := service.ID().ToStringOutput().ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
			{"Effect": "Allow", "Action": "ecs:UpdateService", "Resource": arn},
		}})
		return string(b), err
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-redeploy", &iam.RolePolicyArgs{Role: role.Name, Policy: policy}, child); err != nil {
		return err
	}
	input := pulumi.All(cluster.Arn, service.Name).ApplyT(func(v []any) (string, error) {
		b, err := json.Marshal(map[string]any{"Cluster": v[0], "Service": v[1], "ForceNewDeployment": true})
		return string(b), err
	}).(pulumi.StringOutput)
	_, err = scheduler.NewSchedule(ctx, name+"-redeploy", &scheduler.ScheduleArgs{
		Description:        pulumi.Sprintf("bulwark: start %s's tasks afresh, so they read rotated database credentials", a.Service.Name),
		ScheduleExpression: pulumi.Sprintf("rate(%d days)", int(CredentialsRestart.Hours()/24)),
		FlexibleTimeWindow: &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("FLEXIBLE"), MaximumWindowInMinutes: pulumi.Int(60)},
		Target: &scheduler.ScheduleTargetArgs{
			Arn: pulumi.String("arn:aws:scheduler:::aws-sdk:ecs:updateService"), RoleArn: role.Arn, Input: input,
		},
	}, child)
	return err
}
