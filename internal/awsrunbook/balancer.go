package awsrunbook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// ELB is the part of the Elastic Load Balancing (v2) API the steps call.
type ELB interface {
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// CloudWatch is the part of the CloudWatch API the steps call.
type CloudWatch interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// ReadP99 reads the p99 of a load balancer's target response time, in
// seconds, over [from, to) (ok false without requests in it): one period
// that spans the whole window, from its start rounded down to the minute
// (as CloudWatch rounds it), so that no part of the window is left out and
// no second, partial period is read instead of it.
func ReadP99(ctx context.Context, c CloudWatch, tg TargetGroup, from, to time.Time) (float64, bool, error) {
	lbDim, _ := tg.Dimensions()
	start := from.Truncate(time.Minute)
	minutes := (to.Sub(start) + time.Minute - 1) / time.Minute // rounded up: the period must be a multiple of 60 s
	period := int32(max(minutes, 1) * 60)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(to), ScanBy: cwtypes.ScanByTimestampDescending,
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("p99"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("TargetResponseTime"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lbDim)}}},
			Period: aws.Int32(period), Stat: aws.String("p99"),
		}}},
	}
	var values []float64
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return 0, false, fmt.Errorf("p99 of %s: %w after %d pages", lbDim, ErrTooManyPages, page)
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, false, fmt.Errorf("p99 of %s: %w", lbDim, err)
		}
		for _, r := range out.MetricDataResults {
			if aws.ToString(r.Id) == "p99" {
				values = append(values, r.Values...)
			}
		}
	}
	if len(values) == 0 {
		return 0, false, nil
	}
	return values[0], true, nil // the one period, newest first
}

// Alarm is a CloudWatch alarm in ALARM.
type Alarm struct {
	Region, Name, Description string
	Since                     time.Time
}

// EnvironmentAlarms lists an environment's alarms in ALARM (named
// bulwark-<env>-...) in each of its regions and in us-east-1, where Route
// 53's health check alarms live.
func (c *Clients) EnvironmentAlarms(ctx context.Context, env string, regions []string) ([]Alarm, error) {
	where := slices.Clone(regions)
	if !slices.Contains(where, "us-east-1") {
		where = append(where, "us-east-1")
	}
	var out []Alarm
	for _, r := range where {
		alarms, err := c.FiringAlarms(ctx, r, "bulwark-"+env+"-")
		if err != nil {
			return nil, err
		}
		out = append(out, alarms...)
	}
	return out, nil
}

// FiringAlarms lists the metric and composite alarms in ALARM in a region
// whose names start with prefix.
func (c *Clients) FiringAlarms(ctx context.Context, region, prefix string) ([]Alarm, error) {
	in := &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(prefix), StateValue: cwtypes.StateValueAlarm,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}}
	var out []Alarm
	p := cloudwatch.NewDescribeAlarmsPaginator(c.CloudWatch(region), in)
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return nil, fmt.Errorf("describe alarms in %s: %w after %d pages", region, ErrTooManyPages, page)
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe alarms in %s: %w", region, err)
		}
		for _, a := range res.MetricAlarms {
			out = append(out, Alarm{Region: region, Name: aws.ToString(a.AlarmName), Description: aws.ToString(a.AlarmDescription), Since: aws.ToTime(a.StateUpdatedTimestamp)})
		}
		for _, a := range res.CompositeAlarms {
			out = append(out, Alarm{Region: region, Name: aws.ToString(a.AlarmName), Description: aws.ToString(a.AlarmDescription), Since: aws.ToTime(a.StateUpdatedTimestamp)})
		}
	}
	return out, nil
}

// TargetGroup is a service's target group and the load balancer in front of it.
type TargetGroup struct {
	ARN, LoadBalancerARN, Service string
}

// Dimensions are the target group's and its load balancer's names in
// CloudWatch's AWS/ApplicationELB metrics: the ARNs' trailing parts
// ("targetgroup/name/id", "app/name/id").
func (t TargetGroup) Dimensions() (loadBalancer, targetGroup string) {
	if i := strings.Index(t.LoadBalancerARN, ":loadbalancer/"); i >= 0 {
		loadBalancer = t.LoadBalancerARN[i+len(":loadbalancer/"):]
	}
	if i := strings.LastIndex(t.ARN, ":"); i >= 0 {
		targetGroup = t.ARN[i+1:]
	}
	return loadBalancer, targetGroup
}

// TargetGroups finds the target groups of a scope by their bulwark tags.
func TargetGroups(ctx context.Context, c ELB, scope Scope) ([]TargetGroup, error) {
	var all []elbtypes.TargetGroup
	p := elb.NewDescribeTargetGroupsPaginator(c, &elb.DescribeTargetGroupsInput{})
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return nil, fmt.Errorf("describe target groups: %w after %d pages", ErrTooManyPages, page)
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe target groups: %w", err)
		}
		all = append(all, res.TargetGroups...)
	}
	var out []TargetGroup
	for i := 0; i < len(all); i += 20 { // DescribeTags takes at most 20 ARNs
		var arns []string
		byARN := map[string]elbtypes.TargetGroup{}
		for _, tg := range all[i:min(i+20, len(all))] {
			arns = append(arns, aws.ToString(tg.TargetGroupArn))
			byARN[aws.ToString(tg.TargetGroupArn)] = tg
		}
		tags, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			return nil, fmt.Errorf("describe target group tags: %w", err)
		}
		for _, d := range tags.TagDescriptions {
			kv := map[string]string{}
			for _, t := range d.Tags {
				kv[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !scope.matches(kv) {
				continue
			}
			tg := byARN[aws.ToString(d.ResourceArn)]
			found := TargetGroup{ARN: aws.ToString(d.ResourceArn), Service: kv[contract.TagService]}
			if len(tg.LoadBalancerArns) > 0 {
				found.LoadBalancerARN = tg.LoadBalancerArns[0]
			}
			out = append(out, found)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no target group of %s", ErrNotFound, scope)
	}
	return out, nil
}

// TargetHealth counts a target group's targets by health; a target that
// is draining (leaving) or initial (still joining) is neither healthy nor
// unhealthy. Unhealthy names each unhealthy target with its reason.
type TargetHealth struct {
	Healthy, Total int
	Unhealthy      []string
}

// DescribeTargetHealth reads a target group's targets' health.
func DescribeTargetHealth(ctx context.Context, c ELB, arn string) (TargetHealth, error) {
	out, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return TargetHealth{}, fmt.Errorf("target health of %s: %w", arn, err)
	}
	var h TargetHealth
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth == nil || d.Target == nil {
			continue
		}
		switch d.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumHealthy:
			h.Healthy++
			h.Total++
		case elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthStateEnumUnavailable:
			h.Total++
			h.Unhealthy = append(h.Unhealthy, fmt.Sprintf("%s (%s)", aws.ToString(d.Target.Id), d.TargetHealth.Reason))
		case elbtypes.TargetHealthStateEnumInitial:
			h.Total++
		}
	}
	return h, nil
}

// Traffic is what a load balancer answered for one target group over a window.
type Traffic struct {
	Requests, Errors5xx float64
}

// ErrorRate is the share of requests answered with a 5xx (0 without requests).
func (t Traffic) ErrorRate() float64 {
	if t.Requests == 0 {
		return 0
	}
	return t.Errors5xx / t.Requests
}

// ReadTraffic sums, from CloudWatch's AWS/ApplicationELB metrics over
// [from, to), the requests to a target group and the 5xx answers: its
// targets' (HTTPCode_Target_5XX_Count) and the load balancer's own
// (HTTPCode_ELB_5XX_Count, per load balancer: with one target group per
// load balancer, as bulwark declares them, it is this group's).
func ReadTraffic(ctx context.Context, c CloudWatch, tg TargetGroup, from, to time.Time) (Traffic, error) {
	return ReadTrafficEvery(ctx, c, tg, from, to, time.Minute)
}

// ReadTrafficEvery is ReadTraffic in periods of the given length: an hour
// for a window of weeks (CloudWatch keeps one-minute data for 15 days).
func ReadTrafficEvery(ctx context.Context, c CloudWatch, tg TargetGroup, from, to time.Time, period time.Duration) (Traffic, error) {
	lbDim, tgDim := tg.Dimensions()
	query := func(id, metric string, dims ...cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(int32(period.Seconds())), Stat: aws.String("Sum"),
		}}
	}
	lb := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(lbDim)}
	group := cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(tgDim)}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from.Truncate(period)), EndTime: aws.Time(to),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			query("requests", "RequestCount", lb, group),
			query("target5xx", "HTTPCode_Target_5XX_Count", lb, group),
			query("elb5xx", "HTTPCode_ELB_5XX_Count", lb),
		},
	}
	var t Traffic
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return Traffic{}, fmt.Errorf("metrics of %s: %w after %d pages", tgDim, ErrTooManyPages, page)
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return Traffic{}, fmt.Errorf("metrics of %s: %w", tgDim, err)
		}
		for _, r := range res.MetricDataResults {
			var sum float64
			for _, v := range r.Values {
				sum += v
			}
			switch aws.ToString(r.Id) {
			case "requests":
				t.Requests += sum
			default:
				t.Errors5xx += sum
			}
		}
	}
	return t, nil
}
