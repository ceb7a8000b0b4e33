package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// bgCloud is an engine that deploys what the program is given: each up
// records the blue-green state the orchestrator set for the stack and
// serves it back as the stack's outputs. An up that stages a group on the
// unhealthy image fails, as an autoscaling group whose instances never
// become healthy in their target group fails its creation.
type bgCloud struct {
	mu        sync.Mutex
	pending   map[string]map[string]topology.BlueGreenState // set as the program is built
	deployed  map[string]map[string]topology.BlueGreenState
	log       []string
	unhealthy string
}

var _ Engine = (*bgCloud)(nil)

func newBGCloud() *bgCloud {
	return &bgCloud{pending: map[string]map[string]topology.BlueGreenState{}, deployed: map[string]map[string]topology.BlueGreenState{}}
}

// describe is a state as "live:green blue=ami-1 green=ami-2".
func describe(st topology.BlueGreenState) string {
	parts := []string{"live:" + string(st.Live)}
	for _, c := range slices.Sorted(maps.Keys(st.Groups)) {
		parts = append(parts, fmt.Sprintf("%s=%s", c, st.Groups[c].Digest))
	}
	return strings.Join(parts, " ")
}

func (c *bgCloud) program(t *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error) {
	c.mu.Lock()
	c.pending[ref.String()] = in.BlueGreen
	c.mu.Unlock()
	return stacks.Program(t, in, ref)
}

func (c *bgCloud) record(op engine.Op, stack string) (map[string]topology.BlueGreenState, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.pending[stack]
	entry := fmt.Sprintf("%s %s", op, stack)
	if st != nil {
		entry += " shop " + describe(st["shop"])
	}
	c.log = append(c.log, entry)
	return st, entry
}

func (c *bgCloud) Up(_ context.Context, stack string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	st, _ := c.record(engine.OpUp, stack)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range st["shop"].Groups {
		if c.unhealthy != "" && g.Digest == c.unhealthy {
			return engine.Result{Stack: stack, Op: engine.OpUp, Changes: map[string]int{"create": 2}},
				fmt.Errorf("%w: creating autoscaling group: waiting for 2 healthy instances in the target group: timeout", engine.ErrEngine)
		}
	}
	if st != nil {
		c.deployed[stack] = st
	}
	return engine.Result{Stack: stack, Op: engine.OpUp, Changes: map[string]int{"update": 1, "same": 9}}, nil
}

func (c *bgCloud) other(op engine.Op, stack string) (engine.Result, error) {
	c.record(op, stack)
	return engine.Result{Stack: stack, Op: op}, nil
}
func (c *bgCloud) Preview(_ context.Context, s string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return c.other(engine.OpPreview, s)
}
func (c *bgCloud) Refresh(_ context.Context, s string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return c.other(engine.OpRefresh, s)
}
func (c *bgCloud) DriftCheck(_ context.Context, s string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return c.other(engine.OpDrift, s)
}
func (c *bgCloud) Destroy(_ context.Context, s string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return c.other(engine.OpDestroy, s)
}
func (c *bgCloud) Outputs(_ context.Context, stack string, _ bool) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.deployed[stack]
	if !ok {
		return nil, fmt.Errorf("%w: %s", engine.ErrNoStack, stack)
	}
	return map[string]any{"blue_green": st}, nil
}
func (c *bgCloud) StateOutputs(string) (map[string]any, bool) { return nil, false }

func (c *bgCloud) Exists(_ context.Context, stack string) (bool, error) { return true, nil }

// ups is the log's ups of one stack, their states only.
func (c *bgCloud) ups(stack string) []string {
	var out []string
	for _, e := range c.log {
		if s, ok := strings.CutPrefix(e, "up "+stack+" shop "); ok {
			out = append(out, s)
		}
	}
	return out
}

func blueGreenTopo(t *testing.T) *topology.Topology {
	t.Helper()
	src := `
environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
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
    strategy = "blue-green"
    bake     = "3s"
  }
}
`
	tp, err := (&topology.Loader{}).Load("dev.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// bgOrchestrator switches shop in phases: it should run image[region],
// and stood where the stack's outputs say.
func bgOrchestrator(t *testing.T, c *bgCloud, image map[string]string, bake func(region string) error) (*Orchestrator, *[]string) {
	var decisions []string
	var mu sync.Mutex
	o := &Orchestrator{Engine: c, Topology: blueGreenTopo(t), program: c.program,
		BlueGreen: func(_ context.Context, region string, outputs map[string]any) (map[string]BlueGreenTarget, error) {
			target := BlueGreenTarget{Image: topology.ImageRef{Digest: image[region]}, Serving: 3}
			if st, ok := outputs["blue_green"].(map[string]topology.BlueGreenState); ok {
				prev := st["shop"]
				target.Previous = &prev
			}
			return map[string]BlueGreenTarget{"shop": target}, nil
		},
		Bake: func(_ context.Context, region string, d time.Duration) (string, error) {
			c.mu.Lock()
			c.log = append(c.log, "bake "+region+" "+d.String())
			c.mu.Unlock()
			if bake != nil {
				if err := bake(region); err != nil {
					return "", err
				}
			}
			return "healthy", nil
		},
		Progress: func(e engine.Event) {
			if e.Severity == "decision" {
				mu.Lock()
				decisions = append(decisions, e.Stack+": "+e.Message)
				mu.Unlock()
			}
		},
	}
	return o, &decisions
}

func TestBlueGreenStagesSwitchesBakesAndRetires(t *testing.T) {
	c := newBGCloud()
	images := map[string]string{"east": "ami-east-1", "west": "ami-west-1"}
	o, decisions := bgOrchestrator(t, c, images, nil)
	// a first deploy: blue alone, in one up, nothing to bake
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.ups("dev.east"); strings.Join(got, ";") != "live:blue blue=ami-east-1" {
		t.Errorf("first deploy of east: %v", got)
	}
	if slices.ContainsFunc(c.log, func(e string) bool { return strings.HasPrefix(e, "bake") }) {
		t.Errorf("a first deploy was baked: %v", c.log)
	}
	// a new image: stage green, switch, bake, retire blue, in each region
	// with its own image
	c.log = nil
	images["east"], images["west"] = "ami-east-2", "ami-west-2"
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"east", "west"} {
		want := []string{
			fmt.Sprintf("live:blue blue=ami-%s-1 green=ami-%s-2", r, r),
			fmt.Sprintf("live:green blue=ami-%s-1 green=ami-%s-2", r, r),
			fmt.Sprintf("live:green green=ami-%s-2", r),
		}
		if got := c.ups("dev." + r); !slices.Equal(got, want) {
			t.Errorf("%s phases:\n got %v\nwant %v", r, got, want)
		}
		// the bake comes after the switch and before the retirement
		bake := slices.Index(c.log, "bake "+r+" 3s")
		switched := slices.Index(c.log, fmt.Sprintf("up dev.%s shop live:green blue=ami-%s-1 green=ami-%s-2", r, r, r))
		retired := slices.Index(c.log, fmt.Sprintf("up dev.%s shop live:green green=ami-%s-2", r, r))
		if bake < switched || bake > retired {
			t.Errorf("%s: bake at %d, switch at %d, retirement at %d: %v", r, bake, switched, retired, c.log)
		}
	}
	if got := stackOrder(sum); got != "dev.east:ok,dev.west:ok,dev.global:ok" {
		t.Errorf("summary %s", got)
	}
	if r := sum.Results[0]; !strings.Contains(r.Reason, "shop to green (ami-east-2)") || r.Changes["update"] != 3 {
		t.Errorf("east's line: %q, changes %v", r.Reason, r.Changes)
	}
	if !slices.ContainsFunc(*decisions, func(d string) bool { return strings.Contains(d, "switching the listeners") }) {
		t.Errorf("decisions not printed: %v", *decisions)
	}
	// the same image again: one up, green stays
	c.log = nil
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.ups("dev.east"); strings.Join(got, ";") != "live:green green=ami-east-2" {
		t.Errorf("no change: %v", got)
	}
	// the next image goes to blue
	c.log = nil
	images["east"] = "ami-east-3"
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.ups("dev.east"); len(got) != 3 || got[0] != "live:green blue=ami-east-3 green=ami-east-2" || got[2] != "live:blue blue=ami-east-3" {
		t.Errorf("back to blue: %v", got)
	}
	// a preview shows where an up ends; a drift check where it stands
	c.log = nil
	images["east"] = "ami-east-4"
	if _, err := o.Preview(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Drift(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.log, "preview dev.east shop live:green green=ami-east-4") || !slices.Contains(c.log, "drift dev.east shop live:blue blue=ami-east-3") {
		t.Errorf("preview and drift: %v", c.log)
	}
}

func TestBlueGreenKeepsTheOldColourWhenTheNewFails(t *testing.T) {
	c := newBGCloud()
	images := map[string]string{"east": "ami-good", "west": "ami-good"}
	badBake := false
	o, _ := bgOrchestrator(t, c, images, func(region string) error {
		if badBake && region == "east" {
			return errors.New("the load balancer answered 9 of 40 requests with a 5xx")
		}
		return nil
	})
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a group whose instances never become healthy: removed, blue serves
	c.log = nil
	c.unhealthy, images["east"] = "ami-broken", "ami-broken"
	sum, err := o.Up(context.Background())
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "did not become healthy") {
		t.Fatalf("err = %v", err)
	}
	want := []string{"live:blue blue=ami-good green=ami-broken", "live:blue blue=ami-good"}
	if got := c.ups("dev.east"); !slices.Equal(got, want) {
		t.Errorf("unhealthy stage: %v, want %v", got, want)
	}
	if got := stackOrder(sum); got != "dev.east:failed,dev.west:ok,dev.global:skipped" {
		t.Errorf("summary %s", got)
	}
	// healthy, but fails its bake: switched back, green removed
	c.log, c.unhealthy, badBake = nil, "", true
	images["east"] = "ami-5xx"
	_, err = o.Up(context.Background())
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "did not pass their bake") || !strings.Contains(err.Error(), "5xx") {
		t.Fatalf("err = %v", err)
	}
	want = []string{"live:blue blue=ami-good green=ami-5xx", "live:green blue=ami-good green=ami-5xx", "live:blue blue=ami-good"}
	if got := c.ups("dev.east"); !slices.Equal(got, want) {
		t.Errorf("failed bake: %v, want %v", got, want)
	}
}

// A run stopped after its switch left both groups: the next up bakes the
// serving one and retires the other; one stopped after its stage, with a
// group on an image no longer wanted, removes that group before staging.
func TestBlueGreenConvergesAfterAnInterruptedRun(t *testing.T) {
	c := newBGCloud()
	images := map[string]string{"east": "ami-2", "west": "ami-2"}
	o, _ := bgOrchestrator(t, c, images, nil)
	both := map[topology.Colour]topology.ImageRef{topology.Blue: {Digest: "ami-1"}, topology.Green: {Digest: "ami-2"}}
	c.deployed["dev.east"] = map[string]topology.BlueGreenState{"shop": {Live: topology.Green, Groups: both}}
	c.deployed["dev.west"] = map[string]topology.BlueGreenState{"shop": {Live: topology.Blue, Groups: both}}
	images["west"] = "ami-3"
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.ups("dev.east"); strings.Join(got, ";") != "live:green green=ami-2" {
		t.Errorf("east after a stopped switch: %v", got)
	}
	if bake, retire := slices.Index(c.log, "bake east 3s"), slices.Index(c.log, "up dev.east shop live:green green=ami-2"); bake < 0 || bake > retire {
		t.Errorf("east: not baked before the retirement: %v", c.log)
	}
	want := []string{"live:blue blue=ami-1", "live:blue blue=ami-1 green=ami-3", "live:green blue=ami-1 green=ami-3", "live:green green=ami-3"}
	if got := c.ups("dev.west"); !slices.Equal(got, want) {
		t.Errorf("west after a stopped stage:\n got %v\nwant %v", got, want)
	}
}
