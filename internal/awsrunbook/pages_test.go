package awsrunbook

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
)

// The fake answers every list a page of one item at a time (AWS pages at
// 50 to 1,000): a step that read one page, or stopped early, would miss
// what these tests put on the later pages.
func TestStepsReadEveryPage(t *testing.T) {
	c, cloud := newClients(t)
	cloud.PageSize = 1
	cloud.Checker = func(awsfake.HealthCheck) bool { return true }
	ctx := context.Background()
	shop := Scope{Environment: "prod", Region: "us-east-1", Service: "shop"}

	for i := range 3 {
		cloud.AddGroup(awsfake.Group{Name: fmt.Sprintf("prod-shop-%d", i), Region: "us-east-1", Tags: tags("prod", "us-east-1", "shop")})
		cloud.AddGroup(awsfake.Group{Name: fmt.Sprintf("prod-admin-%d", i), Region: "us-east-1", Tags: tags("prod", "us-east-1", "admin")})
	}
	groups, err := c.Groups(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if want := []string{"prod-shop-0", "prod-shop-1", "prod-shop-2"}; !slices.Equal(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}

	var wantChecks []string
	for i := range 12 {
		svc := "admin"
		if i%4 == 3 {
			svc = "shop"
		}
		id := cloud.AddHealthCheck(awsfake.HealthCheck{ID: fmt.Sprintf("check-%02d", i), Type: "HTTP", FQDN: "x", Port: 80, Tags: tags("prod", "us-east-1", svc)})
		if svc == "shop" {
			wantChecks = append(wantChecks, id)
		}
	}
	checks, err := c.HealthChecks(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range checks {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, wantChecks) {
		t.Errorf("health checks %v, want %v", ids, wantChecks)
	}

	for i := range 5 {
		scenario := "instance-loss"
		if i == 4 {
			scenario = "zone-loss"
		}
		cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: fmt.Sprintf("EXT%d", i), Region: "us-east-1",
			Tags: map[string]string{"bulwark:env": "prod", "bulwark:scenario": scenario}})
	}
	if id, err := c.FindTemplate(ctx, "us-east-1", map[string]string{"bulwark:env": "prod", "bulwark:scenario": "zone-loss"}); err != nil || id != "EXT4" {
		t.Errorf("the zone-loss template (on the last page): %q %v, want EXT4", id, err)
	}

	var wantTGs []string
	for i := range 5 {
		svc := []string{"shop", "admin"}[i%2]
		tg := cloud.AddTargetGroup(awsfake.TargetGroup{Name: fmt.Sprintf("tg-%d", i), Region: "us-east-1", LoadBalancerName: "lb", Port: 80, Tags: tags("prod", "us-east-1", svc)})
		if svc == "shop" {
			wantTGs = append(wantTGs, tg.ARN)
		}
	}
	tgs, err := TargetGroups(ctx, c.ELB("us-east-1"), shop)
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, tg := range tgs {
		arns = append(arns, tg.ARN)
	}
	if !slices.Equal(arns, wantTGs) {
		t.Errorf("target groups %v, want %v", arns, wantTGs)
	}

	for i := range 3 {
		cloud.SetAlarm(awsfake.Alarm{Region: "us-east-1", Name: fmt.Sprintf("bulwark-prod-east-%d", i), State: "ALARM", Composite: i == 0})
		cloud.SetAlarm(awsfake.Alarm{Region: "us-west-2", Name: fmt.Sprintf("bulwark-prod-west-%d", i), State: "ALARM"})
	}
	alarms, err := c.EnvironmentAlarms(ctx, "prod", []string{"us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms) != 6 {
		t.Errorf("%d alarms in ALARM, want the 6 of us-east-1 and us-west-2: %+v", len(alarms), alarms)
	}

	tg := TargetGroup{ARN: tgs[0].ARN, LoadBalancerARN: tgs[0].LoadBalancerARN}
	lb, group := tg.Dimensions()
	now := c.Now().Truncate(time.Minute)
	for i := range 5 { // 10 to 14 minutes ago: CloudWatch has them by now
		cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount",
			Dimensions: map[string]string{"LoadBalancer": lb, "TargetGroup": group}, At: now.Add(-time.Duration(10+i) * time.Minute), Value: 100})
		cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "HTTPCode_ELB_5XX_Count",
			Dimensions: map[string]string{"LoadBalancer": lb}, At: now.Add(-time.Duration(10+i) * time.Minute), Value: 1})
	}
	traffic, err := ReadTraffic(ctx, c.CloudWatch("us-east-1"), tg, now.Add(-20*time.Minute), now)
	if err != nil || traffic.Requests != 500 || traffic.Errors5xx != 5 {
		t.Errorf("traffic %+v %v, want 500 requests and 5 errors from 10 datapoints on 10 pages", traffic, err)
	}
}

// ReadP99 reads one period spanning its whole window: a window whose
// length does not round to whole minutes must not be split in two, one of
// them read for the whole.
func TestReadP99ReadsTheWholeWindow(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	tg := cloud.AddTargetGroup(awsfake.TargetGroup{Name: "shop", Region: "us-east-1", LoadBalancerName: "shop", Port: 80})
	group := TargetGroup{ARN: tg.ARN, LoadBalancerARN: tg.LoadBalancerARN}
	lb, _ := group.Dimensions()
	base := c.Now().Truncate(time.Minute).Add(-10 * time.Minute) // long enough ago for CloudWatch to have it
	to := base.Add(20 * time.Second)
	from := to.Add(-5 * time.Minute) // a window of 5 min 20 s from its start rounded to the minute
	put := func(at time.Time, v float64) {
		cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "TargetResponseTime",
			Dimensions: map[string]string{"LoadBalancer": lb}, At: at, Value: v})
	}
	put(base.Add(-3*time.Minute), 0.9) // the slow request, early in the window
	put(base.Add(10*time.Second), 0.1) // a fast one in its last 20 seconds
	put(to.Add(time.Minute), 5)        // after the window
	p99, ok, err := ReadP99(ctx, c.CloudWatch("us-east-1"), group, from, to)
	if err != nil || !ok || p99 != 0.9 {
		t.Errorf("p99 = %v (ok %t, %v), want 0.9: the slow request is in the window", p99, ok, err)
	}
	if _, ok, err := ReadP99(ctx, c.CloudWatch("us-east-1"), group, from.Add(-time.Hour), to.Add(-time.Hour)); ok || err != nil {
		t.Errorf("a window without requests: ok %t, %v; want no value", ok, err)
	}
}
