package awstarget

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// bakeFixture deploys, in the fake, what staging's shop declares in
// us-east-1: an autoscaling group of 2 behind a target group tagged with
// the bulwark scope. The fake and the clients share a clock 600 times as
// fast as the wall clock: a bake's minutes pass in tenths of a second,
// and CloudWatch's datapoints arrive their two minutes late on it.
func bakeFixture(t *testing.T) (*awsfake.Cloud, *awsrunbook.Clients, *topology.Topology, awsrunbook.TargetGroup) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root, "images"))}
	topo, err := l.LoadFile(filepath.Join(root, "environments", "staging.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	topo.Services[0].Health.Interval = 10 * time.Second // a grace of (unhealthy_after+1) intervals
	topo.Services[0].Rollout.MaxErrorRate = 0.05

	awsfake.UseFakeCredentials(t)
	clk := clock.NewScaled(600)
	cloud := awsfake.NewCloud()
	cloud.Clock = clk
	t.Cleanup(cloud.Close)
	cloud.AddGroup(awsfake.Group{Name: "shop-use1", Region: "us-east-1", Min: 2, Max: 6, Desired: 2,
		Subnets: []awsfake.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}, {ID: "subnet-b", Zone: "us-east-1b"}}})
	scope := map[string]string{"bulwark:env": "staging", "bulwark:region": "us-east-1", "bulwark:service": "shop"}
	cloud.AddTargetGroup(awsfake.TargetGroup{Name: "other", Region: "us-east-1", LoadBalancerName: "other", Port: 80, Tags: map[string]string{"team": "else"}})
	tg := cloud.AddTargetGroup(awsfake.TargetGroup{Name: "shop-use1", Region: "us-east-1", LoadBalancerName: "shop-use1", Group: "shop-use1", Port: 8080, Tags: scope})
	clients, err := awsrunbook.NewClients(context.Background(), awsrunbook.ClientOptions{Endpoint: cloud.URL(), MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	clients.Clock = clk
	return cloud, clients, topo, awsrunbook.TargetGroup{ARN: tg.ARN, LoadBalancerARN: tg.LoadBalancerARN, Service: "shop"}
}

// publish puts, now on the fake's clock, a minute's worth of the load balancer's counts.
func publish(cloud *awsfake.Cloud, tg awsrunbook.TargetGroup, requests, target5xx, elb5xx float64) {
	lb, group := tg.Dimensions()
	at := cloud.Clock.Now()
	both := map[string]string{"LoadBalancer": lb, "TargetGroup": group}
	cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", Dimensions: both, At: at, Value: requests})
	cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "HTTPCode_Target_5XX_Count", Dimensions: both, At: at, Value: target5xx})
	cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "HTTPCode_ELB_5XX_Count", Dimensions: map[string]string{"LoadBalancer": lb}, At: at, Value: elb5xx})
	// another load balancer's errors are not this one's
	cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: "HTTPCode_ELB_5XX_Count", Dimensions: map[string]string{"LoadBalancer": "app/other/1"}, At: at, Value: 1e6})
}

func TestAWSBakePassesAHealthyCanary(t *testing.T) {
	cloud, clients, topo, tg := bakeFixture(t)
	cloud.Throttle("monitoring", 2) // the SDK's retryer rides through throttling
	cloud.Throttle("elasticloadbalancing", 1)
	bake := Bake(clients, topo, 10*time.Millisecond)
	go func() { // the canary's first minute, published as it ends
		_ = cloud.Clock.Sleep(context.Background(), time.Minute)
		publish(cloud, tg, 1000, 10, 5) // 1.5%
	}()
	msg, err := bake(context.Background(), "us-east-1", 5*time.Minute)
	if err != nil || !strings.Contains(msg, "1000 requests within the error budget") {
		t.Fatalf("bake: %q %v", msg, err)
	}
	var gotMetrics bool
	for _, c := range cloud.Calls() {
		gotMetrics = gotMetrics || c == "monitoring GetMetricData us-east-1"
	}
	if !gotMetrics {
		t.Errorf("the bake never read CloudWatch: %v", cloud.Calls())
	}
}

func TestAWSBakeFailsOnTheLoadBalancers5xxRate(t *testing.T) {
	cloud, clients, topo, tg := bakeFixture(t)
	cloud.PageSize = 1              // the shop's target group and each datapoint on pages of their own
	publish(cloud, tg, 400, 30, 20) // 12.5%: the targets' and the load balancer's own 5xx
	_, err := Bake(clients, topo, 10*time.Millisecond)(context.Background(), "us-east-1", 10*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "answered 50 of 400 requests with a 5xx (12.5%, more than 5.0%)") {
		t.Fatalf("bake: %v", err)
	}
}

func TestAWSBakeFailsOnTargetsUnhealthyPastTheirChecks(t *testing.T) {
	cloud, clients, topo, _ := bakeFixture(t)
	g, _ := cloud.Group("us-east-1", "shop-use1")
	cloud.SetTargetHealth("us-east-1", g.Instances[1].ID, awsfake.TargetUnhealthy)
	_, err := Bake(clients, topo, 10*time.Millisecond)(context.Background(), "us-east-1", 10*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 targets unhealthy") || !strings.Contains(err.Error(), g.Instances[1].ID+" (Target.ResponseCodeMismatch)") {
		t.Fatalf("bake: %v", err)
	}
	// too few requests to judge a rate, but healthy again: it passes
	cloud.SetTargetHealth("us-east-1", g.Instances[1].ID, awsfake.TargetHealthy)
	msg, err := Bake(clients, topo, 10*time.Millisecond)(context.Background(), "us-east-1", time.Minute)
	if err != nil || !strings.Contains(msg, "too few to judge") {
		t.Fatalf("bake after recovery: %q %v", msg, err)
	}
}

func TestAWSBakeNeedsTheServicesTargetGroup(t *testing.T) {
	_, clients, topo, _ := bakeFixture(t)
	_, err := Bake(clients, topo, 10*time.Millisecond)(context.Background(), "us-west-2", time.Minute)
	if !errors.Is(err, awsrunbook.ErrNotFound) {
		t.Fatalf("bake of a region with no target group: %v", err)
	}
}

// The blue-green hook of the AWS target: the image from the region's
// manifest, where the service stood from the stack's outputs, and the
// serving group's size from Auto Scaling (the fake), so a scaled-out
// service is not switched onto a smaller group.
func TestAWSBlueGreenTargets(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	images := filepath.Join(root, "images")
	topo, err := (&topology.Loader{Images: topology.ImageDir(images)}).LoadFile(filepath.Join(root, "environments", "prod.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	awsfake.UseFakeCredentials(t)
	cloud := awsfake.NewCloud()
	t.Cleanup(cloud.Close)
	cloud.AddGroup(awsfake.Group{Name: "prod-shop-1", Region: "us-west-2", Min: 3, Max: 12, Desired: 7,
		Subnets: []awsfake.Subnet{{ID: "subnet-a", Zone: "us-west-2a"}},
		Tags:    map[string]string{"bulwark:env": "prod", "bulwark:region": "us-west-2", "bulwark:service": "shop", "bulwark:colour": "green"}})
	clients, err := awsrunbook.NewClients(context.Background(), awsrunbook.ClientOptions{Endpoint: cloud.URL(), MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hook := BlueGreen(clients, topo, images)
	// never deployed: the image, no previous state, no serving count
	first, err := hook(context.Background(), "us-west-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := awsmodule.ServiceImage(topo, "us-west-2", topo.Services[0], images)
	if got := first["shop"]; len(first) != 1 || got.Image != want || got.Previous != nil || got.Serving != 0 || !strings.HasPrefix(want.Digest, "ami-") {
		t.Errorf("first deploy: %+v, want image %+v", first, want)
	}
	// deployed: green serves 7 (scaled out)
	outputs := map[string]any{"services": map[string]any{"shop": map[string]any{"blue_green": map[string]any{
		"live": "green", "groups": map[string]any{"green": map[string]any{"group": "prod-shop-1", "image": "ami-0123", "build": "b1"}},
	}}}}
	next, err := hook(context.Background(), "us-west-2", outputs)
	if err != nil {
		t.Fatal(err)
	}
	got := next["shop"]
	if got.Previous == nil || got.Previous.Live != topology.Green || got.Previous.Groups[topology.Green] != (topology.ImageRef{Digest: "ami-0123", Build: "b1"}) || got.Serving != 7 {
		t.Errorf("deployed: %+v (previous %+v)", got, got.Previous)
	}
}

// A canary that failed its bake on AWS goes back to what it ran before,
// read from its own stack's outputs (an AMI is its region's own).
func TestAWSPreviousImagesAreTheCanaryStacksOwn(t *testing.T) {
	topo := &topology.Topology{Services: []topology.Service{
		{Name: "shop", Regions: []string{"us-east-1", "us-west-2"}, Rollout: topology.Rollout{Strategy: topology.RolloutCanary}},
		{Name: "api", Regions: []string{"us-east-1"}, Rollout: topology.Rollout{Strategy: topology.RolloutRolling}},
	}}
	before := map[string]any{"services": map[string]any{
		"shop": map[string]any{"image": "ami-east-old", "image_build": "2026-11-01"},
		"api":  map[string]any{"image": "ami-api"},
	}}
	pins, err := PreviousImages(topo)(context.Background(), "us-east-1", before)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || pins["shop"] != (topology.ImageRef{Digest: "ami-east-old", Build: "2026-11-01"}) {
		t.Errorf("pins %v, want shop's image from before", pins)
	}
	if _, err := PreviousImages(topo)(context.Background(), "us-east-1", map[string]any{}); !errors.Is(err, awsrunbook.ErrNotFound) {
		t.Errorf("no outputs from before: %v", err)
	}
}
