package aws

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Service is a service in one region behind an application load balancer
// across the public subnets. With runtime "vm" it is instances from the
// region's AMI in an autoscaling group over every zone's private subnet;
// with runtime "container", Fargate tasks of an ECS service over the same
// subnets, running the container pinned by digest.
type Service struct {
	pulumi.ResourceState
	// Endpoint is the load balancer's DNS name; EndpointZoneID its hosted zone.
	Endpoint       pulumi.StringOutput
	EndpointZoneID pulumi.StringOutput
	// BlueGreen, for a service whose colours the orchestrator switches, is
	// its state as the orchestrator reads it back (BlueGreenOutput).
	BlueGreen pulumi.Map
	// LoadBalancer and TargetGroup are the ARN suffixes CloudWatch names
	// the load balancer's and the serving target group's metrics by.
	LoadBalancer, TargetGroup pulumi.StringOutput
}

// ServiceArgs is what NewService needs.
type ServiceArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	Service  topology.Service
	Network  *Network
	AMI      string // runtime "vm": from the image's manifest, never looked up
	// Container is the image pinned by digest (runtime "container").
	Container string
	Build     string
	// InstanceType defaults to t3.small.
	InstanceType string
	// BlueGreen, for a blue-green service of runtime "vm", is which colour
	// serves and the image each colour's group runs (AMI and Build are not
	// used then); nil for one group.
	BlueGreen *topology.BlueGreenState
	// Database is how the service's instances reach its database in the
	// region (nil without one): the runtime contract's database part.
	Database *DatabaseRuntime
	// Account is the account the stack deploys to (ARNs in policies).
	Account string
	// Provider is the region's provider (for lookups).
	Provider pulumi.ProviderResource
}

// assumeRolePolicy lets one AWS service assume a role, and nothing else.
func assumeRolePolicy(service string) string {
	b, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []map[string]any{{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": service}}},
	})
	return string(b)
}

// GracePeriod is how long a new instance has before its health counts: the
// health check's time to call it healthy, twice over, and at least 60 s.
func GracePeriod(h topology.Health) int {
	after := max(h.HealthyAfter, 2)
	return max(60, int(math.Ceil(2*float64(after)*h.Interval.Seconds())))
}

// albInterval clamps a health check interval to what a target group
// accepts (5 to 300 s).
func albInterval(h topology.Health) int { return min(300, max(5, int(h.Interval.Seconds()))) }

// NewService declares a service of a region: its load balancer, then its
// instances or containers.
func NewService(ctx *pulumi.Context, name string, a ServiceArgs, opts ...pulumi.ResourceOption) (*Service, error) {
	svc := &Service{}
	if err := ctx.RegisterComponentResource(contract.TypeAWSService, name, svc, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(svc)
	front, err := newFrontDoor(ctx, name, a, child)
	if err != nil {
		return nil, err
	}
	params, err := newParameters(ctx, name, a, child)
	if err != nil {
		return nil, err
	}
	// the write queue before the instances or tasks that use it
	queue, err := newWriteQueue(ctx, name, a, child)
	if err != nil {
		return nil, err
	}
	var afterQueue pulumi.ResourceOption = child
	if len(queue) > 0 {
		afterQueue = pulumi.Composite(child, pulumi.DependsOn(queue))
	}
	outs := pulumi.Map{"endpoint": front.alb.DnsName, "runtime": pulumi.String(string(a.Service.Runtime))}
	switch a.Service.Runtime {
	case topology.RuntimeContainer:
		ecsService, err := newContainers(ctx, name, a, front, params, afterQueue)
		if err != nil {
			return nil, err
		}
		outs["ecsService"], outs["image"] = ecsService.Name, pulumi.String(a.Container)
	default:
		groups, err := newInstances(ctx, name, a, front, params, afterQueue)
		if err != nil {
			return nil, err
		}
		if a.BlueGreen == nil {
			outs["group"], outs["image"] = groups[topology.Blue].Name, pulumi.String(a.AMI)
			break
		}
		colours := pulumi.Map{}
		for c, g := range groups {
			img := a.BlueGreen.Groups[c]
			colours[string(c)] = pulumi.Map{contract.OutputColourGroup: g.Name, contract.OutputImage: pulumi.String(img.Digest), contract.OutputColourBuild: pulumi.String(img.Build)}
		}
		svc.BlueGreen = pulumi.Map{contract.OutputBlueGreenLive: pulumi.String(string(a.BlueGreen.Live)), contract.OutputBlueGreenGroups: colours}
		outs["blue_green"], outs["image"] = svc.BlueGreen, pulumi.String(a.BlueGreen.Groups[a.BlueGreen.Live].Digest)
	}
	svc.Endpoint, svc.EndpointZoneID = front.alb.DnsName, front.alb.ZoneId
	svc.LoadBalancer, svc.TargetGroup = front.alb.ArnSuffix, front.tgs[topology.Blue].ArnSuffix
	if live, ok := front.tgs[a.liveColour()]; ok && a.Service.Runtime != topology.RuntimeContainer {
		svc.TargetGroup = live.ArnSuffix // ECS's own blue-green keeps production on blue's rule
	}
	return svc, ctx.RegisterResourceOutputs(svc, outs)
}

// frontDoor is what the world reaches: the load balancer, its target
// groups (blue's alone, unless the service is blue-green) and the security
// group that alone may reach the targets. serving is the listener that
// forwards requests (HTTPS when the service has it).
type frontDoor struct {
	alb      *lb.LoadBalancer
	tgs      map[topology.Colour]*lb.TargetGroup
	targetSG *ec2.SecurityGroup
	serving  *lb.Listener
}

// liveColour is the colour the listener sends requests to: blue, unless a
// blue-green service's state says otherwise.
func (a ServiceArgs) liveColour() topology.Colour {
	if a.BlueGreen != nil && a.BlueGreen.Live != "" {
		return a.BlueGreen.Live
	}
	return topology.Blue
}

// colourName names a colour's resources: blue keeps the service's own name,
// so a service that turns blue-green keeps the group it runs.
func colourName(name string, c topology.Colour) string {
	if c == topology.Blue {
		return name
	}
	return name + "-" + string(c)
}

// SSLPolicy is the HTTPS listeners' policy: TLS 1.3, and 1.2 with forward
// secrecy only.
const SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

var anywhere = pulumi.StringArray{pulumi.String("0.0.0.0/0")}

func allEgress() ec2.SecurityGroupEgressArray {
	return ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{Protocol: pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0), CidrBlocks: anywhere}}
}

func newFrontDoor(ctx *pulumi.Context, name string, a ServiceArgs, child pulumi.ResourceOption) (*frontDoor, error) {
	s := a.Service
	prefix := fmt.Sprintf("%s-%s", a.Topology.Environment.Name, s.Name)
	t := tags(a.Topology, a.Region.Name, s.Name)
	// security groups: the world reaches the load balancer, only the load
	// balancer reaches the targets
	ingress := ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(80), ToPort: pulumi.Int(80), CidrBlocks: anywhere}}
	if s.HTTPS != nil {
		ingress = append(ingress, ec2.SecurityGroupIngressArgs{Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: anywhere})
	}
	albSG, err := ec2.NewSecurityGroup(ctx, name+"-alb", &ec2.SecurityGroupArgs{
		VpcId: a.Network.VpcID, Description: pulumi.Sprintf("%s load balancer", prefix), Tags: t,
		Ingress: ingress, Egress: allEgress(),
	}, child)
	if err != nil {
		return nil, err
	}
	// the name stays "-instances" for containers too: the group's role is
	// the same, and renaming would replace it
	targetSG, err := ec2.NewSecurityGroup(ctx, name+"-instances", &ec2.SecurityGroupArgs{
		VpcId: a.Network.VpcID, Description: pulumi.Sprintf("%s targets", prefix), Tags: t,
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(s.Port), ToPort: pulumi.Int(s.Port), SecurityGroups: pulumi.StringArray{albSG.ID()},
		}},
		Egress: allEgress(),
	}, child)
	if err != nil {
		return nil, err
	}
	albArgs := &lb.LoadBalancerArgs{
		NamePrefix:       pulumi.String(loadBalancerPrefix(s.Name)),
		LoadBalancerType: pulumi.String("application"), Internal: pulumi.Bool(false),
		SecurityGroups: pulumi.StringArray{albSG.ID()}, Subnets: a.Network.PublicSubnetIDs,
		EnableDeletionProtection: pulumi.Bool(s.Database != nil && s.Database.DeletionProtection),
		DropInvalidHeaderFields:  pulumi.Bool(true), Tags: t,
	}
	if idle := calleeIdleTimeout(a.Topology, s.Name); idle > 0 {
		// a caller waits longer for an attempt than the default 60 s
		albArgs.IdleTimeout = pulumi.Int(idle)
	}
	alb, err := lb.NewLoadBalancer(ctx, name, albArgs, child)
	if err != nil {
		return nil, err
	}
	h := s.Health
	targetType := "instance"
	if s.Runtime == topology.RuntimeContainer {
		targetType = "ip" // Fargate tasks have their own network interface
	}
	colours := []topology.Colour{topology.Blue}
	if s.Rollout.Strategy == topology.RolloutBlueGreen {
		colours = append(colours, topology.Green)
	}
	tgs := map[topology.Colour]*lb.TargetGroup{}
	for _, c := range colours {
		tg, err := lb.NewTargetGroup(ctx, colourName(name, c), &lb.TargetGroupArgs{
			NamePrefix: pulumi.String(loadBalancerPrefix(s.Name)),
			Port:       pulumi.Int(s.Port), Protocol: pulumi.String("HTTP"), VpcId: a.Network.VpcID, TargetType: pulumi.String(targetType),
			DeregistrationDelay: pulumi.Int(30),
			HealthCheck: &lb.TargetGroupHealthCheckArgs{
				Path: pulumi.String(h.Path), Protocol: pulumi.String("HTTP"), Matcher: pulumi.String("200"),
				Interval: pulumi.Int(albInterval(h)), Timeout: pulumi.Int(min(albInterval(h)-1, max(2, int(h.Timeout.Seconds())))),
				UnhealthyThreshold: pulumi.Int(min(10, max(2, h.UnhealthyAfter))), HealthyThreshold: pulumi.Int(min(10, max(2, h.HealthyAfter))),
			},
			Tags: t,
		}, child)
		if err != nil {
			return nil, err
		}
		tgs[c] = tg
	}
	// one target group: forward to it; two (blue-green): forward by weight,
	// every request to the live colour's
	forward := lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), TargetGroupArn: tgs[topology.Blue].Arn}}
	if len(tgs) > 1 {
		live := a.liveColour()
		weighted := lb.ListenerDefaultActionForwardTargetGroupArray{}
		for _, c := range colours {
			weight := 0
			if c == live {
				weight = 100
			}
			weighted = append(weighted, lb.ListenerDefaultActionForwardTargetGroupArgs{Arn: tgs[c].Arn, Weight: pulumi.Int(weight)})
		}
		forward = lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), Forward: &lb.ListenerDefaultActionForwardArgs{TargetGroups: weighted}}}
	}
	httpActions := forward
	var serving *lb.Listener
	if s.HTTPS != nil {
		if serving, err = lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn, Port: pulumi.Int(443), Protocol: pulumi.String("HTTPS"),
			CertificateArn: pulumi.String(s.HTTPS.Certificates[a.Region.Name]), SslPolicy: pulumi.String(SSLPolicy),
			DefaultActions: forward, Tags: t,
		}, child); err != nil {
			return nil, err
		}
		httpActions = lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Protocol: pulumi.String("HTTPS"), Port: pulumi.String("443"), StatusCode: pulumi.String("HTTP_301"),
			},
		}}
	}
	http, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn, Port: pulumi.Int(80), Protocol: pulumi.String("HTTP"), DefaultActions: httpActions, Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	if serving == nil {
		serving = http
	}
	return &frontDoor{alb: alb, tgs: tgs, targetSG: targetSG, serving: serving}, nil
}

// trackedMetric is what a target tracking policy holds, for either runtime:
// requests per target when the environment sets target_requests (the
// metric counts per minute; the environment says per second), else average
// CPU (cpuMetric, which names it per runtime). label is "" for CPU.
func trackedMetric(sc topology.Scaling, front *frontDoor, tg *lb.TargetGroup, cpuMetric string) (metric string, label pulumi.StringPtrInput, value float64) {
	if sc.TargetRequests > 0 {
		return "ALBRequestCountPerTarget", pulumi.Sprintf("%s/%s", front.alb.ArnSuffix, tg.ArnSuffix), float64(sc.TargetRequests * 60)
	}
	return cpuMetric, nil, float64(sc.TargetCPU)
}

// newInstances declares the golden-image runtime: the instances' role, and
// per group a launch template from the region's AMI and an autoscaling
// group over every zone. A blue-green service has a group per colour in
// its state (each behind its colour's target group); any other, blue's.
func newInstances(ctx *pulumi.Context, name string, a ServiceArgs, front *frontDoor, params *parameters, child pulumi.ResourceOption) (map[topology.Colour]*autoscaling.Group, error) {
	s := a.Service
	t := tags(a.Topology, a.Region.Name, s.Name)
	if a.InstanceType == "" {
		a.InstanceType = "t3.small"
	}
	// least privilege: the instances may assume their role and be reached by
	// Systems Manager, nothing else
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("ec2.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, child); err != nil {
		return nil, err
	}
	if params != nil {
		// and read the service's parameters in their region's store
		if _, err := iam.NewRolePolicy(ctx, name+"-parameters", &iam.RolePolicyArgs{Role: role.Name, Policy: params.readPolicy}, child); err != nil {
			return nil, err
		}
	}
	if policy := runtimePolicy(a); policy != "" {
		// and the database's writer URL and credentials in their region
		if _, err := iam.NewRolePolicy(ctx, name+"-runtime", &iam.RolePolicyArgs{Role: role.Name, Policy: pulumi.String(policy)}, child); err != nil {
			return nil, err
		}
	}
	// and use the region's write queue (the consumer runs in the instances)
	if err := allowQueue(ctx, name, a, role, child); err != nil {
		return nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{Role: role.Name, Tags: t}, child)
	if err != nil {
		return nil, err
	}
	images := map[topology.Colour]topology.ImageRef{topology.Blue: {Digest: a.AMI, Build: a.Build}}
	if a.BlueGreen != nil {
		images = a.BlueGreen.Groups
	}
	groups := map[topology.Colour]*autoscaling.Group{}
	for _, c := range []topology.Colour{topology.Blue, topology.Green} {
		image, ok := images[c]
		if !ok {
			continue
		}
		g, err := newGroup(ctx, colourName(name, c), a, groupArgs{colour: c, image: image, profile: profile, front: front, params: params}, child)
		if err != nil {
			return nil, err
		}
		groups[c] = g
	}
	return groups, nil
}

// groupArgs is what one instance group of a service needs.
type groupArgs struct {
	colour  topology.Colour
	image   topology.ImageRef
	profile *iam.InstanceProfile
	front   *frontDoor
	params  *parameters // nil without parameters
}

// newGroup declares one instance group: its launch template, its
// autoscaling group behind its colour's target group, and its scaling policy.
func newGroup(ctx *pulumi.Context, name string, a ServiceArgs, g groupArgs, child pulumi.ResourceOption) (*autoscaling.Group, error) {
	s := a.Service
	prefix := fmt.Sprintf("%s-%s", a.Topology.Environment.Name, s.Name)
	t := tags(a.Topology, a.Region.Name, s.Name)
	// blue keeps the service's names, so a service that turns blue-green
	// keeps the group it runs (a new name prefix would replace it)
	if g.colour != topology.Blue {
		prefix += "-" + string(g.colour)
	}
	groupTagValues := []string{"Name", prefix}
	if a.BlueGreen != nil {
		groupTagValues = append(groupTagValues, contract.TagColour, string(g.colour))
	}
	instanceTags := []string{contract.TagImageBuild, g.image.Build}
	after := child
	if g.params != nil {
		// instances read their parameters from the path their tag names at
		// boot; the digest makes a changed value a new launch template
		// version, which the instance refresh rolls out
		instanceTags = append(instanceTags, contract.TagParameters, g.params.path, contract.TagParametersDigest, g.params.digest)
		after = pulumi.Composite(child, pulumi.DependsOn(g.params.resources))
	}
	template, err := ec2.NewLaunchTemplate(ctx, name, &ec2.LaunchTemplateArgs{
		NamePrefix:          pulumi.String(prefix + "-"),
		ImageId:             pulumi.String(g.image.Digest),
		InstanceType:        pulumi.String(a.InstanceType),
		IamInstanceProfile:  &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: g.profile.Arn},
		VpcSecurityGroupIds: pulumi.StringArray{g.front.targetSG.ID()},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"), HttpTokens: pulumi.String("required"), HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				Encrypted: pulumi.String("true"), VolumeType: pulumi.String("gp3"), VolumeSize: pulumi.Int(20), DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String("instance"), Tags: tags(a.Topology, a.Region.Name, s.Name, instanceTags...),
		}},
		// the runtime contract, read at boot (no secret in it)
		UserData:             userData(a),
		UpdateDefaultVersion: pulumi.Bool(true),
		Tags:                 t,
	}, after)
	if err != nil {
		return nil, err
	}
	h := s.Health
	tg := g.front.tgs[g.colour]
	args := &autoscaling.GroupArgs{
		NamePrefix:         pulumi.String(prefix + "-"),
		MinSize:            pulumi.Int(s.Capacity.Min),
		MaxSize:            pulumi.Int(s.Capacity.Max),
		DesiredCapacity:    pulumi.Int(s.Capacity.Desired),
		VpcZoneIdentifiers: a.Network.PrivateSubnetIDs,
		HealthCheckType:    pulumi.String("ELB"), HealthCheckGracePeriod: pulumi.Int(GracePeriod(h)),
		TargetGroupArns: pulumi.StringArray{tg.Arn},
		LaunchTemplate:  &autoscaling.GroupLaunchTemplateArgs{Id: template.ID(), Version: template.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput)},
		// a new image replaces instances, never modifies them: a rolling
		// refresh that keeps 90% healthy, and rolls back to the previous
		// launch template when new instances fail their health checks (a
		// blue-green service changes images by a new group; a change of its
		// launch template's other settings rolls this way too)
		InstanceRefresh: &autoscaling.GroupInstanceRefreshArgs{
			Strategy: pulumi.String("Rolling"),
			Preferences: &autoscaling.GroupInstanceRefreshPreferencesArgs{
				MinHealthyPercentage: pulumi.Int(90), AutoRollback: pulumi.Bool(true),
			},
		},
		CapacityRebalance: pulumi.Bool(true),
		// an instance reads the database's credentials when it starts:
		// replaced within half a rotation period, it never holds a
		// password the alternating-users rotation retires
		MaxInstanceLifetime: maxInstanceLifetime(a),
		// an autoscaling group takes no provider default tags: the bulwark
		// tags are set here, so drills and operators find the group by them
		Tags: groupTags(tags(a.Topology, a.Region.Name, s.Name, groupTagValues...)),
	}
	if a.BlueGreen != nil {
		// a new colour starts as large as the serving one runs now, and its
		// creation waits until that many instances are healthy in its target
		// group: only then may the listener switch to it
		desired := max(s.Capacity.Desired, min(s.Capacity.Max, a.BlueGreen.Serving))
		args.DesiredCapacity, args.MinElbCapacity = pulumi.Int(desired), pulumi.Int(desired)
		args.WaitForCapacityTimeout = pulumi.String(BlueGreenWait.String())
	}
	// autoscaling owns the count once the group runs: an up does not undo a
	// scale-out (and the count a new colour waits for counts only at its
	// creation)
	group, err := autoscaling.NewGroup(ctx, name, args, child, pulumi.IgnoreChanges([]string{"desiredCapacity", "minElbCapacity"}))
	if err != nil {
		return nil, err
	}
	if sc := s.Scaling; sc.TargetCPU > 0 || sc.TargetRequests > 0 {
		metric, label, target := trackedMetric(sc, g.front, tg, "ASGAverageCPUUtilization")
		spec := &autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs{PredefinedMetricType: pulumi.String(metric), ResourceLabel: label}
		if _, err := autoscaling.NewPolicy(ctx, name, &autoscaling.PolicyArgs{
			AutoscalingGroupName: group.Name, PolicyType: pulumi.String("TargetTrackingScaling"),
			EstimatedInstanceWarmup: pulumi.Int(GracePeriod(h)),
			TargetTrackingConfiguration: &autoscaling.PolicyTargetTrackingConfigurationArgs{
				PredefinedMetricSpecification: spec, TargetValue: pulumi.Float64(target),
			},
		}, child); err != nil {
			return nil, err
		}
	}
	return group, nil
}

// CredentialsRestart is how often instances and containers of a service
// with a PostgreSQL database start afresh, and so read the database's
// credentials again: half the rotation period, so that no running one
// ever holds a user the rotation after next changes.
const CredentialsRestart = RotationDays / 2 * 24 * time.Hour

// maxInstanceLifetime is an autoscaling group's, in seconds: set for a
// service whose instances hold rotated credentials, else none.
func maxInstanceLifetime(a ServiceArgs) pulumi.IntPtrInput {
	if a.Database == nil || a.Database.Secret == "" {
		return nil
	}
	return pulumi.Int(int(CredentialsRestart.Seconds()))
}

// BlueGreenWait is how long creating a blue-green service's new group waits
// for its instances to be healthy in its target group before the phase fails.
const BlueGreenWait = 15 * time.Minute

// groupTags turns tags into an autoscaling group's, propagated to its instances.
func groupTags(m pulumi.StringMap) autoscaling.GroupTagArray {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(autoscaling.GroupTagArray, 0, len(keys))
	for _, k := range keys {
		out = append(out, autoscaling.GroupTagArgs{Key: pulumi.String(k), Value: m[k], PropagateAtLaunch: pulumi.Bool(true)})
	}
	return out
}
