//go:build aws

// Tests against a real AWS account: make test-aws. They show what no
// mock or fake here can: that AWS accepts the programs (names, limits,
// settings that exclude each other), that instances and containers really
// get the runtime contract (a write through the service's name reaches
// the database with the credentials from Secrets Manager), and that every
// drill observes recovery with its default flags at AWS's own timings.
//
// They need credentials (the SDK's default chain, and the Pulumi backend
// and passphrase the environment names) and BULWARK_AWS_TEST_ENV: the path
// of an aws environment file of that account, whose images' manifests
// hold AMIs of its regions (bulwark images promote) and whose DNS zones it
// hosts. The environment is deployed, drilled and destroyed. They cost
// money (an Aurora global database, NAT gateways, load balancers for about
// an hour) and take about an hour.
package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

func TestAWSAccountUpDrillDestroy(t *testing.T) {
	env := os.Getenv("BULWARK_AWS_TEST_ENV")
	if env == "" {
		t.Skip("set BULWARK_AWS_TEST_ENV to an aws environment file of the account")
	}
	l := &topology.Loader{Images: topology.ImageDir("../../images")}
	topo, err := l.LoadFile(env)
	if err != nil {
		t.Fatal(err)
	}
	if topo.Environment.Target != topology.TargetAWS {
		t.Fatalf("%s: target %s, want aws", env, topo.Environment.Target)
	}
	if code, out, errOut := inProject(t, "plan", "--env", env); code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() {
		if code, out, errOut := inProject(t, "destroy", "--env", env, "--yes"); code != 0 {
			t.Errorf("destroy: exit %d (clean up by hand)\n%s\n%s", code, out, errOut)
		}
	})
	if code, out, errOut := inProject(t, "up", "--env", env); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errOut)
	}
	// every service answers through its name, and one with a database
	// takes a write: the instances got the runtime contract
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	for _, s := range topo.Services {
		url := "http://" + s.DNS.FQDN()
		if s.HTTPS != nil {
			url = "https://" + s.DNS.FQDN()
		}
		waitStatus(ctx, t, http.MethodGet, url+s.Health.Path, http.StatusOK)
		if s.Database != nil && s.Database.Engine == topology.EnginePostgres {
			waitStatus(ctx, t, http.MethodPost, url+"/writes?seq=1", http.StatusCreated)
		}
	}
	// every scenario, default flags: the deadlines derive from the estimate
	for _, scenario := range []string{"instance-loss", "zone-loss", "region-loss", "db-primary-loss", "backup-restore"} {
		t.Run(scenario, func(t *testing.T) {
			args := []string{"drill", "--env", env, "--scenario", scenario, "--report-dir", t.TempDir()}
			if code, out, errOut := inProject(t, args...); code != 0 {
				t.Errorf("drill %s: exit %d\n%s\n%s", scenario, code, out, errOut)
			}
		})
	}
}

// waitStatus repeats a request until it answers want, for at most ctx's time.
func waitStatus(ctx context.Context, t *testing.T, method, url string, want int) {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(""))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
	t.Fatalf("%s %s never answered %d (last: %s)", method, url, want, last)
}
