package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	tg.ARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", tg.Region, Account, tg.Name, newID("", 16))
	tg.LoadBalancerARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", tg.Region, Account, tg.LoadBalancerName, newID("", 16))
	if tg.Tags == nil {
		tg.Tags = map[string]string{}
	}
	ntg := tg
	c.targetGroups[tg.Region] = append(c.targetGroups[tg.Region], &ntg)
	return tg
}

// SetTargetHealth marks the health of a region's instance in every target
// group it is a target of (TargetHealthy returns it to what its state
// implies).
func (c *Cloud) SetTargetHealth(region, instanceID, state string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.targetHealth[region] == nil {
		c.targetHealth[region] = map[string]string{}
	}
	c.targetHealth[region][instanceID] = state
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
		// pages of PageSize (1 to 400; 400 when absent), continued by Marker
		// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html)
		arns, names, lb := q.list("TargetGroupArns"), q.list("Names"), q.get("LoadBalancerArn")
		if len(arns) > 0 && len(names) > 0 || lb != "" && len(arns)+len(names) > 0 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "Only one of LoadBalancerArn, TargetGroupArns and Names can be specified.")
		}
		size := 0
		if q.has("PageSize") {
			n, err := strconv.Atoi(q.get("PageSize"))
			if err != nil || n < 1 || n > 400 {
				return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", q.get("PageSize"))
			}
			size = n
		}
		var out []xmlTargetGroup
		for _, tg := range c.targetGroups[region] {
			if len(arns) > 0 && !slices.Contains(arns, tg.ARN) || len(names) > 0 && !slices.Contains(names, tg.Name) || lb != "" && tg.LoadBalancerARN != lb {
				continue
			}
			out = append(out, xmlTargetGroup{TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: "HTTP", Port: tg.Port,
				TargetType: "instance", LoadBalancerArns: []string{tg.LoadBalancerARN}})
		}
		if len(arns)+len(names) > 0 && len(out) < len(arns)+len(names) {
			return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		}
		fp := fingerprint(region, strings.Join(arns, ","), strings.Join(names, ","), lb)
		from, ok := pageFrom(q.get("Marker"), fp, len(out))
		if !ok {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "The marker '%s' is not valid.", q.get("Marker"))
		}
		to, next := cut(len(out), from, c.pageSize(size, 400), fp)
		return struct {
			TargetGroups []xmlTargetGroup `xml:"TargetGroups>member"`
			NextMarker   string           `xml:"NextMarker,omitempty"`
		}{TargetGroups: out[from:to], NextMarker: next}, nil
	case "DescribeTags":
		// up to 20 resources a call, not paged
		// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html)
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
			g.reconcile(c.now(), c.timings())
			for _, i := range g.Instances {
				d := xmlTargetHealthDescription{HealthCheckPort: strconv.Itoa(tg.Port)}
				d.Target.ID, d.Target.Port = i.ID, tg.Port
				switch {
				case i.State == InstancePending:
					d.TargetHealth.State, d.TargetHealth.Reason = TargetInitial, "Elb.InitialHealthChecking"
				case i.State == InstanceTerminating:
					d.TargetHealth.State, d.TargetHealth.Reason = TargetDraining, "Target.DeregistrationInProgress"
				case c.targetHealth[region][i.ID] == TargetUnhealthy:
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
	for _, tg := range c.targetGroups[region] {
		if tg.ARN == arn {
			return tg
		}
	}
	return nil
}
