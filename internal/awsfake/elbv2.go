package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// Target health states, as Elastic Load Balancing names them.
const (
	TargetInitial   = "initial"
	TargetHealthy   = "healthy"
	TargetUnhealthy = "unhealthy"
	TargetDraining  = "draining"
)

// TargetGroup is a target group of the fake's Elastic Load Balancing (v2).
// Its targets are the instances of the autoscaling group Group (in Region),
// as when the group is attached to it: pending instances are "initial",
// terminating ones "draining", those in service "healthy" unless marked
// otherwise with SetTargetHealth.
type TargetGroup struct {
	Name, Region         string
	LoadBalancerName     string // the application load balancer that forwards to it
	Group                string // the autoscaling group attached
	Port                 int
	Tags                 map[string]string
	ARN, LoadBalancerARN string // set by AddTargetGroup
}

// AddTargetGroup creates a target group (and names its load balancer) and
// returns it with its ARNs.
func (c *Cloud) AddTargetGroup(tg TargetGroup) TargetGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	const account = "123456789012"
	tg.ARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", tg.Region, account, tg.Name, newID("", 16))
	tg.LoadBalancerARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", tg.Region, account, tg.LoadBalancerName, newID("", 16))
	if tg.Tags == nil {
		tg.Tags = map[string]string{}
	}
	ntg := tg
	c.targetGroups = append(c.targetGroups, &ntg)
	return tg
}

// SetTargetHealth marks an instance's health in every target group it is a
// target of (TargetHealthy returns it to what its state implies).
func (c *Cloud) SetTargetHealth(instanceID, state string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.targetHealth == nil {
		c.targetHealth = map[string]string{}
	}
	c.targetHealth[instanceID] = state
}

// xmlTag is a tag in the XML protocols (Route 53, Elastic Load Balancing).
type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlTargetGroup struct {
	TargetGroupArn   string   `xml:"TargetGroupArn"`
	TargetGroupName  string   `xml:"TargetGroupName"`
	Protocol         string   `xml:"Protocol"`
	Port             int      `xml:"Port"`
	TargetType       string   `xml:"TargetType"`
	LoadBalancerArns []string `xml:"LoadBalancerArns>member"`
}

type xmlTargetHealthDescription struct {
	Target struct {
		ID   string `xml:"Id"`
		Port int    `xml:"Port"`
	} `xml:"Target"`
	HealthCheckPort string `xml:"HealthCheckPort"`
	TargetHealth    struct {
		State       string `xml:"State"`
		Reason      string `xml:"Reason,omitempty"`
		Description string `xml:"Description,omitempty"`
	} `xml:"TargetHealth"`
}

// elbv2 serves the Elastic Load Balancing (v2) actions the rollout bake reads.
func (c *Cloud) elbv2(region, action string, q query) (any, *apiError) {
	switch action {
	case "DescribeTargetGroups":
		arns, names := q.list("TargetGroupArns"), q.list("Names")
		var out []xmlTargetGroup
		for _, tg := range c.targetGroups {
			if tg.Region != region || len(arns) > 0 && !slices.Contains(arns, tg.ARN) || len(names) > 0 && !slices.Contains(names, tg.Name) {
				continue
			}
			out = append(out, xmlTargetGroup{TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: "HTTP", Port: tg.Port,
				TargetType: "instance", LoadBalancerArns: []string{tg.LoadBalancerARN}})
		}
		if len(arns)+len(names) > 0 && len(out) < len(arns)+len(names) {
			return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		}
		// pages of PageSize (default 400), continued by Marker: an offset here
		size, _ := strconv.Atoi(q.get("PageSize"))
		if size <= 0 || size > 400 {
			size = 400
		}
		from, _ := strconv.Atoi(q.get("Marker"))
		from = min(from, len(out))
		to := min(from+size, len(out))
		res := struct {
			TargetGroups []xmlTargetGroup `xml:"TargetGroups>member"`
			NextMarker   string           `xml:"NextMarker,omitempty"`
		}{TargetGroups: out[from:to]}
		if to < len(out) {
			res.NextMarker = strconv.Itoa(to)
		}
		return res, nil
	case "DescribeTags":
		arns := q.list("ResourceArns")
		if len(arns) == 0 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
		}
		if len(arns) > 20 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20")
		}
		type description struct {
			ResourceArn string   `xml:"ResourceArn"`
			Tags        []xmlTag `xml:"Tags>member"`
		}
		var out []description
		for _, arn := range arns {
			tg := c.targetGroupByARN(region, arn)
			if tg == nil {
				return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target groups '%s' not found", arn)
			}
			d := description{ResourceArn: arn}
			for _, k := range sortedKeys(tg.Tags) {
				d.Tags = append(d.Tags, xmlTag{Key: k, Value: tg.Tags[k]})
			}
			out = append(out, d)
		}
		return struct {
			TagDescriptions []description `xml:"TagDescriptions>member"`
		}{out}, nil
	case "DescribeTargetHealth":
		if err := q.require("TargetGroupArn"); err != nil {
			return nil, err
		}
		tg := c.targetGroupByARN(region, q.get("TargetGroupArn"))
		if tg == nil {
			return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target groups '%s' not found", q.get("TargetGroupArn"))
		}
		var out []xmlTargetHealthDescription
		if g := c.groups[region][tg.Group]; g != nil {
			g.reconcile(c.ticks()) // a describe advances the group, as elsewhere in the fake
			for _, i := range g.Instances {
				d := xmlTargetHealthDescription{HealthCheckPort: strconv.Itoa(tg.Port)}
				d.Target.ID, d.Target.Port = i.ID, tg.Port
				switch {
				case i.State == InstancePending:
					d.TargetHealth.State, d.TargetHealth.Reason = TargetInitial, "Elb.InitialHealthChecking"
				case i.State == InstanceTerminating:
					d.TargetHealth.State, d.TargetHealth.Reason = TargetDraining, "Target.DeregistrationInProgress"
				case c.targetHealth[i.ID] == TargetUnhealthy:
					d.TargetHealth.State, d.TargetHealth.Reason = TargetUnhealthy, "Target.ResponseCodeMismatch"
					d.TargetHealth.Description = "Health checks failed with these codes: [503]"
				default:
					d.TargetHealth.State = TargetHealthy
				}
				out = append(out, d)
			}
		}
		return struct {
			TargetHealthDescriptions []xmlTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
		}{out}, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

func (c *Cloud) targetGroupByARN(region, arn string) *TargetGroup {
	for _, tg := range c.targetGroups {
		if tg.Region == region && tg.ARN == arn {
			return tg
		}
	}
	return nil
}
