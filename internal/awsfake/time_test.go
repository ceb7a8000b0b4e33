package awsfake

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// State moves with time on the fake's clock (scaled here: AWS's minutes
// pass in a fraction of a second), never with the number of calls.

func TestAnInstanceIsPendingForItsLaunchTime(t *testing.T) {
	c := newCloud(t, 300) // a minute in 200 ms
	c.AddGroup(Group{Name: "g", Region: "us-east-1", Min: 1, Max: 3, Desired: 2, Subnets: []Subnet{{ID: "subnet-a", Zone: "us-east-1a"}}})
	ctx, cl := context.Background(), asgClient(c, "us-east-1")
	g, _ := c.Group("us-east-1", "g")
	if g.InService() != 2 {
		t.Fatalf("a group added: %d in service, want its 2", g.InService())
	}
	began := c.Clock.Now()
	if _, err := cl.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(g.Instances[0].ID), ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	states := func() []string {
		out, err := cl.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"g"}})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, i := range out.AutoScalingGroups[0].Instances {
			s = append(s, string(i.LifecycleState))
		}
		slices.Sort(s)
		return s
	}
	for range 20 { // describing does not move it on
		if got := states(); !slices.Equal(got, []string{"InService", "Pending", "Terminating"}) {
			t.Fatalf("right after the termination: %v, want one in service, the replacement pending and the victim terminating", got)
		}
	}
	_, ok := until(t, c.Clock, 2*time.Second, 3*time.Minute, func() bool { return slices.Equal(states(), []string{"InService", "InService"}) })
	if took := c.Clock.Now().Sub(began); !ok || took < 60*time.Second || took > 90*time.Second {
		t.Errorf("whole again %s after the termination (ok %t), want about InstanceLaunch (60s)", took, ok)
	}
}

// A Route 53 check goes unhealthy only once its checkers have seen
// FailureThreshold requests fail, each every RequestInterval: between
// (threshold-1) and threshold intervals after the endpoint fails, as the
// checkers' turns are spread over an interval; and healthy again the same
// way. Records follow the check's status; an inversion is at once.
func TestHealthCheckStatusTakesIntervalTimesThreshold(t *testing.T) {
	c := newCloud(t, 50) // 10 s in 200 ms
	var up atomic.Bool
	up.Store(true)
	c.Checker = func(h HealthCheck) bool { return h.FQDN != "primary.example" || up.Load() }
	primary := c.AddHealthCheck(HealthCheck{Type: "HTTPS", FQDN: "primary.example", Port: 443, RequestInterval: 10, FailureThreshold: 3})
	secondary := c.AddHealthCheck(HealthCheck{Type: "HTTPS", FQDN: "secondary.example", Port: 443, RequestInterval: 10, FailureThreshold: 3})
	c.AddRecord(Record{Name: "www.example.com", SetIdentifier: "a", Failover: "PRIMARY", HealthCheckID: primary, Values: []string{"primary.example"}})
	c.AddRecord(Record{Name: "www.example.com", SetIdentifier: "b", Failover: "SECONDARY", HealthCheckID: secondary, Values: []string{"secondary.example"}})
	answers := func(want string) func() bool {
		return func() bool { return slices.Equal(c.Answer("www.example.com"), []string{want}) }
	}
	if !answers("primary.example")() {
		t.Fatalf("healthy: DNS answers %v, want the primary", c.Answer("www.example.com"))
	}
	ctx, cl := context.Background(), r53Client(c, "us-east-1")

	failed := c.Clock.Now()
	up.Store(false)
	sleepOn(t, c.Clock, 12*time.Second)
	st, err := cl.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(primary)})
	if err != nil {
		t.Fatal(err)
	}
	failing := 0
	for _, o := range st.HealthCheckObservations {
		if strings.HasPrefix(aws.ToString(o.StatusReport.Status), "Failure") {
			failing++
		}
	}
	if failing == 0 || len(st.HealthCheckObservations) != 8 || !answers("primary.example")() {
		t.Errorf("12 s after the failure: %d of %d checkers saw it fail, DNS answers %v; want some seeing it, 8 checkers, the primary still answered",
			failing, len(st.HealthCheckObservations), c.Answer("www.example.com"))
	}
	_, ok := until(t, c.Clock, time.Second, time.Minute, answers("secondary.example"))
	if took := c.Clock.Now().Sub(failed); !ok || took < 19*time.Second || took > 34*time.Second {
		t.Errorf("the secondary answered %s after the primary failed (ok %t), want between 2 and 3 request intervals of 10 s", took, ok)
	}

	recovered := c.Clock.Now()
	up.Store(true)
	_, ok = until(t, c.Clock, time.Second, time.Minute, answers("primary.example"))
	if took := c.Clock.Now().Sub(recovered); !ok || took < 19*time.Second || took > 34*time.Second {
		t.Errorf("the primary answered again %s after it recovered (ok %t), want between 2 and 3 request intervals", took, ok)
	}

	h, _ := c.HealthCheck(primary)
	if _, err := cl.UpdateHealthCheck(ctx, &route53.UpdateHealthCheckInput{HealthCheckId: aws.String(primary), HealthCheckVersion: aws.Int64(h.Version), Inverted: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if !answers("secondary.example")() {
		t.Errorf("inverted: DNS answers %v at once, want the secondary", c.Answer("www.example.com"))
	}
}

func TestDatapointsReachGetMetricDataLate(t *testing.T) {
	c := newCloud(t, 600) // CloudWatch's two minutes in 200 ms
	put := c.Clock.Now().Truncate(time.Second)
	c.PutDatapoint(Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", At: put, Value: 7})
	ctx, cl := context.Background(), cwClient(c, "us-east-1")
	read := func() []float64 {
		out, err := cl.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(put.Add(-time.Hour)), EndTime: aws.Time(put.Add(time.Hour)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("r"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.MetricDataResults[0].Values
	}
	if got := read(); len(got) != 0 {
		t.Fatalf("right after it was put: %v, want nothing yet", got)
	}
	took, ok := until(t, c.Clock, 5*time.Second, 10*time.Minute, func() bool { return slices.Equal(read(), []float64{7}) })
	if !ok || took < 2*time.Minute-10*time.Second || took > 3*time.Minute {
		t.Errorf("visible after %s (ok %t), want CloudWatchDelay (2 min) after its timestamp", took, ok)
	}
}

// An experiment initiates for ExperimentStart, runs its action's duration
// and completes, its hooks firing on time whether or not anyone looks.
func TestAnExperimentRunsItsActionsDuration(t *testing.T) {
	c := newCloud(t, 600)
	var started, stopped atomic.Int32
	c.AddExperimentTemplate(ExperimentTemplate{ID: "EXT1", Region: "us-east-1", Duration: 5 * time.Minute,
		OnStart: func() { started.Add(1) }, OnStop: func() { stopped.Add(1) }})
	ctx, cl := context.Background(), fisClient(c, "us-east-1")
	began := c.Clock.Now()
	out, err := cl.StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: aws.String("EXT1"), ClientToken: aws.String("drill-1")})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Experiment.Id
	status := func() string {
		e, err := cl.GetExperiment(ctx, &fis.GetExperimentInput{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return string(e.Experiment.State.Status)
	}
	if s := status(); s != ExperimentInitiating || started.Load() != 0 {
		t.Fatalf("at once: %s, started %d; want initiating", s, started.Load())
	}
	again, err := cl.StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: aws.String("EXT1"), ClientToken: aws.String("drill-1")})
	if err != nil || aws.ToString(again.Experiment.Id) != aws.ToString(id) {
		t.Errorf("a retry with the same client token: %v, %v; want the same experiment", again, err)
	}
	_, ok := until(t, c.Clock, time.Second, time.Minute, func() bool { return status() == ExperimentRunning })
	// counted from the start, not from the first look: a slow retry above
	// already used some of the 20 s
	if took := clockSince(c, began); !ok || took < 19*time.Second || started.Load() != 1 {
		t.Errorf("running after %s (ok %t, started %d), want ExperimentStart (20 s) and OnStart once", took, ok, started.Load())
	}
	sleepOn(t, c.Clock, 6*time.Minute-clockSince(c, began)) // no one looks meanwhile
	if stopped.Load() != 1 {
		t.Errorf("6 minutes in, unread: OnStop ran %d times, want once, when the action's 5 minutes ended", stopped.Load())
	}
	e, _ := cl.GetExperiment(ctx, &fis.GetExperimentInput{Id: id})
	if s := e.Experiment.State.Status; s != ExperimentCompleted || e.Experiment.EndTime.Sub(began) < 5*time.Minute+20*time.Second-time.Second {
		t.Errorf("after its duration: %s, ended %s after the start; want completed after 20 s + 5 min", s, e.Experiment.EndTime.Sub(began))
	}
}

func clockSince(c *Cloud, t time.Time) time.Duration { return c.Clock.Now().Sub(t) }
