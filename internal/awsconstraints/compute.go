package awsconstraints

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

const (
	typeECSCluster        = "aws:ecs/cluster:Cluster"
	typeECSService        = "aws:ecs/service:Service"
	typeTaskDefinition    = "aws:ecs/taskDefinition:TaskDefinition"
	typeSecurityGroup     = "aws:ec2/securityGroup:SecurityGroup"
	typeLaunchTemplate    = "aws:ec2/launchTemplate:LaunchTemplate"
	typeVpc               = "aws:ec2/vpc:Vpc"
	typeAutoscalingGroup  = "aws:autoscaling/group:Group"
	typeAutoscalingPolicy = "aws:autoscaling/policy:Policy"
	typeScalableTarget    = "aws:appautoscaling/target:Target"
	typeScalingPolicy     = "aws:appautoscaling/policy:Policy"
)

var (
	// ecsNameRE: up to 255 letters, digits, underscores and hyphens.
	ecsNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// launchTemplateNameRE: letters, digits and ( ) . - / _
	launchTemplateNameRE = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]+$`)
	// securityGroupTextRE: what a VPC security group's name and description
	// may hold: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*
	securityGroupTextRE = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`)
	// resourceLabelRE: app/<load balancer name>/<id>/targetgroup/<target group name>/<id>
	resourceLabelRE = regexp.MustCompile(`^(app/[^/]+/[^/]+)/(targetgroup/[^/]+/[^/]+)$`)
)

// fargateMemory are the memory sizes (MiB) Fargate runs with each CPU size
// (units).
func fargateMemory(cpu int) []int {
	steps := func(from, to, step int) []int {
		var out []int
		for m := from; m <= to; m += step {
			out = append(out, m)
		}
		return out
	}
	switch cpu {
	case 256:
		return []int{512, 1024, 2048}
	case 512:
		return steps(1024, 4096, 1024)
	case 1024:
		return steps(2048, 8192, 1024)
	case 2048:
		return steps(4096, 16384, 1024)
	case 4096:
		return steps(8192, 30720, 1024)
	case 8192:
		return steps(16384, 61440, 4096)
	case 16384:
		return steps(32768, 122880, 8192)
	}
	return nil
}

// taskSize reads a task's cpu ("256", "1 vCPU") or memory ("512", "1 GB")
// in units or MiB.
func taskSize(s string, unit float64) (int, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	scale := 1.0
	for _, suffix := range []string{"vcpu", "gb"} {
		if strings.HasSuffix(s, suffix) {
			s, scale = strings.TrimSpace(strings.TrimSuffix(s, suffix)), unit
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return int(f * scale), true
}

// resourceLabel checks a target tracking policy on requests per target:
// its label names a load balancer and one of its target groups, both in
// the policy's Region.
func resourceLabel(ix *index, r subject, spec map[string]any) []string {
	if str(spec, "predefinedMetricType") != "ALBRequestCountPerTarget" {
		return nil
	}
	label := str(spec, "resourceLabel")
	if label == "" {
		if _, unknown := spec["resourceLabel"]; unknown {
			return nil
		}
		return []string{"ALBRequestCountPerTarget without a resource label"}
	}
	m := resourceLabelRE.FindStringSubmatch(label)
	if m == nil {
		return []string{fmt.Sprintf("resource label %q is not app/<load balancer>/<id>/targetgroup/<target group>/<id>", label)}
	}
	var out []string
	for _, part := range m[1:] {
		var found *subject
		for _, t := range []string{typeLoadBalancer, typeTargetGroup} {
			for _, s := range ix.ofType(t) {
				if s.out("arnSuffix") == part {
					found = &s
				}
			}
		}
		switch {
		case found == nil:
			out = append(out, fmt.Sprintf("resource label names %s, which the plan does not declare", part))
		case found.Region != r.Region:
			out = append(out, fmt.Sprintf("resource label names %s of %s; the policy is in %s", part, found.Region, r.Region))
		}
	}
	return out
}

var computeRules = []Rule{{
	ID:      "ecs-names",
	Summary: "an ECS cluster's, service's, task family's and container's name has up to 255 letters, digits, underscores and hyphens",
	Source:  "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
	Types:   []string{typeECSCluster, typeECSService, typeTaskDefinition},
	check: func(_ *index, r subject) []string {
		describe := "only letters, digits, underscores and hyphens"
		if r.Type != typeTaskDefinition {
			return msgs(nameRule("name", r.name("name"), 1, 255, ecsNameRE, describe))
		}
		out := msgs(nameRule("family", str(r.Inputs, "family"), 1, 255, ecsNameRE, describe))
		var defs []struct{ Name string }
		if err := json.Unmarshal([]byte(str(r.Inputs, "containerDefinitions")), &defs); err == nil {
			for _, d := range defs {
				out = append(out, msgs(nameRule("container name", d.Name, 1, 255, ecsNameRE, describe))...)
			}
		}
		return out
	},
}, {
	ID:      "ecs-fargate-size",
	Summary: "a Fargate task's CPU and memory are one of the pairs Fargate offers",
	Source:  "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size",
	Types:   []string{typeTaskDefinition},
	check: func(_ *index, r subject) []string {
		if !contains(strs(r.in("requiresCompatibilities")), "FARGATE") {
			return nil
		}
		cpu, cok := taskSize(str(r.Inputs, "cpu"), 1024)
		mem, mok := taskSize(str(r.Inputs, "memory"), 1024)
		if !cok || !mok {
			return []string{"a Fargate task needs a task-level cpu and memory"}
		}
		if !containsInt(fargateMemory(cpu), mem) {
			return []string{fmt.Sprintf("cpu %d with memory %d MiB is not a Fargate task size", cpu, mem)}
		}
		return nil
	},
}, {
	ID:      "ecs-deployment",
	Summary: "an ECS service's bake time is 0-1440 minutes; its minimum healthy percent is at most its maximum percent",
	Source:  "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html",
	Types:   []string{typeECSService},
	check: func(_ *index, r subject) []string {
		var out []string
		if b := str(r.Inputs, "deploymentConfiguration", "bakeTimeInMinutes"); b != "" {
			f, err := strconv.ParseFloat(b, 64)
			if err != nil {
				out = append(out, fmt.Sprintf("bakeTimeInMinutes %q is not a number", b))
			} else {
				out = append(out, msgs(inRange("deploymentConfiguration.bakeTimeInMinutes", f, 0, 1440))...)
			}
		}
		lo, lok := num(r.in("deploymentMinimumHealthyPercent"))
		hi, hok := num(r.in("deploymentMaximumPercent"))
		if lok && hok && lo > hi {
			out = append(out, fmt.Sprintf("deploymentMinimumHealthyPercent %s above deploymentMaximumPercent %s", fmtNum(lo), fmtNum(hi)))
		}
		return out
	},
}, {
	ID:      "ec2-security-group",
	Summary: "a VPC security group's name and description have at most 255 of a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$*; the name does not begin with sg-",
	Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
	Types:   []string{typeSecurityGroup},
	check: func(_ *index, r subject) []string {
		describe := "only a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
		name := r.name("name")
		out := msgs(
			nameRule("security group name", name, 1, 255, securityGroupTextRE, describe),
			nameRule("security group description", str(r.Inputs, "description"), 0, 255, securityGroupTextRE, describe),
		)
		if strings.HasPrefix(strings.ToLower(name), "sg-") {
			out = append(out, fmt.Sprintf("security group name %q begins with sg-", name))
		}
		return out
	},
}, {
	ID:      "ec2-launch-template",
	Summary: "a launch template's name has 3-128 letters, digits or ( ) . - / _; its metadata hop limit is 1-64; a gp3 volume has 1-16384 GiB",
	Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html",
	Types:   []string{typeLaunchTemplate},
	check: func(_ *index, r subject) []string {
		out := msgs(
			nameRule("launch template name", r.name("name"), 3, 128, launchTemplateNameRE, "only letters, digits and ( ) . - / _"),
			inRange("metadataOptions.httpPutResponseHopLimit", r.in("metadataOptions", "httpPutResponseHopLimit"), 1, 64),
		)
		for i, b := range list(r.in("blockDeviceMappings")) {
			ebs := obj(obj(b)["ebs"])
			if str(ebs, "volumeType") == "gp3" {
				out = append(out, msgs(inRange(fmt.Sprintf("blockDeviceMappings.%d.ebs.volumeSize", i), ebs["volumeSize"], 1, 16384))...)
			}
		}
		return out
	},
}, {
	ID:      "ec2-subnet-zone",
	Summary: "a subnet's Availability Zone is one the account has in the subnet's Region (zone letters differ between Regions and accounts)",
	Source:  "https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html",
	Types:   []string{typeSubnet},
	check: func(_ *index, r subject) []string {
		zone := str(r.Inputs, "availabilityZone")
		if zone == "" || r.Region == "" {
			return nil
		}
		zones, err := plan.AvailabilityZones(r.Region)
		if err != nil {
			return []string{err.Error()}
		}
		var names []string
		for _, z := range zones {
			if z.Name == zone {
				return nil
			}
			names = append(names, z.Name)
		}
		return []string{fmt.Sprintf("Availability Zone %s is not one of %s's: %s", zone, r.Region, strings.Join(names, ", "))}
	},
}, {
	ID:      "ec2-cidr",
	Summary: "a VPC's and a subnet's IPv4 block is /16 to /28; a subnet's lies within its VPC's and overlaps no other subnet's",
	Source:  "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
	Types:   []string{typeVpc, typeSubnet},
	check: func(ix *index, r subject) []string {
		cidr := str(r.Inputs, "cidrBlock")
		if cidr == "" {
			return nil
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return []string{fmt.Sprintf("cidrBlock %q: %v", cidr, err)}
		}
		out := msgs(inRange("cidrBlock prefix length", float64(p.Bits()), 16, 28))
		if r.Type != typeSubnet {
			return out
		}
		if vpc, ok := ix.lookup(str(r.Inputs, "vpcId")); ok {
			if vp, err := netip.ParsePrefix(str(vpc.Inputs, "cidrBlock")); err == nil && (!vp.Contains(p.Addr()) || p.Bits() < vp.Bits()) {
				out = append(out, fmt.Sprintf("subnet %s is not within its VPC's %s", cidr, vp))
			}
		}
		for _, o := range ix.ofType(typeSubnet) {
			if o.URN == r.URN || o.Stack != r.Stack || str(o.Inputs, "vpcId") != str(r.Inputs, "vpcId") {
				continue
			}
			if op, err := netip.ParsePrefix(str(o.Inputs, "cidrBlock")); err == nil && op.Overlaps(p) {
				out = append(out, fmt.Sprintf("subnet %s overlaps %s (%s)", cidr, op, o.Name))
			}
		}
		return out
	},
}, {
	ID:      "autoscaling-group",
	Summary: "an Auto Scaling group's name has 1-255 characters; min size <= desired capacity <= max size; instance refresh keeps 0-100% healthy",
	Source:  "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html",
	Types:   []string{typeAutoscalingGroup},
	check: func(_ *index, r subject) []string {
		out := msgs(
			nameRule("group name", r.name("name"), 1, 255, nil, ""),
			inRange("instanceRefresh.preferences.minHealthyPercentage", r.in("instanceRefresh", "preferences", "minHealthyPercentage"), 0, 100),
		)
		lo, lok := num(r.in("minSize"))
		hi, hok := num(r.in("maxSize"))
		d, dok := num(r.in("desiredCapacity"))
		if lok && hok && lo > hi {
			out = append(out, fmt.Sprintf("minSize %s above maxSize %s", fmtNum(lo), fmtNum(hi)))
		}
		if dok && ((lok && d < lo) || (hok && d > hi)) {
			out = append(out, fmt.Sprintf("desiredCapacity %s outside minSize-maxSize", fmtNum(d)))
		}
		return out
	},
}, {
	ID:      "autoscaling-resource-label",
	Summary: "a target tracking policy on ALBRequestCountPerTarget names, in its resource label, a load balancer and a target group of its Region",
	Source:  "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredefinedMetricSpecification.html",
	Types:   []string{typeAutoscalingPolicy, typeScalingPolicy},
	check: func(ix *index, r subject) []string {
		spec := obj(r.in("targetTrackingConfiguration", "predefinedMetricSpecification"))
		if r.Type == typeScalingPolicy {
			spec = obj(r.in("targetTrackingScalingPolicyConfiguration", "predefinedMetricSpecification"))
		}
		return resourceLabel(ix, r, spec)
	},
}, {
	ID:      "appautoscaling-target",
	Summary: "a scalable target's minimum capacity is at most its maximum",
	Source:  "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html",
	Types:   []string{typeScalableTarget},
	check: func(_ *index, r subject) []string {
		lo, lok := num(r.in("minCapacity"))
		hi, hok := num(r.in("maxCapacity"))
		if lok && hok && lo > hi {
			return []string{fmt.Sprintf("minCapacity %s above maxCapacity %s", fmtNum(lo), fmtNum(hi))}
		}
		return nil
	},
}}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
