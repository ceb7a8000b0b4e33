package orchestrate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

func canaryTopo(t *testing.T) *topology.Topology {
	t.Helper()
	src := `
environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
region "north" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "shop.test" }
  rollout {
    strategy = "canary"
    canary   = "west"
    bake     = "2s"
  }
}
`
	l := &topology.Loader{}
	tp, err := l.Load("dev.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func stackOrder(sum Summary) string {
	var out []string
	for _, r := range sum.Results {
		out = append(out, r.Stack+":"+string(r.Status))
	}
	return strings.Join(out, ",")
}

func TestCanaryRegionFirstThenBakeThenTheRest(t *testing.T) {
	f := &fakeEngine{}
	var baked []string
	o := &Orchestrator{Engine: f, Topology: canaryTopo(t), Bake: func(_ context.Context, region string, d time.Duration) (string, error) {
		f.mu.Lock()
		f.log = append(f.log, "bake "+region)
		f.mu.Unlock()
		baked = append(baked, region+" "+d.String())
		return "2/2 healthy throughout", nil
	}}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := stackOrder(sum); got != "dev.west:ok,bake west:ok,dev.east:ok,dev.north:ok,dev.global:ok" {
		t.Errorf("summary: %s", got)
	}
	if strings.Join(baked, ";") != "west 2s" {
		t.Errorf("baked %v", baked)
	}
	if b := f.index("bake west"); b < f.index("end dev.west") || b > f.index("start dev.east") || b > f.index("start dev.north") {
		t.Errorf("the bake is not between the canary and the rest: %v", f.log)
	}
}

func TestAFailedBakeStopsTheRollout(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: canaryTopo(t), Bake: func(context.Context, string, time.Duration) (string, error) {
		return "", errors.New("1 instance replaced during the bake")
	}}
	sum, err := o.Up(context.Background())
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "did not pass its bake") {
		t.Fatalf("err = %v", err)
	}
	if got := stackOrder(sum); got != "dev.west:ok,bake west:failed,dev.east:skipped,dev.north:skipped,dev.global:skipped" {
		t.Errorf("summary: %s", got)
	}
	if f.index("start dev.east") >= 0 || f.index("start dev.global") >= 0 {
		t.Errorf("other stacks ran: %v", f.log)
	}
}

func TestAFailedCanaryStopsTheRollout(t *testing.T) {
	f := &fakeEngine{fail: map[string]bool{"dev.west": true}}
	o := &Orchestrator{Engine: f, Topology: canaryTopo(t), Bake: func(context.Context, string, time.Duration) (string, error) {
		t.Error("baked a failed canary")
		return "", nil
	}}
	sum, _ := o.Up(context.Background())
	if got := stackOrder(sum); got != "dev.west:failed,dev.east:skipped,dev.north:skipped,dev.global:skipped" {
		t.Errorf("summary: %s", got)
	}
}

func TestCanaryNotOnFirstDeployNorForOneRegion(t *testing.T) {
	f := &fakeEngine{existing: map[string]bool{}}
	bakes := 0
	o := &Orchestrator{Engine: f, Topology: canaryTopo(t), Bake: func(context.Context, string, time.Duration) (string, error) { bakes++; return "", nil }}
	sum, err := o.Up(context.Background())
	if err != nil || bakes != 0 || len(sum.Results) != 4 || sum.Results[3].Stack != "dev.global" {
		t.Errorf("first deploy: %s %v, %d bakes", stackOrder(sum), err, bakes)
	}
	// after a destroy the stacks are kept, empty: the next up deploys from
	// nothing, every region at once (a canary region's replica needs the
	// primary's region)
	o.Engine = &fakeEngine{empty: map[string]bool{"dev.west": true, "dev.east": true, "dev.north": true, "dev.global": true}}
	if sum, err := o.Up(context.Background()); err != nil || bakes != 0 || len(sum.Results) != 4 || sum.Results[0].Stack == "dev.west" && sum.Results[1].Status == StatusSkipped {
		t.Errorf("first deploy after a destroy: %s %v, %d bakes", stackOrder(sum), err, bakes)
	}
	o.Engine, o.Region = &fakeEngine{}, "east"
	if sum, err := o.Up(context.Background()); err != nil || bakes != 0 || len(sum.Results) != 2 {
		t.Errorf("one region: %s %v, %d bakes", stackOrder(sum), err, bakes)
	}
}

// A canary that fails its bake is deployed again pinned to the images it
// ran before (named from the canary stack's outputs read before the
// rollout), before the rollout stops. The pins are the rollback's run
// inputs alone.
func TestAFailedBakeRollsTheCanaryBack(t *testing.T) {
	f := &fakeEngine{}
	topo := canaryTopo(t)
	var pinned []map[string]topology.ImageRef // each program's, in order
	o := &Orchestrator{Engine: f, Topology: topo,
		program: func(tp *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error) {
			pinned = append(pinned, in.ImageOverrides) // only the canary runs: one at a time
			return stacks.Program(tp, in, ref)
		},
		Bake: func(context.Context, string, time.Duration) (string, error) { return "", errors.New("5xx") },
		PreviousImages: func(_ context.Context, region string, before map[string]any) (map[string]topology.ImageRef, error) {
			if region != "west" || before["stack"] != "dev.west" {
				t.Errorf("previous images of %s from outputs %v, want west's own", region, before)
			}
			return map[string]topology.ImageRef{"shop": {Digest: "sha256:old", Path: "/images/old/shop"}}, nil
		}}
	f.started = make(chan string, 10)
	sum, _ := o.Up(context.Background())
	close(f.started)
	var runs []string
	for s := range f.started {
		runs = append(runs, s)
	}
	if strings.Join(runs, ",") != "dev.west,dev.west" {
		t.Errorf("stacks run: %v, want the canary and its rollback", runs)
	}
	if got := stackOrder(sum); got != "dev.west:ok,bake west:failed,rollback west:ok,dev.east:skipped,dev.north:skipped,dev.global:skipped" {
		t.Errorf("summary: %s", got)
	}
	if len(pinned) != 2 || pinned[0] != nil || len(pinned[1]) != 1 || pinned[1]["shop"].Digest != "sha256:old" {
		t.Errorf("pins given to the canary's programs: %v, want none, then shop's previous image", pinned)
	}
}

// On aws a canary rollout makes the databases' users too, once every
// region is up and before the global stack.
func TestAWSCanaryRolloutKeepsTheDatabaseUsers(t *testing.T) {
	topo := canaryTopo(t)
	topo.Environment.Target = topology.TargetAWS
	f := &fakeEngine{}
	var after []string
	o := &Orchestrator{Engine: f, Topology: topo, AfterPrimaries: func(_ context.Context, regions []string) (string, error) {
		after = regions
		return "users kept", nil
	}}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := stackOrder(sum); got != "dev.west:ok,dev.east:ok,dev.north:ok,database users:ok,dev.global:ok" {
		t.Errorf("summary: %s", got)
	}
	if len(after) != 3 {
		t.Errorf("the hook ran after %v, want every region", after)
	}
}
