package awsconstraints

import (
	"fmt"
	"regexp"
	"strings"
)

const (
	typeLoadBalancer = "aws:lb/loadBalancer:LoadBalancer"
	typeTargetGroup  = "aws:lb/targetGroup:TargetGroup"
	typeListener     = "aws:lb/listener:Listener"
	typeListenerRule = "aws:lb/listenerRule:ListenerRule"
	typeSubnet       = "aws:ec2/subnet:Subnet"
)

// elbNameRE: alphanumerics and hyphens, not beginning or ending with a
// hyphen.
var elbNameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)

var elbRules = []Rule{{
	ID:      "elb-load-balancer-name",
	Summary: "a load balancer's name has at most 32 alphanumerics or hyphens, does not begin or end with a hyphen, and does not begin with internal-",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
	Types:   []string{typeLoadBalancer},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		if strings.HasPrefix(name, "internal-") {
			return []string{fmt.Sprintf("load balancer name %q begins with internal-", name)}
		}
		return msgs(nameRule("load balancer name", name, 1, 32, elbNameRE, "only alphanumerics and hyphens, not beginning or ending with a hyphen"))
	},
}, {
	ID:      "elb-alb-two-zones",
	Summary: "an Application Load Balancer's subnets are in at least two Availability Zones",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
	Types:   []string{typeLoadBalancer},
	check: func(ix *index, r subject) []string {
		if t, _ := r.in("loadBalancerType").(string); t != "" && t != "application" {
			return nil
		}
		ids := strs(r.in("subnets"))
		for _, m := range list(r.in("subnetMappings")) {
			if id := str(obj(m), "subnetId"); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil // unknown subnets: cannot say
		}
		zones := map[string]bool{}
		for _, id := range ids {
			s, ok := ix.lookup(id)
			if !ok {
				return nil // a subnet the plan does not hold: cannot say
			}
			zones[str(s.Inputs, "availabilityZone")+str(s.Inputs, "availabilityZoneId")] = true
		}
		if len(zones) < 2 {
			return []string{fmt.Sprintf("its %d subnet(s) span %d Availability Zone(s); an Application Load Balancer needs at least two", len(ids), len(zones))}
		}
		return nil
	},
}, {
	ID:      "elb-target-group-name",
	Summary: "a target group's name has at most 32 alphanumerics or hyphens and does not begin or end with a hyphen",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
	Types:   []string{typeTargetGroup},
	check: func(_ *index, r subject) []string {
		return msgs(nameRule("target group name", r.name("name"), 1, 32, elbNameRE, "only alphanumerics and hyphens, not beginning or ending with a hyphen"))
	},
}, {
	ID:      "elb-health-check",
	Summary: "a target group's health check: interval 5-300 s, timeout 2-120 s and shorter than the interval, healthy and unhealthy thresholds 2-10, port 1-65535",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
	Types:   []string{typeTargetGroup},
	check: func(_ *index, r subject) []string {
		h := obj(r.in("healthCheck"))
		out := msgs(
			inRange("healthCheck.interval", h["interval"], 5, 300),
			inRange("healthCheck.timeout", h["timeout"], 2, 120),
			inRange("healthCheck.healthyThreshold", h["healthyThreshold"], 2, 10),
			inRange("healthCheck.unhealthyThreshold", h["unhealthyThreshold"], 2, 10),
			inRange("port", r.in("port"), 1, 65535),
		)
		interval, iok := num(h["interval"])
		timeout, tok := num(h["timeout"])
		if iok && tok && timeout >= interval {
			out = append(out, fmt.Sprintf("healthCheck.timeout %s s is not shorter than its interval %s s (ELB: the health check interval must be greater than the timeout)", fmtNum(timeout), fmtNum(interval)))
		}
		if p := str(h, "path"); p != "" && (!strings.HasPrefix(p, "/") || len(p) > 1024) {
			out = append(out, fmt.Sprintf("healthCheck.path %q must begin with / and have at most 1024 characters", p))
		}
		return out
	},
}, {
	ID:      "elb-deregistration-delay",
	Summary: "a target group's deregistration delay is 0-3600 seconds",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay",
	Types:   []string{typeTargetGroup},
	check: func(_ *index, r subject) []string {
		v := r.in("deregistrationDelay")
		if s, ok := v.(string); ok {
			var f float64
			if _, err := fmt.Sscan(s, &f); err == nil {
				v = f
			}
		}
		return msgs(inRange("deregistrationDelay", v, 0, 3600))
	},
}, {
	ID:      "elb-listener-https",
	Summary: "an HTTPS listener has exactly one server certificate and a security policy; an HTTP one has neither; the port is 1-65535",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html",
	Types:   []string{typeListener},
	check: func(_ *index, r subject) []string {
		proto, _ := r.in("protocol").(string)
		cert, _ := r.in("certificateArn").(string)
		policy, _ := r.in("sslPolicy").(string)
		out := msgs(inRange("port", r.in("port"), 1, 65535))
		switch proto {
		case "HTTPS", "TLS":
			if cert == "" {
				out = append(out, proto+" listener without a certificate")
			}
			if policy == "" {
				out = append(out, proto+" listener without an SSL policy")
			}
		case "HTTP", "TCP", "UDP", "TCP_UDP":
			if cert != "" {
				out = append(out, proto+" listener with a certificate")
			}
		}
		return out
	},
}, {
	ID:      "elb-listener-certificate-region",
	Summary: "a listener's ACM certificate is in the load balancer's Region (ACM certificates are regional)",
	Source:  "https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html",
	Types:   []string{typeListener},
	check: func(_ *index, r subject) []string {
		cert, _ := r.in("certificateArn").(string)
		if cert == "" {
			return nil
		}
		if !strings.HasPrefix(cert, "arn:aws:acm:") && !strings.HasPrefix(cert, "arn:aws:iam::") {
			return []string{fmt.Sprintf("certificateArn %q is not an ACM (or IAM) certificate ARN", cert)}
		}
		if region := arnRegion(cert); strings.HasPrefix(cert, "arn:aws:acm:") && region != r.Region {
			return []string{fmt.Sprintf("certificate %s is in %s, the load balancer in %s", cert, region, r.Region)}
		}
		return nil
	},
}, {
	ID:      "elb-forward-weights",
	Summary: "a weighted forward action names at most 5 target groups, each weighted 0-999",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ForwardActionConfig.html",
	Types:   []string{typeListener, typeListenerRule},
	check: func(_ *index, r subject) []string {
		var out []string
		for _, key := range []string{"defaultActions", "actions"} {
			for i, a := range list(r.in(key)) {
				groups := list(get(obj(a), "forward", "targetGroups"))
				if len(groups) > 5 {
					out = append(out, fmt.Sprintf("%s.%d forwards to %d target groups; at most 5", key, i, len(groups)))
				}
				for j, g := range groups {
					out = append(out, msgs(inRange(fmt.Sprintf("%s.%d.forward.targetGroups.%d.weight", key, i, j), obj(g)["weight"], 0, 999))...)
				}
			}
		}
		return out
	},
}, {
	ID:      "elb-rule-priority",
	Summary: "a listener rule's priority is 1-50000",
	Source:  "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html",
	Types:   []string{typeListenerRule},
	check: func(_ *index, r subject) []string {
		return msgs(inRange("priority", r.in("priority"), 1, 50000))
	},
}}
