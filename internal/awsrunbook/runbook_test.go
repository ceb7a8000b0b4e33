package awsrunbook

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
)

// The tests run the steps through aws-sdk-go-v2's real clients against
// awsfake.Cloud, a loopback fake of the APIs (not AWS), whose state moves
// with AWS-like timings on a clock the steps share, 600 times as fast as
// the wall clock: an instance's minute to launch passes in 100 ms.

func newClients(t *testing.T) (*Clients, *awsfake.Cloud) {
	t.Helper()
	clk := clock.NewScaled(600)
	cloud := awsfake.NewCloud()
	cloud.Clock = clk
	t.Cleanup(cloud.Close)
	awsfake.UseFakeCredentials(t)
	c, err := NewClients(context.Background(), ClientOptions{Endpoint: cloud.URL(), MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Poll, c.Clock = 5*time.Millisecond, clk
	return c, cloud
}

func tags(env, region, service string) map[string]string {
	return map[string]string{"bulwark:env": env, "bulwark:region": region, "bulwark:service": service, "managed-by": "bulwark"}
}

var subnets = []awsfake.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}, {ID: "subnet-b", Zone: "us-east-1b"}, {ID: "subnet-c", Zone: "us-east-1c"}}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestTerminateAndWaitWhole(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	cloud.AddGroup(awsfake.Group{Name: "prod-shop", Region: "us-east-1", Min: 2, Max: 6, Desired: 3, Subnets: subnets, Tags: tags("prod", "us-east-1", "shop")})
	cloud.AddGroup(awsfake.Group{Name: "prod-admin", Region: "us-east-1", Min: 1, Max: 2, Desired: 1, Subnets: subnets, Tags: tags("prod", "us-east-1", "admin")})
	groups, err := c.Groups(ctx, Scope{Environment: "prod", Region: "us-east-1", Service: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Name != "prod-shop" || len(groups[0].InService) != 3 {
		t.Fatalf("groups of shop = %+v, want prod-shop with 3 in service (and not admin's)", groups)
	}
	victim := groups[0].InService[0]
	if err := c.TerminateInstance(ctx, groups[0], victim); err != nil {
		t.Fatal(err)
	}
	g, err := c.WaitWhole(ctx, "us-east-1", "prod-shop", []string{victim}, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.InService) != 3 || slices.Contains(g.InService, victim) {
		t.Errorf("after the loss: %v in service, want 3 without %s", g.InService, victim)
	}
	if err := c.TerminateInstance(ctx, groups[0], victim); apiCode(err) != "ValidationError" {
		t.Errorf("terminating a gone instance: %v, want Auto Scaling's ValidationError", err)
	}
	if _, err := c.Groups(ctx, Scope{Environment: "staging", Region: "us-east-1"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a scope without groups: %v, want ErrNotFound", err)
	}
}

func TestSuspendResumesOnlyWhatItSuspended(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	cloud.AddGroup(awsfake.Group{Name: "g", Region: "us-west-2", Min: 1, Max: 3, Desired: 2, Subnets: subnets, Tags: tags("prod", "us-west-2", "shop"), Suspended: []string{"AZRebalance"}})
	groups, err := c.Groups(ctx, Scope{Environment: "prod", Region: "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	suspended, err := c.Suspend(ctx, groups[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(suspended) != 8 || slices.Contains(suspended, "AZRebalance") {
		t.Errorf("suspended %v, want the 8 processes that were running", suspended)
	}
	if err := c.Resume(ctx, "us-west-2", "g", suspended); err != nil {
		t.Fatal(err)
	}
	if g, _ := cloud.Group("us-west-2", "g"); !slices.Equal(g.Suspended, []string{"AZRebalance"}) {
		t.Errorf("after resume: %v suspended, want only what the operator had suspended before", g.Suspended)
	}
}

func TestHealthChecksInvertedTakeARegionOutOfDNS(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	cloud.Checker = func(awsfake.HealthCheck) bool { return true }
	for i := range 11 { // more than one ListTagsForResources batch
		cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTP", FQDN: "other", Port: 80, Tags: tags("other", "us-east-1", "x"+strings.Repeat("x", i))})
	}
	east := cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTPS", FQDN: "east.elb", Port: 443, Tags: tags("prod", "us-east-1", "shop")})
	west := cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTPS", FQDN: "west.elb", Port: 443, Tags: tags("prod", "us-west-2", "shop")})
	cloud.AddRecord(awsfake.Record{Name: "shop.example.com", SetIdentifier: "us-east-1", Failover: "PRIMARY", HealthCheckID: east, Values: []string{"east.elb"}})
	cloud.AddRecord(awsfake.Record{Name: "shop.example.com", SetIdentifier: "us-west-2", Failover: "SECONDARY", HealthCheckID: west, Values: []string{"west.elb"}})

	checks, err := c.HealthChecks(ctx, Scope{Environment: "prod", Region: "us-east-1", Service: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 || checks[0].ID != east {
		t.Fatalf("checks = %+v, want only %s", checks, east)
	}
	if got := cloud.Answer("shop.example.com"); !slices.Equal(got, []string{"east.elb"}) {
		t.Fatalf("before: DNS answers %v, want the primary", got)
	}
	inverted, err := c.SetInverted(ctx, checks[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if got := cloud.Answer("shop.example.com"); !slices.Equal(got, []string{"west.elb"}) {
		t.Errorf("inverted: DNS answers %v, want the secondary", got)
	}
	if healthy, reported, err := c.CheckStatus(ctx, east); err != nil || healthy != reported || reported == 0 {
		t.Errorf("status of the inverted check = %d/%d %v: the checkers still see the endpoint healthy", healthy, reported, err)
	}
	if _, err := c.SetInverted(ctx, checks[0], false); apiCode(err) != "HealthCheckVersionMismatch" {
		t.Errorf("an update from a stale version: %v, want HealthCheckVersionMismatch", err)
	}
	if _, err := c.SetInverted(ctx, inverted, false); err != nil {
		t.Fatal(err)
	}
	if got := cloud.Answer("shop.example.com"); !slices.Equal(got, []string{"east.elb"}) {
		t.Errorf("restored: DNS answers %v, want the primary", got)
	}
}

func TestMoveWriter(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "prod-shop", Members: []awsfake.DBCluster{
		{Identifier: "prod-shop-us-east-1", Region: "us-east-1", Writer: true},
		{Identifier: "prod-shop-us-west-2", Region: "us-west-2"},
	}})
	g, err := c.MoveWriter(ctx, "prod-shop", "us-west-2", true, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if RegionOfARN(g.Writer) != "us-west-2" {
		t.Fatalf("writer after failover = %s", g.Writer)
	}
	calls := len(cloud.Calls())
	if _, err := c.MoveWriter(ctx, "prod-shop", "us-west-2", true, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, call := range cloud.Calls()[calls:] {
		if strings.Contains(call, "Failover") {
			t.Errorf("a rerun failed over again: %s", call)
		}
	}
	if _, err := c.MoveWriter(ctx, "prod-shop", "us-east-1", false, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, _ := cloud.GlobalCluster("prod-shop")
	if got.Writer().Region != "us-east-1" || got.Failovers != 1 || got.Switchovers != 1 {
		t.Errorf("after switching back: writer %s, %d failovers, %d switchovers; want us-east-1, 1, 1", got.Writer().Region, got.Failovers, got.Switchovers)
	}
	if _, err := c.MoveWriter(ctx, "prod-shop", "eu-west-1", true, time.Second); !errors.Is(err, ErrNotFound) {
		t.Errorf("a region without a member: %v, want ErrNotFound", err)
	}
	if _, err := c.MoveWriter(ctx, "nope", "us-east-1", true, time.Second); apiCode(err) != "GlobalClusterNotFoundFault" {
		t.Errorf("an unknown global cluster: %v", err)
	}
}

func TestRestoreNewestRecoveryPoint(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	src := "arn:aws:rds:us-east-1:123456789012:cluster:prod-shop-us-east-1"
	cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "prod-shop", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: now.Add(-2 * time.Hour)})
	newest := cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "prod-shop", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: now.Add(-time.Hour)})
	cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "prod-shop", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: now, Status: "PARTIAL"})
	cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "other", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: now})

	p, err := c.NewestRecoveryPoint(ctx, "us-west-2", "prod-shop", "Aurora")
	if err != nil {
		t.Fatal(err)
	}
	if p.ARN != newest || !p.Created.Equal(now.Add(-time.Hour)) {
		t.Fatalf("newest = %s at %s, want %s (the newest completed one)", p.ARN, p.Created, newest)
	}
	if _, err := c.RestoreCluster(ctx, p, "", "scratch", nil, time.Second); apiCode(err) != "InvalidParameterValueException" {
		t.Errorf("a restore without a role: %v", err)
	}
	r, err := c.RestoreCluster(ctx, p, "arn:aws:iam::123456789012:role/restore", "prod-shop-drill", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.ResourceARN, ":cluster:prod-shop-drill") || !slices.Contains(cloud.DBClusters("us-west-2"), "prod-shop-drill") {
		t.Fatalf("restored %q; clusters %v", r.ResourceARN, cloud.DBClusters("us-west-2"))
	}
	if err := c.DeleteScratchCluster(ctx, "us-west-2", "prod-shop-drill"); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(cloud.DBClusters("us-west-2"), "prod-shop-drill") {
		t.Error("the scratch cluster is still there")
	}
	if _, err := c.NewestRecoveryPoint(ctx, "us-west-2", "empty-or-missing", "Aurora"); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("a missing vault: %v", err)
	}
	cloud.AddVault("eu-west-1", "prod-shop")
	if _, err := c.NewestRecoveryPoint(ctx, "eu-west-1", "prod-shop", "Aurora"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an empty vault: %v, want ErrNotFound", err)
	}
}

func TestExperimentRunsUntilStopped(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	var started, stopped bool
	cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: "EXT1", Region: "us-east-1", OnStart: func() { started = true }, OnStop: func() { stopped = true }})
	e, err := c.StartExperiment(ctx, "us-east-1", "EXT1", "drill-1", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !started || stopped || e.Status != "running" {
		t.Fatalf("after start: %+v started=%t stopped=%t", e, started, stopped)
	}
	if _, err := c.StartExperiment(ctx, "us-east-1", "EXT1", "drill-2", time.Second); apiCode(err) != "ConflictException" {
		t.Errorf("a second experiment of a running template: %v", err)
	}
	e, err = c.EndExperiment(ctx, e, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !stopped || e.Status != "stopped" {
		t.Errorf("after end: %+v stopped=%t", e, stopped)
	}
	if _, err := c.StartExperiment(ctx, "eu-west-1", "EXT1", "drill-3", time.Second); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("a template of another region: %v", err)
	}
}

// Throttled calls are retried by the SDK's retryer, in each protocol.
func TestThrottlingIsRetried(t *testing.T) {
	c, cloud := newClients(t)
	ctx := context.Background()
	cloud.AddGroup(awsfake.Group{Name: "g", Region: "us-east-1", Min: 1, Max: 1, Desired: 1, Subnets: subnets, Tags: tags("prod", "us-east-1", "shop")})
	cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTP", FQDN: "x", Port: 80, Tags: tags("prod", "us-east-1", "shop")})
	cloud.AddVault("us-east-1", "v")
	count := func(prefix string) int {
		n := 0
		for _, call := range cloud.Calls() {
			if strings.HasPrefix(call, prefix) {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		service, call string
		run           func() error
	}{
		{"autoscaling", "autoscaling DescribeAutoScalingGroups", func() error { _, err := c.Groups(ctx, Scope{Environment: "prod", Region: "us-east-1"}); return err }},
		{"route53", "route53 ListHealthChecks", func() error { _, err := c.HealthChecks(ctx, Scope{Environment: "prod"}); return err }},
		{"backup", "backup ListRecoveryPointsByBackupVault", func() error {
			_, err := c.NewestRecoveryPoint(ctx, "us-east-1", "v", "Aurora")
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}},
	} {
		before := count(tc.call)
		cloud.Throttle(tc.service, 2)
		if err := tc.run(); err != nil {
			t.Errorf("%s throttled twice: %v, want success after retries", tc.service, err)
		}
		if got := count(tc.call) - before; got != 3 {
			t.Errorf("%s: %d calls, want 3 (two throttled, one answered)", tc.call, got)
		}
		cloud.Throttle(tc.service, 100)
		err := tc.run()
		if code := apiCode(err); code != "Throttling" && code != "ThrottlingException" {
			t.Errorf("%s throttled past the retryer: %v, want the throttling error", tc.service, err)
		}
		cloud.Throttle(tc.service, 0)
	}
}

func TestWaitsAreBounded(t *testing.T) {
	c, cloud := newClients(t)
	cloud.Timings.GlobalFailover = 1000 * time.Hour
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "g", Members: []awsfake.DBCluster{
		{Identifier: "g-a", Region: "us-east-1", Writer: true}, {Identifier: "g-b", Region: "us-west-2"},
	}})
	start, began := time.Now(), c.Now()
	_, err := c.MoveWriter(context.Background(), "g", "us-west-2", true, 5*time.Minute)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("a failover that never ends: %v, want ErrTimeout", err)
	}
	if took := c.Now().Sub(began); took < 5*time.Minute || took > 10*time.Minute {
		t.Errorf("the wait lasted %s on the clock, want its limit of 5 minutes", took)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the wait took %s of wall time", time.Since(start))
	}
}
