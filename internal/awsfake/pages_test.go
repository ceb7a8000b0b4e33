package awsfake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// Every list the runbooks call answers in pages, continued by the API's
// own token; a made-up token, or one of another request, is refused.

func TestAutoScalingGroupsComeInPages(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	for i := range 5 {
		c.AddGroup(Group{Name: fmt.Sprintf("prod-%d", i), Region: "us-east-1", Tags: map[string]string{"env": "prod"}})
	}
	c.AddGroup(Group{Name: "dev-0", Region: "us-east-1", Tags: map[string]string{"env": "dev"}})
	ctx, cl := context.Background(), asgClient(c, "us-east-1")
	prod := &autoscaling.DescribeAutoScalingGroupsInput{Filters: []asgtypes.Filter{{Name: aws.String("tag:env"), Values: []string{"prod"}}}}

	first, err := cl.DescribeAutoScalingGroups(ctx, prod)
	if err != nil || len(first.AutoScalingGroups) != 2 || first.NextToken == nil {
		t.Fatalf("first page: %d groups, token %v, %v; want 2 and a NextToken", len(first.AutoScalingGroups), first.NextToken, err)
	}
	var names []string
	pages := 0
	for p := autoscaling.NewDescribeAutoScalingGroupsPaginator(cl, prod); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.AutoScalingGroups {
			names = append(names, aws.ToString(g.AutoScalingGroupName))
		}
	}
	if want := []string{"prod-0", "prod-1", "prod-2", "prod-3", "prod-4"}; !slices.Equal(names, want) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", names, pages, want)
	}

	dev := &autoscaling.DescribeAutoScalingGroupsInput{NextToken: first.NextToken, Filters: []asgtypes.Filter{{Name: aws.String("tag:env"), Values: []string{"dev"}}}}
	for what, in := range map[string]*autoscaling.DescribeAutoScalingGroupsInput{
		"a made-up token":           {NextToken: aws.String("bm90IGEgdG9rZW4")},
		"another request's token":   dev,
		"MaxRecords above 100":      {MaxRecords: aws.Int32(101)},
		"MaxRecords 0":              {MaxRecords: aws.Int32(0)},
		"a filter it does not know": {Filters: []asgtypes.Filter{{Name: aws.String("instance-state"), Values: []string{"x"}}}},
		"51 names":                  {AutoScalingGroupNames: strings.Split(strings.Repeat("g,", 51)[:101], ",")},
	} {
		_, err := cl.DescribeAutoScalingGroups(ctx, in)
		want := "ValidationError"
		if strings.Contains(what, "token") {
			want = "InvalidNextToken"
		}
		if code(err) != want || status(err) != 400 {
			t.Errorf("%s: %v, want %s (400)", what, err, want)
		}
	}
	if _, err := cl.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(60),
		AutoScalingGroupNames: strings.Split(strings.Repeat("g,", 51)[:101], ",")}); err != nil {
		t.Errorf("51 names with MaxRecords 60: %v, want them taken", err)
	}
}

func TestHealthChecksComeInPagesFromAMarker(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	c.Checker = func(HealthCheck) bool { return true }
	var ids []string
	for i := range 5 {
		ids = append(ids, c.AddHealthCheck(HealthCheck{ID: fmt.Sprintf("0000000%d-check", i), Type: "HTTP", FQDN: "x", Port: 80}))
	}
	ctx, cl := context.Background(), r53Client(c, "us-east-1")
	first, err := cl.ListHealthChecks(ctx, &route53.ListHealthChecksInput{})
	if err != nil || len(first.HealthChecks) != 2 || !first.IsTruncated || aws.ToString(first.NextMarker) != ids[2] {
		t.Fatalf("first page: %d checks, truncated %t, next %q, %v; want 2, true and the third check's ID", len(first.HealthChecks), first.IsTruncated, aws.ToString(first.NextMarker), err)
	}
	var got []string
	pages := 0
	for p := route53.NewListHealthChecksPaginator(cl, &route53.ListHealthChecksInput{}); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.HealthChecks {
			got = append(got, aws.ToString(h.Id))
		}
	}
	if !slices.Equal(got, ids) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", got, pages, ids)
	}
	if _, err := cl.ListHealthChecks(ctx, &route53.ListHealthChecksInput{Marker: aws.String("no-such-check")}); code(err) != "InvalidInput" || status(err) != 400 {
		t.Errorf("an unknown marker: %v, want InvalidInput (400)", err)
	}
}

func TestTargetGroupsComeInPages(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	var arns []string
	for i := range 5 {
		arns = append(arns, c.AddTargetGroup(TargetGroup{Name: fmt.Sprintf("tg-%d", i), Region: "eu-west-1", LoadBalancerName: "lb", Port: 80}).ARN)
	}
	ctx, cl := context.Background(), elbClient(c, "eu-west-1")
	var got []string
	pages := 0
	for p := elb.NewDescribeTargetGroupsPaginator(cl, &elb.DescribeTargetGroupsInput{}); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.TargetGroups {
			got = append(got, aws.ToString(tg.TargetGroupArn))
		}
	}
	if !slices.Equal(got, arns) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", got, pages, arns)
	}
	for what, in := range map[string]*elb.DescribeTargetGroupsInput{
		"PageSize above 400": {PageSize: aws.Int32(401)},
		"PageSize 0":         {PageSize: aws.Int32(0)},
		"a made-up marker":   {Marker: aws.String("bm9wZQ")},
	} {
		if _, err := cl.DescribeTargetGroups(ctx, in); code(err) != "ValidationError" || status(err) != 400 {
			t.Errorf("%s: %v, want ValidationError (400)", what, err)
		}
	}
	if _, err := cl.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: slices.Repeat(arns, 5)[:21]}); code(err) != "ValidationError" {
		t.Errorf("tags of 21 resources: %v, want ValidationError (20 at most)", err)
	}
}

func TestAlarmsComeInPages(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	for i := range 5 {
		c.SetAlarm(Alarm{Region: "us-east-1", Name: fmt.Sprintf("bulwark-prod-%d", i), State: "ALARM", Composite: i%2 == 0})
	}
	c.SetAlarm(Alarm{Region: "us-east-1", Name: "bulwark-prod-quiet", State: "OK"})
	ctx, cl := context.Background(), cwClient(c, "us-east-1")
	in := &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("bulwark-prod-"), StateValue: cwtypes.StateValueAlarm,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}}
	var got []string
	pages := 0
	for p := cloudwatch.NewDescribeAlarmsPaginator(cl, in); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.MetricAlarms {
			got = append(got, aws.ToString(a.AlarmName))
		}
		for _, a := range page.CompositeAlarms {
			got = append(got, aws.ToString(a.AlarmName))
		}
	}
	slices.Sort(got)
	if want := []string{"bulwark-prod-0", "bulwark-prod-1", "bulwark-prod-2", "bulwark-prod-3", "bulwark-prod-4"}; !slices.Equal(got, want) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", got, pages, want)
	}
	_, err := cl.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("bm9wZQ")})
	var bad *cwtypes.InvalidNextToken
	if !errors.As(err, &bad) || code(err) != "InvalidNextToken" || status(err) != 400 {
		t.Errorf("a made-up token: %v, want CloudWatch's InvalidNextToken (400)", err)
	}
	for what, in := range map[string]*cloudwatch.DescribeAlarmsInput{
		"MaxRecords above 100":   {MaxRecords: aws.Int32(101)},
		"a state it has not":     {StateValue: "FIRING"},
		"an alarm type it lacks": {AlarmTypes: []cwtypes.AlarmType{"AnomalyAlarm"}},
	} {
		if _, err := cl.DescribeAlarms(ctx, in); code(err) != "ValidationError" || status(err) != 400 {
			t.Errorf("%s: %v, want ValidationError (400)", what, err)
		}
	}
	_, err = cl.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("b"), AlarmNames: []string{"bulwark-prod-0"}})
	var combo *cwtypes.InvalidParameterCombinationException
	if !errors.As(err, &combo) || code(err) != "InvalidParameterCombination" {
		t.Errorf("a prefix and names: %v, want InvalidParameterCombination", err)
	}
}

func TestMetricDataComesInPagesNewestFirst(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	now := time.Now().Truncate(time.Minute)
	dims := map[string]string{"LoadBalancer": "app/lb/1"}
	for i := range 5 { // 10 to 14 minutes ago: past CloudWatch's delay
		c.PutDatapoint(Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", Dimensions: dims, At: now.Add(-time.Duration(10+i) * time.Minute), Value: float64(i + 1)})
	}
	ctx, cl := context.Background(), cwClient(c, "us-east-1")
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), MetricDataQueries: []cwtypes.MetricDataQuery{{
		Id: aws.String("requests"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/lb/1")}}}},
	}}}
	first, err := cl.GetMetricData(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	r := first.MetricDataResults
	if len(r) != 1 || !slices.Equal(r[0].Values, []float64{1, 2}) || r[0].StatusCode != cwtypes.StatusCodePartialData || first.NextToken == nil {
		t.Fatalf("first page: %+v, token %v; want the newest two (1, 2), PartialData and a NextToken", r, first.NextToken)
	}
	var values []float64
	pages := 0
	for p := cloudwatch.NewGetMetricDataPaginator(cl, in); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.MetricDataResults {
			values = append(values, r.Values...)
		}
	}
	if want := []float64{1, 2, 3, 4, 5}; !slices.Equal(values, want) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", values, pages, want)
	}
	asc := *in
	asc.ScanBy = cwtypes.ScanByTimestampAscending
	asc.MaxDatapoints = aws.Int32(5)
	c.PageSize = 0
	if out, err := cl.GetMetricData(ctx, &asc); err != nil || !slices.Equal(out.MetricDataResults[0].Values, []float64{5, 4, 3, 2, 1}) || out.NextToken != nil {
		t.Errorf("oldest first, MaxDatapoints 5: %+v, %v", out, err)
	}
}

func TestExperimentTemplatesComeInPages(t *testing.T) {
	c := newCloud(t, 0)
	c.PageSize = 2
	for i := range 5 {
		c.AddExperimentTemplate(ExperimentTemplate{ID: fmt.Sprintf("EXT%d", i), Region: "us-west-2"})
	}
	ctx, cl := context.Background(), fisClient(c, "us-west-2")
	var got []string
	pages := 0
	for p := fis.NewListExperimentTemplatesPaginator(cl, &fis.ListExperimentTemplatesInput{}); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tpl := range page.ExperimentTemplates {
			got = append(got, aws.ToString(tpl.Id))
		}
	}
	if want := []string{"EXT0", "EXT1", "EXT2", "EXT3", "EXT4"}; !slices.Equal(got, want) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", got, pages, want)
	}
	for what, in := range map[string]*fis.ListExperimentTemplatesInput{
		"maxResults above 100": {MaxResults: aws.Int32(101)},
		"a made-up token":      {NextToken: aws.String("bm9wZQ")},
	} {
		if _, err := cl.ListExperimentTemplates(ctx, in); code(err) != "ValidationException" || status(err) != 400 {
			t.Errorf("%s: %v, want ValidationException (400)", what, err)
		}
	}
}
