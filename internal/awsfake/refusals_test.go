package awsfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go/encoding/cbor"
)

// The fakes refuse what AWS refuses, with its error codes and statuses.

// raw sends a request signed (in form only) for a service and region, as
// a client that skips the SDK's own validation would.
func raw(t *testing.T, c *Cloud, service, region, method, path, contentType string, body []byte, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=AKIDFAKE/20261122/%s/%s/aws4_request, SignedHeaders=host, Signature=x", region, service))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAutoScalingRefusals(t *testing.T) {
	c := newCloud(t, 0)
	c.AddGroup(Group{Name: "g", Region: "us-east-1", Min: 1, Max: 3, Desired: 2, Subnets: []Subnet{{ID: "subnet-a", Zone: "us-east-1a"}}})
	ctx, cl := context.Background(), asgClient(c, "us-east-1")
	if _, err := cl.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("g"), ScalingProcesses: []string{"Launch", "Reboot"}}); code(err) != "ValidationError" || status(err) != 400 {
		t.Errorf("suspending a process Auto Scaling does not have: %v, want ValidationError (400)", err)
	}
	if g, _ := c.Group("us-east-1", "g"); len(g.Suspended) != 0 {
		t.Errorf("a refused request changed the group: %v suspended", g.Suspended)
	}
	if _, err := cl.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("g"), DesiredCapacity: aws.Int32(4)}); code(err) != "ValidationError" {
		t.Errorf("desired above max: %v, want ValidationError", err)
	}
	form := url.Values{"Action": {"SetDesiredCapacity"}, "Version": {"2011-01-01"}, "AutoScalingGroupName": {"g"}}
	if st, _, body := raw(t, c, "autoscaling", "us-east-1", http.MethodPost, "/", "application/x-www-form-urlencoded", []byte(form.Encode()), nil); st != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") {
		t.Errorf("SetDesiredCapacity without DesiredCapacity: %d %s, want MissingParameter (400)", st, body)
	}
}

func metricQuery1(id, stat string, period int32) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(period), Stat: aws.String(stat),
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount")}}}
}

func TestGetMetricDataRefusals(t *testing.T) {
	c := newCloud(t, 0)
	ctx, cl := context.Background(), cwClient(c, "us-east-1")
	now := time.Now().Truncate(time.Minute)
	get := func(start, end time.Time, q ...cwtypes.MetricDataQuery) (*cloudwatch.GetMetricDataOutput, error) {
		return cl.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: q})
	}
	var invalid *cwtypes.InvalidParameterValueException
	for what, q := range map[string][]cwtypes.MetricDataQuery{
		"a statistic CloudWatch does not know": {metricQuery1("a", "Mean", 60)},
		"a period of 7 s":                      {metricQuery1("a", "Sum", 7)},
		"a period of 90 s":                     {metricQuery1("a", "Sum", 90)},
		"an Id with a capital first":           {metricQuery1("Requests", "Sum", 60)},
		"two queries of one Id":                {metricQuery1("a", "Sum", 60), metricQuery1("a", "Average", 60)},
	} {
		if _, err := get(now.Add(-time.Hour), now, q...); !errors.As(err, &invalid) || code(err) != "InvalidParameterValue" || status(err) != 400 {
			t.Errorf("%s: %v, want InvalidParameterValue (400)", what, err)
		}
	}
	if _, err := get(now, now, metricQuery1("a", "Sum", 60)); !errors.As(err, &invalid) {
		t.Errorf("StartTime equal to EndTime: %v, want InvalidParameterValue", err)
	}
	for _, ok := range []cwtypes.MetricDataQuery{metricQuery1("a", "p99.9", 60), metricQuery1("a", "Sum", 20), metricQuery1("a_1", "SampleCount", 3600)} {
		if _, err := get(now.Add(-time.Hour), now, ok); err != nil {
			t.Errorf("%s over %d s: %v, want it taken", aws.ToString(ok.MetricStat.Stat), aws.ToInt32(ok.MetricStat.Period), err)
		}
	}
	many := make([]cwtypes.MetricDataQuery, 501)
	for i := range many {
		many[i] = metricQuery1(fmt.Sprintf("q%d", i), "Sum", 60)
	}
	if _, err := get(now.Add(-time.Hour), now, many...); code(err) != "ValidationError" {
		t.Errorf("501 queries: %v, want ValidationError (500 at most)", err)
	}
	if _, err := cl.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{metricQuery1("a", "Sum", 60)}, ScanBy: "Newest"}); code(err) != "ValidationError" {
		t.Errorf("ScanBy Newest: %v, want ValidationError", err)
	}
	body := cbor.Encode(cbor.Map{"EndTime": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(now.Unix()))}, "MetricDataQueries": cbor.List{}})
	st, h, _ := raw(t, c, "monitoring", "us-east-1", http.MethodPost, "/service/GraniteServiceVersion20100801/operation/GetMetricData", "application/cbor", body,
		map[string]string{"Smithy-Protocol": "rpc-v2-cbor"})
	if st != 400 || h.Get("X-Amzn-Query-Error") != "MissingParameter;Sender" {
		t.Errorf("GetMetricData without StartTime: %d %q, want MissingParameter (400)", st, h.Get("X-Amzn-Query-Error"))
	}

	// data four hours old is not returned at a period under a minute
	c.PutDatapoint(Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", At: now.Add(-4 * time.Hour), Value: 3})
	for period, want := range map[int32]int{30: 0, 60: 1} {
		out, err := get(now.Add(-5*time.Hour), now, metricQuery1("a", "Sum", period))
		if err != nil || len(out.MetricDataResults[0].Values) != want {
			t.Errorf("4-hour-old data at %d s: %+v %v, want %d values", period, out, err, want)
		}
	}
}

func TestFISRefusals(t *testing.T) {
	c := newCloud(t, 0)
	c.AddExperimentTemplate(ExperimentTemplate{ID: "EXT1", Region: "us-east-1"})
	ctx, cl := context.Background(), fisClient(c, "us-east-1")
	_, err := cl.StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: aws.String("EXT1"), ClientToken: aws.String("t"),
		ExperimentOptions: &fistypes.StartExperimentExperimentOptionsInput{ActionsMode: "dry-run"}})
	if code(err) != "ValidationException" || status(err) != 400 {
		t.Errorf("an actions mode FIS does not have: %v, want ValidationException (400)", err)
	}
	if len(c.Experiments("EXT1")) != 0 {
		t.Error("a refused request started an experiment")
	}
}

func TestRoute53Refusals(t *testing.T) {
	c := newCloud(t, 0)
	c.Checker = func(HealthCheck) bool { return true }
	id := c.AddHealthCheck(HealthCheck{Type: "HTTP", FQDN: "x", Port: 80})
	ctx := context.Background()
	if _, err := r53Client(c, "us-west-2").ListHealthChecks(ctx, &route53.ListHealthChecksInput{}); code(err) != "SignatureDoesNotMatch" || status(err) != 403 {
		t.Errorf("Route 53 signed for us-west-2: %v, want SignatureDoesNotMatch (403): it signs for us-east-1", err)
	}
	if _, err := r53Client(c, "us-east-1").UpdateHealthCheck(ctx, &route53.UpdateHealthCheckInput{HealthCheckId: aws.String(id), FailureThreshold: aws.Int32(11)}); code(err) != "InvalidInput" {
		t.Errorf("a failure threshold of 11: %v, want InvalidInput (1 to 10)", err)
	}
	if _, err := r53Client(c, "us-east-1").GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("nope")}); code(err) != "NoSuchHealthCheck" || status(err) != 404 {
		t.Errorf("an unknown check: %v, want NoSuchHealthCheck (404)", err)
	}
}

// Every store is per region: a resource is found at its own region's
// endpoint only, and its ARN says its region and the account.
func TestStoresArePerRegion(t *testing.T) {
	c := newCloud(t, 0)
	ctx := context.Background()
	c.AddGroup(Group{Name: "shop", Region: "us-east-1", Min: 1, Max: 1, Desired: 1, Subnets: []Subnet{{ID: "subnet-a", Zone: "us-east-1a"}}})
	tg := c.AddTargetGroup(TargetGroup{Name: "shop", Region: "us-east-1", LoadBalancerName: "shop", Group: "shop", Port: 80})
	c.AddExperimentTemplate(ExperimentTemplate{ID: "EXT1", Region: "us-east-1"})
	c.SetAlarm(Alarm{Region: "us-east-1", Name: "bulwark-a", State: "ALARM"})
	c.PutDatapoint(Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", At: time.Now().Add(-10 * time.Minute), Value: 1})

	east, err := asgClient(c, "us-east-1").DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"shop"}})
	if err != nil || len(east.AutoScalingGroups) != 1 || !strings.HasPrefix(aws.ToString(east.AutoScalingGroups[0].AutoScalingGroupARN), "arn:aws:autoscaling:us-east-1:"+Account+":autoScalingGroup:") {
		t.Fatalf("the group at its own endpoint: %+v %v", east, err)
	}
	again, _ := asgClient(c, "us-east-1").DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"shop"}})
	if a, b := aws.ToString(east.AutoScalingGroups[0].AutoScalingGroupARN), aws.ToString(again.AutoScalingGroups[0].AutoScalingGroupARN); a != b {
		t.Errorf("a group's ARN changed between two reads: %s, %s", a, b)
	}
	if west, err := asgClient(c, "us-west-2").DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"shop"}}); err != nil || len(west.AutoScalingGroups) != 0 {
		t.Errorf("us-east-1's group asked at us-west-2: %+v %v, want none", west, err)
	}
	if _, err := asgClient(c, "us-west-2").SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("shop")}); code(err) != "ValidationError" {
		t.Errorf("suspending us-east-1's group at us-west-2: %v, want it not found", err)
	}
	if !strings.HasPrefix(tg.ARN, "arn:aws:elasticloadbalancing:us-east-1:"+Account+":targetgroup/shop/") {
		t.Errorf("target group ARN %s lacks its region and account", tg.ARN)
	}
	if _, err := elbClient(c, "us-west-2").DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{tg.ARN}}); code(err) != "TargetGroupNotFound" {
		t.Errorf("us-east-1's target group's tags at us-west-2: %v, want TargetGroupNotFound", err)
	}
	if _, err := elbClient(c, "us-west-2").DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN)}); code(err) != "TargetGroupNotFound" {
		t.Errorf("us-east-1's target health at us-west-2: %v, want TargetGroupNotFound", err)
	}
	if _, err := fisClient(c, "us-west-2").StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: aws.String("EXT1"), ClientToken: aws.String("t")}); code(err) != "ResourceNotFoundException" || status(err) != 404 {
		t.Errorf("us-east-1's template at us-west-2: %v, want ResourceNotFoundException (404)", err)
	}
	if out, err := cwClient(c, "us-west-2").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil || len(out.MetricAlarms) != 0 {
		t.Errorf("us-east-1's alarms at us-west-2: %+v %v, want none", out, err)
	}
	now := time.Now()
	out, err := cwClient(c, "us-west-2").GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{metricQuery1("a", "Sum", 3600)}})
	if err != nil || len(out.MetricDataResults[0].Values) != 0 {
		t.Errorf("us-east-1's metric at us-west-2: %+v %v, want no data", out, err)
	}
}
