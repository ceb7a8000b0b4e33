package awsrunbook

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
)

// These tests run the steps against awsfake.Cloud (not AWS) on a clock 600
// times as fast as the wall clock, with AWS-like timings: a failover takes
// its minute and a half, a restore job its ten minutes, on that clock.

const scale = 600

func newTimedClients(t *testing.T, timings awsfake.Timings) (*Clients, *CopyClients, *awsfake.Cloud, *clock.Scaled) {
	t.Helper()
	clk := clock.NewScaled(scale)
	cloud := awsfake.NewCloud()
	cloud.Clock, cloud.Timings = clk, timings
	t.Cleanup(cloud.Close)
	awsfake.UseFakeCredentials(t)
	ctx := context.Background()
	c, err := NewClients(ctx, ClientOptions{Endpoint: cloud.URL(), MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Poll, c.Clock = 5*time.Millisecond, clk
	cc, err := NewCopyClients(ctx, ClientOptions{Endpoint: cloud.URL()})
	if err != nil {
		t.Fatal(err)
	}
	cc.Clock, cc.Poll = clk, 5*time.Millisecond
	return c, cc, cloud, clk
}

func seqs(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// writeAll writes seqs into a cluster as the service would.
func writeAll(t *testing.T, cloud *awsfake.Cloud, region, cluster string, s []int64) {
	t.Helper()
	for _, n := range s {
		if err := cloud.Write(region, cluster, n); err != nil {
			t.Fatal(err)
		}
	}
}

func rowsOf(t *testing.T, cloud *awsfake.Cloud, region, cluster string) []int64 {
	t.Helper()
	got, err := cloud.Rows(region, cluster, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A global database replicates each write to its secondaries after the
// replication lag. A failover (data loss allowed) promotes the secondary
// with what had reached it: the writes of the last lag before it are lost,
// from every member. A switchover first catches the secondary up: nothing
// is lost. Each takes its time on the clock. The lag, 10 minutes (a
// secondary far behind), outlasts both, so that only a switchover's
// catching up, not time, brings the last writes over.
func TestGlobalWriterMovesWithTheDataItHas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dataLoss bool
		want     []int64
		takes    time.Duration
	}{
		{"failover", true, seqs(1, 5), 90 * time.Second},
		{"switchover", false, seqs(1, 8), 3 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, cloud, clk := newTimedClients(t, awsfake.Timings{ReplicationLag: 10 * time.Minute, GlobalFailover: 90 * time.Second, GlobalSwitchover: 3 * time.Minute})
			cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "prod-shop", Members: []awsfake.DBCluster{
				{Identifier: "prod-shop-us-east-1", Region: "us-east-1", Writer: true},
				{Identifier: "prod-shop-us-west-2", Region: "us-west-2"},
			}})
			ctx := context.Background()
			writeAll(t, cloud, "us-east-1", "prod-shop-us-east-1", seqs(1, 5))
			if got := rowsOf(t, cloud, "us-west-2", "prod-shop-us-west-2"); len(got) != 0 {
				t.Fatalf("the secondary holds %v at once; replication takes its lag", got)
			}
			if err := clk.Sleep(ctx, 11*time.Minute); err != nil {
				t.Fatal(err)
			}
			if got := rowsOf(t, cloud, "us-west-2", "prod-shop-us-west-2"); !slices.Equal(got, seqs(1, 5)) {
				t.Fatalf("the secondary holds %v after the lag, want 1..5", got)
			}
			writeAll(t, cloud, "us-east-1", "prod-shop-us-east-1", seqs(6, 8)) // not replicated yet
			if err := cloud.Write("us-west-2", "prod-shop-us-west-2", 99); !errors.Is(err, awsfake.ErrReadOnly) {
				t.Fatalf("a write to the secondary: %v, want ErrReadOnly", err)
			}

			start := clk.Now()
			if _, err := c.MoveWriter(ctx, "prod-shop", "us-west-2", tc.dataLoss, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if took := clock.Since(clk, start); took < tc.takes {
				t.Errorf("the %s took %s on the clock, want at least %s", tc.name, took, tc.takes)
			}
			for _, region := range []string{"us-west-2", "us-east-1"} {
				if got := rowsOf(t, cloud, region, "prod-shop-"+region); !slices.Equal(got, tc.want) {
					t.Errorf("%s holds %v after the %s, want %v", region, got, tc.name, tc.want)
				}
			}
			if err := cloud.Write("us-east-1", "prod-shop-us-east-1", 9); !errors.Is(err, awsfake.ErrReadOnly) {
				t.Errorf("a write to the old writer: %v, want ErrReadOnly", err)
			}
			if err := cloud.Write("us-west-2", "prod-shop-us-west-2", 9); err != nil {
				t.Errorf("a write to the new writer: %v", err)
			}
		})
	}
}

// While the writer moves, no member takes writes.
func TestNoWritesWhileTheWriterMoves(t *testing.T) {
	c, _, cloud, _ := newTimedClients(t, awsfake.Timings{})
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "g", Members: []awsfake.DBCluster{
		{Identifier: "g-a", Region: "us-east-1", Writer: true}, {Identifier: "g-b", Region: "us-west-2"},
	}})
	g, _ := cloud.GlobalCluster("g")
	arn := g.Members[1].ARN()
	if _, err := c.RDS("us-west-2").FailoverGlobalCluster(context.Background(), &rds.FailoverGlobalClusterInput{
		GlobalClusterIdentifier: aws.String("g"), TargetDbClusterIdentifier: aws.String(arn), AllowDataLoss: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []awsfake.DBCluster{g.Members[0], g.Members[1]} {
		if err := cloud.Write(m.Region, m.Identifier, 1); !errors.Is(err, awsfake.ErrUnreachable) {
			t.Errorf("a write to %s while failing over: %v, want ErrUnreachable", m.Identifier, err)
		}
	}
}

// A restored copy holds what its source held at the recovery point's time,
// has no instance until one is made (and answers no query until then), and
// answers through the RDS Data API once its endpoint is on, signing in with
// the service's secret, whose ARN ends in six random characters.
func TestRestoredCopyAnswersThroughTheDataAPI(t *testing.T) {
	c, cc, cloud, clk := newTimedClients(t, awsfake.Timings{})
	ctx := context.Background()
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "prod-shop", Members: []awsfake.DBCluster{
		{Identifier: "prod-shop-us-east-1", Region: "us-east-1", Writer: true, MasterUsername: "bulwark", MasterPassword: "Adm1nPassw0rd", DatabaseName: "shop"},
		{Identifier: "prod-shop-us-west-2", Region: "us-west-2"},
	}})
	src := "arn:aws:rds:us-east-1:123456789012:cluster:prod-shop-us-east-1"
	empty := cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "prod-shop", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: clk.Now()})
	writeAll(t, cloud, "us-east-1", "prod-shop-us-east-1", seqs(1, 3))
	if err := clk.Sleep(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "prod-shop", Region: "us-west-2", ResourceARN: src, ResourceType: "Aurora", Created: clk.Now()})
	writeAll(t, cloud, "us-east-1", "prod-shop-us-east-1", seqs(4, 5)) // after the point
	// the copy signs in as the master user, whose password no rotation changes
	secret := cloud.AddSecret("us-west-2", "bulwark/prod/shop/database-admin")
	if err := cloud.PutSecretString("bulwark/prod/shop/database-admin", `{"engine":"postgres","username":"bulwark","password":"Adm1nPassw0rd","dbname":"shop"}`); err != nil {
		t.Fatal(err)
	}

	p, err := c.NewestRecoveryPoint(ctx, "us-west-2", "prod-shop", "Aurora")
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	if _, err := c.RestoreCluster(ctx, p, "arn:aws:iam::123456789012:role/restore", "prod-shop-drill-1", nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	if took := clock.Since(clk, start); took < 15*time.Minute {
		t.Errorf("the restore took %s on the clock, want at least the job's 10m and the cluster's 5m", took)
	}
	cp := &Copy{Region: "us-west-2", Cluster: "prod-shop-drill-1"}
	if err := cc.AddInstance(ctx, cp, "db.t4g.medium", time.Hour); err == nil || !strings.Contains(err.Error(), "T instance classes") {
		t.Errorf("a T instance class: %v", err)
	}
	// no instance yet: the Data API cannot answer, whatever else is set up
	out, _ := c.RDS("us-west-2").DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cp.Cluster)})
	early := Copy{Region: "us-west-2", Cluster: cp.Cluster, ARN: aws.ToString(out.DBClusters[0].DBClusterArn), Secret: secret}
	if _, err := cc.AwaitQuery(ctx, early, time.Minute); errorCode(err) != "HttpEndpointNotEnabledException" {
		t.Errorf("a query before the Data API is enabled: %v", err)
	}

	start = clk.Now()
	if err := cc.AddInstance(ctx, cp, "db.r6g.large", time.Hour); err != nil {
		t.Fatal(err)
	}
	if took := clock.Since(clk, start); took < 8*time.Minute {
		t.Errorf("the instance took %s on the clock, want at least 8m", took)
	}
	if err := cc.OpenDataAPI(ctx, cp, "bulwark/prod/shop/database-admin", "shop"); err != nil {
		t.Fatal(err)
	}
	if cp.Secret != secret || !regexp.MustCompile(`^arn:aws:secretsmanager:us-west-2:123456789012:secret:bulwark/prod/shop/database-admin-[A-Za-z0-9]{6}$`).MatchString(cp.Secret) {
		t.Errorf("secret ARN %q, want the one Secrets Manager made (%s)", cp.Secret, secret)
	}
	if _, err := cc.AwaitQuery(ctx, *cp, time.Minute); err != nil {
		t.Fatal(err)
	}
	held, err := cc.Writes(ctx, *cp, 1, 100)
	if err != nil || !slices.Equal(held, seqs(1, 3)) {
		t.Errorf("the copy holds %v (%v), want 1..3: what the source held at the recovery point", held, err)
	}

	// RDS deletes no cluster with a live instance; DeleteCopy removes both
	if _, err := c.RDS("us-west-2").DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(cp.Cluster), SkipFinalSnapshot: aws.Bool(true)}); errorCode(err) != "InvalidDBClusterStateFault" {
		t.Errorf("deleting a cluster with its instance: %v", err)
	}
	for range 2 { // a rerun finds nothing left and is fine
		if err := cc.DeleteCopy(ctx, "us-west-2", cp.Cluster); err != nil {
			t.Fatal(err)
		}
	}
	if got := cloud.DBClusters("us-west-2"); !slices.Equal(got, []string{"prod-shop-us-west-2"}) {
		t.Errorf("clusters left: %v", got)
	}
	if got := cloud.DBInstances("us-west-2"); len(got) != 0 {
		t.Errorf("instances left: %v", got)
	}

	// a copy of the database before its first write has no writes table: it holds none
	old := RecoveryPoint{ARN: empty, Vault: "prod-shop", Region: "us-west-2", ResourceARN: src}
	if _, err := c.RestoreCluster(ctx, old, "arn:aws:iam::123456789012:role/restore", "prod-shop-drill-2", nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	cp = &Copy{Region: "us-west-2", Cluster: "prod-shop-drill-2"}
	if err := cc.AddInstance(ctx, cp, "db.r6g.large", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := cc.OpenDataAPI(ctx, cp, "bulwark/prod/shop/database-admin", "shop"); err != nil {
		t.Fatal(err)
	}
	if held, err := cc.Writes(ctx, *cp, 1, 100); err != nil || len(held) != 0 {
		t.Errorf("a copy from before the first write holds %v (%v), want none", held, err)
	}
	if err := cc.OpenDataAPI(ctx, cp, "bulwark/prod/other/database", "other"); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("a secret that does not exist: %v", err)
	}
}

// A wait on the clock ends at its limit on the clock, wrapping ErrTimeout.
func TestCopyWaitsAreBoundedOnTheClock(t *testing.T) {
	_, cc, _, clk := newTimedClients(t, awsfake.Timings{})
	start := time.Now()
	err := cc.waitFor(context.Background(), "never", 10*time.Minute, func() (bool, error) { return false, nil })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if wall := time.Since(start); wall > clk.Wall(10*time.Minute)+2*time.Second {
		t.Errorf("the wait took %s of wall time, want about %s", wall, clk.Wall(10*time.Minute))
	}
}
