package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Instance lifecycle states, as Auto Scaling names them.
const (
	InstancePending     = "Pending"
	InstanceInService   = "InService"
	InstanceTerminating = "Terminating"
)

// processes are the Auto Scaling processes a caller may suspend; any other
// name is refused
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html).
var processes = []string{"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"}

// Group is an autoscaling group of the fake. Subnets map each of the
// group's subnets to its zone (VPCZoneIdentifier, in order).
type Group struct {
	Name, Region      string
	Min, Max, Desired int
	Subnets           []Subnet
	Tags              map[string]string
	Suspended         []string
	Instances         []GroupInstance
	created           time.Time
	vpcSubnets        []Subnet // every subnet the group was created with: the VPC's, as far as the fake knows
	arn               string
}

// Subnet is a subnet and the zone it lies in.
type Subnet struct{ ID, Zone string }

// GroupInstance is one instance of a group. Its State follows from time:
// Pending for Timings.InstanceLaunch after its launch, then InService;
// Terminating from its termination until it is gone.
type GroupInstance struct {
	ID, Zone, Subnet, State string
	Launched, Terminated    time.Time // Terminated is zero while it is not terminating
}

// AddGroup creates a group with Desired instances in service (launched
// long enough ago), spread over its subnets.
func (c *Cloud) AddGroup(g Group) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[g.Region] == nil {
		c.groups[g.Region] = map[string]*Group{}
	}
	now := c.now()
	g.created = now
	if g.Tags == nil {
		g.Tags = map[string]string{}
	}
	ng := &g
	ng.Instances = nil
	ng.vpcSubnets = slices.Clone(g.Subnets)
	ng.arn = fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", g.Region, Account, newUUID(), g.Name)
	for range g.Desired {
		ng.launch(now.Add(-c.timings().InstanceLaunch))
	}
	ng.reconcile(now, c.timings())
	c.groups[g.Region][g.Name] = ng
}

// Group returns a copy of a group as it is now.
func (c *Cloud) Group(region, name string) (Group, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[region][name]
	if !ok {
		return Group{}, false
	}
	g.reconcile(c.now(), c.timings())
	out := *g
	out.Instances = slices.Clone(g.Instances)
	out.Suspended = slices.Clone(g.Suspended)
	return out, true
}

// InService counts a group's instances in service.
func (g Group) InService() int {
	n := 0
	for _, i := range g.Instances {
		if i.State == InstanceInService {
			n++
		}
	}
	return n
}

func (g *Group) suspended(p string) bool { return slices.Contains(g.Suspended, p) }

// launch starts an instance, at the given time, in the subnet whose zone
// has the fewest of the group's instances.
func (g *Group) launch(at time.Time) {
	if len(g.Subnets) == 0 {
		return
	}
	count := map[string]int{}
	for _, i := range g.Instances {
		if i.Terminated.IsZero() {
			count[i.Subnet]++
		}
	}
	best := g.Subnets[0]
	for _, s := range g.Subnets[1:] {
		if count[s.ID] < count[best.ID] {
			best = s
		}
	}
	g.Instances = append(g.Instances, GroupInstance{ID: newID("i-", 17), Zone: best.Zone, Subnet: best.ID, State: InstancePending, Launched: at})
}

// reconcile brings the group to the time now: its instances' states follow
// from their launch and termination times (an instance is Pending for
// InstanceLaunch, then InService; a terminating one is gone after the same
// time: the fake has no timing of its own for termination), and capacity
// moves toward the desired count unless the process that would do it is
// suspended. It runs whenever the group is read or changed, so a launch
// happens at the moment the change that called for it was made.
func (g *Group) reconcile(now time.Time, t Timings) {
	kept := g.Instances[:0]
	for _, i := range g.Instances {
		switch {
		case !i.Terminated.IsZero() && !now.Before(i.Terminated.Add(t.InstanceLaunch)):
			continue // gone
		case !i.Terminated.IsZero():
			i.State = InstanceTerminating
		case now.Before(i.Launched.Add(t.InstanceLaunch)):
			i.State = InstancePending
		default:
			i.State = InstanceInService
		}
		kept = append(kept, i)
	}
	g.Instances = kept
	subnets := map[string]bool{}
	for _, s := range g.Subnets {
		subnets[s.ID] = true
	}
	live := 0
	for k, i := range g.Instances {
		if !i.Terminated.IsZero() {
			continue
		}
		if !subnets[i.Subnet] && !g.suspended("AZRebalance") && !g.suspended("Terminate") {
			g.Instances[k].State, g.Instances[k].Terminated = InstanceTerminating, now // its subnet left the group
			continue
		}
		live++
	}
	for ; live < g.Desired && !g.suspended("Launch"); live++ {
		g.launch(now)
	}
	for k := len(g.Instances) - 1; k >= 0 && live > g.Desired && !g.suspended("Terminate"); k-- {
		if g.Instances[k].Terminated.IsZero() {
			g.Instances[k].State, g.Instances[k].Terminated = InstanceTerminating, now
			live--
		}
	}
}

type asgTag struct {
	ResourceID        string `xml:"ResourceId"`
	ResourceType      string `xml:"ResourceType"`
	Key               string `xml:"Key"`
	Value             string `xml:"Value"`
	PropagateAtLaunch bool   `xml:"PropagateAtLaunch"`
}

type asgInstance struct {
	InstanceID           string `xml:"InstanceId"`
	AvailabilityZone     string `xml:"AvailabilityZone"`
	LifecycleState       string `xml:"LifecycleState"`
	HealthStatus         string `xml:"HealthStatus"`
	ProtectedFromScaleIn bool   `xml:"ProtectedFromScaleIn"`
}

type asgProcess struct {
	ProcessName      string `xml:"ProcessName"`
	SuspensionReason string `xml:"SuspensionReason"`
}

type asgGroup struct {
	Name              string        `xml:"AutoScalingGroupName"`
	ARN               string        `xml:"AutoScalingGroupARN"`
	MinSize           int           `xml:"MinSize"`
	MaxSize           int           `xml:"MaxSize"`
	DesiredCapacity   int           `xml:"DesiredCapacity"`
	DefaultCooldown   int           `xml:"DefaultCooldown"`
	AvailabilityZones []string      `xml:"AvailabilityZones>member"`
	HealthCheckType   string        `xml:"HealthCheckType"`
	CreatedTime       string        `xml:"CreatedTime"`
	VPCZoneIdentifier string        `xml:"VPCZoneIdentifier"`
	Instances         []asgInstance `xml:"Instances>member"`
	Suspended         []asgProcess  `xml:"SuspendedProcesses>member"`
	Tags              []asgTag      `xml:"Tags>member"`
}

type describeGroupsResult struct {
	Groups    []asgGroup `xml:"AutoScalingGroups>member"`
	NextToken string     `xml:"NextToken,omitempty"`
}

type activity struct {
	ActivityID           string `xml:"ActivityId"`
	AutoScalingGroupName string `xml:"AutoScalingGroupName"`
	Cause                string `xml:"Cause"`
	Description          string `xml:"Description"`
	StartTime            string `xml:"StartTime"`
	StatusCode           string `xml:"StatusCode"`
	Progress             int    `xml:"Progress"`
}

type terminateResult struct {
	Activity activity `xml:"Activity"`
}

// autoScaling serves the Auto Scaling actions the runbooks call. Every
// action brings the groups it touches to the fake's time first, and after
// a change, so that what the change calls for (a launch, a termination)
// starts at once, as Auto Scaling's control loop does.
func (c *Cloud) autoScaling(region, action string, q query) (any, *apiError) {
	now, t := c.now(), c.timings()
	for _, g := range c.groups[region] {
		g.reconcile(now, t)
	}
	defer func() {
		for _, g := range c.groups[region] {
			g.reconcile(now, t)
		}
	}()
	switch action {
	case "DescribeAutoScalingGroups":
		return c.describeGroups(region, q)
	case "SuspendProcesses", "ResumeProcesses":
		g, err := c.findGroup(region, q)
		if err != nil {
			return nil, err
		}
		chosen := q.list("ScalingProcesses")
		if len(chosen) == 0 {
			chosen = processes
		}
		for _, p := range chosen {
			if !slices.Contains(processes, p) {
				return nil, errorf(http.StatusBadRequest, "ValidationError", "Process %s is not a valid process.", p)
			}
		}
		if action == "SuspendProcesses" {
			for _, p := range chosen {
				if !g.suspended(p) {
					g.Suspended = append(g.Suspended, p)
				}
			}
		} else {
			g.Suspended = slices.DeleteFunc(g.Suspended, func(p string) bool { return slices.Contains(chosen, p) })
		}
		return nil, nil
	case "SetDesiredCapacity":
		if err := q.require("AutoScalingGroupName", "DesiredCapacity"); err != nil {
			return nil, err
		}
		g, err := c.findGroup(region, q)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(q.get("DesiredCapacity"))
		if n > g.Max {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", n, g.Max)
		}
		if n < g.Min {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", n, g.Min)
		}
		g.Desired = n
		return nil, nil
	case "UpdateAutoScalingGroup":
		g, err := c.findGroup(region, q)
		if err != nil {
			return nil, err
		}
		minSize, maxSize, desired := g.Min, g.Max, g.Desired
		for k, v := range map[string]*int{"MinSize": &minSize, "MaxSize": &maxSize, "DesiredCapacity": &desired} {
			if q.has(k) {
				*v, _ = strconv.Atoi(q.get(k))
			}
		}
		if !q.has("DesiredCapacity") {
			desired = min(max(desired, minSize), maxSize)
		}
		if minSize > maxSize || desired < minSize || desired > maxSize {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, minSize, maxSize)
		}
		if q.has("VPCZoneIdentifier") {
			var subnets []Subnet
			for _, id := range strings.Split(q.get("VPCZoneIdentifier"), ",") {
				id = strings.TrimSpace(id)
				known := slices.IndexFunc(g.vpcSubnets, func(s Subnet) bool { return s.ID == id })
				if known < 0 {
					return nil, errorf(http.StatusBadRequest, "ValidationError", "The subnet ID '%s' does not exist", id)
				}
				subnets = append(subnets, g.vpcSubnets[known])
			}
			g.Subnets = subnets
		}
		g.Min, g.Max, g.Desired = minSize, maxSize, desired
		return nil, nil
	case "TerminateInstanceInAutoScalingGroup":
		if err := q.require("InstanceId", "ShouldDecrementDesiredCapacity"); err != nil {
			return nil, err
		}
		id := q.get("InstanceId")
		for _, g := range c.groups[region] {
			for k, i := range g.Instances {
				if i.ID != id || !i.Terminated.IsZero() {
					continue
				}
				if q.get("ShouldDecrementDesiredCapacity") == "true" {
					if g.Desired-1 < g.Min {
						return nil, errorf(http.StatusBadRequest, "ValidationError", "Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.Min)
					}
					g.Desired--
				}
				g.Instances[k].State, g.Instances[k].Terminated = InstanceTerminating, now
				return terminateResult{Activity: activity{
					ActivityID: newUUID(), AutoScalingGroupName: g.Name, StartTime: queryTime(now), StatusCode: "InProgress",
					Description: "Terminating EC2 instance: " + id,
					Cause:       fmt.Sprintf("At %s instance %s was taken out of service in response to a user request.", queryTime(now), id),
				}}, nil
			}
		}
		return nil, errorf(http.StatusBadRequest, "ValidationError", "Instance Id not found - No managed instance found for instance ID: %s", id)
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

func (c *Cloud) findGroup(region string, q query) (*Group, *apiError) {
	if err := q.require("AutoScalingGroupName"); err != nil {
		return nil, err
	}
	name := q.get("AutoScalingGroupName")
	g, ok := c.groups[region][name]
	if !ok {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)
	}
	return g, nil
}

// asgFilters are the filter names DescribeAutoScalingGroups takes
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Filter.html).
var asgFilters = []string{"auto-scaling-group", "tag-key", "tag-value"}

// describeGroups serves DescribeAutoScalingGroups in pages: MaxRecords
// defaults to 50 and may be at most 100, NextToken continues, and at most
// 50 names may be given unless MaxRecords allows more
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html).
func (c *Cloud) describeGroups(region string, q query) (any, *apiError) {
	names := q.list("AutoScalingGroupNames")
	filters := map[string][]string{}
	var keys []string
	for i := 1; q.has(fmt.Sprintf("Filters.member.%d.Name", i)); i++ {
		name := q.get(fmt.Sprintf("Filters.member.%d.Name", i))
		if !strings.HasPrefix(name, "tag:") && !slices.Contains(asgFilters, name) {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "Filter name '%s' is invalid.", name)
		}
		filters[name] = q.list(fmt.Sprintf("Filters.member.%d.Values", i))
		keys = append(keys, name+"="+strings.Join(filters[name], ","))
	}
	maxRecords := 0
	if q.has("MaxRecords") {
		n, err := strconv.Atoi(q.get("MaxRecords"))
		if err != nil || n < 1 || n > 100 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '%s' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", q.get("MaxRecords"))
		}
		maxRecords = n
	}
	if len(names) > max(maxRecords, 50) {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "The number of AutoScalingGroupNames (%d) exceeds the limit of %d; raise it with MaxRecords.", len(names), max(maxRecords, 50))
	}
	var all []*Group
	for _, name := range sortedKeys(c.groups[region]) {
		g := c.groups[region][name]
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		if !g.matches(filters) {
			continue
		}
		all = append(all, g)
	}
	slices.Sort(keys)
	fp := fingerprint(region, strings.Join(names, ","), strings.Join(keys, ";"))
	from, ok := pageFrom(q.get("NextToken"), fp, len(all))
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidNextToken", "The token '%s' is invalid.", q.get("NextToken"))
	}
	to, next := cut(len(all), from, c.pageSize(maxRecords, 50), fp)
	out := describeGroupsResult{NextToken: next}
	for _, g := range all[from:to] {
		out.Groups = append(out.Groups, g.document())
	}
	return out, nil
}

// matches applies Auto Scaling's filters: tag:<key>, tag-key, tag-value.
func (g *Group) matches(filters map[string][]string) bool {
	for name, values := range filters {
		ok := false
		switch {
		case name == "auto-scaling-group":
			ok = slices.Contains(values, g.Name)
		case strings.HasPrefix(name, "tag:"):
			v, has := g.Tags[strings.TrimPrefix(name, "tag:")]
			ok = has && slices.Contains(values, v)
		case name == "tag-key":
			for _, v := range values {
				_, has := g.Tags[v]
				ok = ok || has
			}
		case name == "tag-value":
			for _, v := range g.Tags {
				ok = ok || slices.Contains(values, v)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (g *Group) document() asgGroup {
	d := asgGroup{
		Name: g.Name, MinSize: g.Min, MaxSize: g.Max, DesiredCapacity: g.Desired, DefaultCooldown: 300, HealthCheckType: "ELB",
		ARN: g.arn, CreatedTime: queryTime(g.created),
	}
	var ids []string
	for _, s := range g.Subnets {
		ids = append(ids, s.ID)
		if !slices.Contains(d.AvailabilityZones, s.Zone) {
			d.AvailabilityZones = append(d.AvailabilityZones, s.Zone)
		}
	}
	d.VPCZoneIdentifier = strings.Join(ids, ",")
	for _, i := range g.Instances {
		d.Instances = append(d.Instances, asgInstance{InstanceID: i.ID, AvailabilityZone: i.Zone, LifecycleState: i.State, HealthStatus: "Healthy"})
	}
	for _, p := range g.Suspended {
		d.Suspended = append(d.Suspended, asgProcess{ProcessName: p, SuspensionReason: "User suspended"})
	}
	for _, k := range sortedKeys(g.Tags) {
		d.Tags = append(d.Tags, asgTag{ResourceID: g.Name, ResourceType: "auto-scaling-group", Key: k, Value: g.Tags[k], PropagateAtLaunch: true})
	}
	return d
}
