package localprovider_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

const canaryEnv = `# A canary rollout of a service with no data tier: west first, baked, then east.
environment "canary" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 28180
  capacity {
    min     = 2
    desired = 2
    max     = 3
  }
  health {
    interval        = "500ms"
    unhealthy_after = 2
  }
  dns {
    zone = "canary.test"
    ttl  = 1
  }
  rollout {
    strategy = "canary"
    canary   = "west"
    bake     = "3s"
  }
}
`

const blueGreenEnv = `# Blue-green in one region: a second set beside the first, switched at the load balancer.
environment "bluegreen" {
  target = "local"
}
region "east" { primary = true }
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 28280
  capacity {
    min     = 2
    desired = 2
    max     = 2
  }
  health {
    interval        = "500ms"
    unhealthy_after = 2
  }
  dns {
    zone = "bluegreen.test"
    ttl  = 1
  }
  rollout {
    strategy = "blue-green"
    bake     = "2s"
  }
}
`

// rolloutProject writes a project in testdata (inside the module, which
// image builds need) with the shop and two variants of it: one whose
// health checks fail, one that works.
func rolloutProject(t *testing.T) string {
	t.Helper()
	root := repoRoot()
	dir, err := os.MkdirTemp("testdata", "rollout-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	dir, _ = filepath.Abs(dir)
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(dir, "environments"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "environments", "canary.hcl"), []byte(canaryEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "environments", "bluegreen.hcl"), []byte(blueGreenEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	healthy := `reply(w, http.StatusOK, map[string]any{"status": "ok"})`
	index := `reply(w, http.StatusOK, map[string]any{})`
	for name, change := range map[string][2]string{
		"shop":   {healthy, healthy},
		"broken": {healthy, `reply(w, http.StatusInternalServerError, map[string]any{"status": "broken"})`},
		"better": {healthy, `reply(w, http.StatusOK, map[string]any{"status": "ok", "build": "better"})`},
		// healthy, but every page fails: only the error rate shows it
		"flaky": {index, `reply(w, http.StatusInternalServerError, map[string]any{"error": "flaky"})`},
	} {
		img := filepath.Join(dir, "images", name)
		if err := os.CopyFS(img, os.DirFS(filepath.Join(root, "images", "shop"))); err != nil {
			t.Fatal(err)
		}
		src, _ := os.ReadFile(filepath.Join(img, "handler.go"))
		if !strings.Contains(string(src), change[0]) {
			t.Fatalf("the shop's handler no longer has %s: update this test", change[0])
		}
		if err := os.WriteFile(filepath.Join(img, "handler.go"), []byte(strings.Replace(string(src), change[0], change[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func digests(t *testing.T, ctx context.Context, c *localapi.Client, id localapi.ServiceID) []string {
	t.Helper()
	g, err := localapi.Get(ctx, c, localapi.Groups, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range g.Instances {
		if in.State == "healthy" {
			out = append(out, in.Digest)
		}
	}
	return out
}

// On the local target, end to end through the engine: a canary rollout of
// an image whose health checks fail is rolled back in the canary region
// and never reaches the other; a good image goes to the canary, is baked,
// then reaches every region.
func TestCanaryRolloutEndToEnd(t *testing.T) {
	project := rolloutProject(t)
	r, state := localEngine(t)
	plane := localcloud.Dir(state)
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(project, "images"))}
	topo, err := l.LoadFile(filepath.Join(project, "environments", "canary.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c := localcloud.Dial(plane)
	westShop := localapi.ServiceID{Env: "canary", Region: "west", Service: "shop"}
	eastShop := localapi.ServiceID{Env: "canary", Region: "east", Service: "shop"}
	var decisions []string
	o := &orchestrate.Orchestrator{Engine: r, Topology: topo, Bake: localtarget.Bake(c, topo), PreviousImages: localtarget.PreviousImages(c, topo), Progress: func(e engine.Event) {
		if e.Severity == "decision" {
			decisions = append(decisions, e.Stack+": "+e.Message)
		}
	}}
	if _, err := o.Up(ctx); err != nil {
		t.Fatalf("first up: %v", err)
	}
	t.Cleanup(func() {
		if _, err := o.Destroy(context.Background()); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	good := digests(t, ctx, c, eastShop)
	if len(good) != 2 || good[0] != good[1] {
		t.Fatalf("east after the first up: %v", good)
	}

	// the broken image: west rolls it back by itself, east never sees it
	topo.Services[0].Image = "broken"
	sum, err := o.Up(ctx)
	if !errors.Is(err, orchestrate.ErrFailed) || !strings.Contains(err.Error(), "rollout rolled back") {
		t.Fatalf("up of a broken image: %v", err)
	}
	if sum.Results[0].Stack != "canary.west" || sum.Results[1].Status != orchestrate.StatusSkipped {
		t.Errorf("results %+v", sum.Results)
	}
	for _, id := range []localapi.ServiceID{westShop, eastShop} {
		if got := digests(t, ctx, c, id); len(got) != 2 || got[0] != good[0] || got[1] != good[0] {
			t.Errorf("%s after the broken rollout runs %v, want the good image %s twice", id.Region, got, good[0])
		}
	}

	// a good image: west, its bake, then east
	topo.Services[0].Image = "better"
	decisions = nil
	sum, err = o.Up(ctx)
	if err != nil {
		t.Fatalf("up of a good image: %v\n%s", err, strings.Join(decisions, "\n"))
	}
	var order []string
	for _, res := range sum.Results {
		order = append(order, res.Stack)
	}
	if strings.Join(order, ",") != "canary.west,bake west,canary.east,canary.global" {
		t.Errorf("order %v", order)
	}
	west, east := digests(t, ctx, c, westShop), digests(t, ctx, c, eastShop)
	if len(west) != 2 || len(east) != 2 || west[0] == good[0] || east[0] != west[0] || east[1] != west[0] {
		t.Errorf("after the good rollout: west %v, east %v (the old image %s)", west, east, good[0])
	}
	if !strings.Contains(strings.Join(decisions, "\n"), "canary: changed; baking 3s") {
		t.Errorf("decisions:\n%s", strings.Join(decisions, "\n"))
	}

	// an image whose health checks pass but whose pages fail: the bake
	// reads the canary's error rate from its load balancer, and stops there
	westLB, err := localapi.Get(ctx, c, localapi.Balancers, westShop)
	if err != nil {
		t.Fatal(err)
	}
	traffic, stopTraffic := context.WithCancel(ctx)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		client := &http.Client{Timeout: time.Second}
		for traffic.Err() == nil {
			if resp, err := client.Get("http://" + westLB.Address + "/"); err == nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	topo.Services[0].Image = "flaky"
	sum, err = o.Up(ctx)
	stopTraffic()
	<-sent
	if err == nil || !strings.Contains(err.Error(), "did not pass its bake") || !strings.Contains(err.Error(), "with a 5xx") {
		t.Fatalf("up of an image whose pages fail: %v", err)
	}
	if got := digests(t, ctx, c, eastShop); len(got) != 2 || got[0] != west[0] {
		t.Errorf("east after the failed bake runs %v, want %s: the rollout stopped at the canary", got, west[0])
	}
	// and the canary went back to the image east runs
	var rolledBack bool
	for _, res := range sum.Results {
		rolledBack = rolledBack || res.Stack == "rollback west" && res.Status == orchestrate.StatusOK
	}
	if got := digests(t, ctx, c, westShop); !rolledBack || len(got) != 2 || got[0] != west[0] || got[1] != west[0] {
		t.Errorf("west after the failed bake runs %v (rolled back: %v), want the previous image %s", got, rolledBack, west[0])
	}
}

// Blue-green through the engine: a client sending requests to the region's
// load balancer all along sees none fail while a good image replaces every
// instance at once, nor while a broken one is tried and rolled back.
func TestBlueGreenEndToEnd(t *testing.T) {
	project := rolloutProject(t)
	r, state := localEngine(t)
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(project, "images"))}
	topo, err := l.LoadFile(filepath.Join(project, "environments", "bluegreen.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c := localcloud.Dial(localcloud.Dir(state))
	eastShop := localapi.ServiceID{Env: "bluegreen", Region: "east", Service: "shop"}
	o := &orchestrate.Orchestrator{Engine: r, Topology: topo}
	sum, err := o.Up(ctx)
	if err != nil {
		t.Fatalf("first up: %v", err)
	}
	t.Cleanup(func() {
		if _, err := o.Destroy(context.Background()); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	services, _ := sum.Results[0].Outputs["services"].(map[string]any)
	shop, _ := services["shop"].(map[string]any)
	endpoint, _ := shop["endpoint"].(string)
	before := digests(t, ctx, c, eastShop)

	var sent, failed atomic.Int64
	probe, stop := context.WithCancel(ctx)
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		client := &http.Client{Timeout: 2 * time.Second}
		for probe.Err() == nil {
			resp, err := client.Get("http://" + endpoint + "/")
			sent.Add(1)
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	topo.Services[0].Image = "better"
	if _, err := o.Up(ctx); err != nil {
		t.Fatalf("up of a good image: %v", err)
	}
	after := digests(t, ctx, c, eastShop)
	topo.Services[0].Image = "broken"
	if _, err := o.Up(ctx); err == nil || !strings.Contains(err.Error(), "rollout rolled back") {
		t.Errorf("up of a broken image: %v", err)
	}
	stop()
	<-probed
	if len(after) != 2 || after[0] == before[0] || after[0] != after[1] {
		t.Errorf("instances before %v, after %v", before, after)
	}
	if got := digests(t, ctx, c, eastShop); len(got) != 2 || got[0] != after[0] {
		t.Errorf("after the broken image: %v, want %v", got, after)
	}
	if sent.Load() < 50 || failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during the switches", failed.Load(), sent.Load())
	}
}
