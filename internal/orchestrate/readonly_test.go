package orchestrate

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// watchTopology makes o check, as each stack's program is built, that it
// is built from the very topology o was given and that this topology is
// still equal to want (a deep copy of it: the same file loaded again). A
// write the orchestrator undid before it returned (a pin set for one run,
// then cleared) is seen too. It returns how many programs were built and
// what they were given.
func watchTopology(t *testing.T, o *Orchestrator, want *topology.Topology) func() []stacks.RunInputs {
	t.Helper()
	given, build := o.Topology, o.program
	if build == nil {
		build = stacks.Program
	}
	var mu sync.Mutex
	var seen []stacks.RunInputs
	o.program = func(tp *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error) {
		switch {
		case tp != given:
			t.Errorf("%s: the program was built from another topology than the one the orchestrator was given", ref)
		case !reflect.DeepEqual(tp, want):
			t.Errorf("%s: the orchestrator changed the topology it was given: %+v", ref, *tp)
		}
		mu.Lock()
		seen = append(seen, in)
		mu.Unlock()
		return build(tp, in, ref)
	}
	return func() []stacks.RunInputs {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// canaryBlueGreenSrc has a canary service and a blue-green one in the
// canary region: a canary that fails its bake is rolled back with its
// pins while the blue-green service goes through its phases.
const canaryBlueGreenSrc = `
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
service "api" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "api.test" }
  rollout {
    strategy = "canary"
    canary   = "west"
    bake     = "2s"
  }
}
`

// The orchestrator never writes the topology it was given, whatever it
// learns while running: every verb, a canary rolled back while a
// blue-green service goes through its phases, the regions' outputs read
// from the state for the global stack, the layers' outputs.
func TestTheOrchestratorNeverWritesTheTopology(t *testing.T) {
	load := func(t *testing.T, src string) *topology.Topology {
		t.Helper()
		tp, err := (&topology.Loader{}).Load("dev.hcl", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	ctx := context.Background()

	t.Run("canary rolled back, blue-green phases", func(t *testing.T) {
		c := newBGCloud()
		image := "ami-1"
		o := &Orchestrator{Engine: c, Topology: load(t, canaryBlueGreenSrc), program: c.program,
			BlueGreen: func(_ context.Context, region string, outputs map[string]any) (map[string]BlueGreenTarget, error) {
				target := BlueGreenTarget{Image: topology.ImageRef{Digest: image + "-" + region}, Serving: 2}
				if st, ok := outputs["blue_green"].(map[string]topology.BlueGreenState); ok {
					prev := st["shop"]
					target.Previous = &prev
				}
				return map[string]BlueGreenTarget{"shop": target}, nil
			},
			Bake: func(_ context.Context, region string, d time.Duration) (string, error) {
				if d == 2*time.Second { // the canary's bake; the blue-green one passes
					return "", errors.New("5xx")
				}
				return "healthy", nil
			},
			PreviousImages: func(context.Context, string, map[string]any) (map[string]topology.ImageRef, error) {
				return map[string]topology.ImageRef{"api": {Digest: "sha256:old", Path: "/images/old/api"}}, nil
			},
		}
		seen := watchTopology(t, o, load(t, canaryBlueGreenSrc))
		if _, err := o.Up(ctx); err != nil { // a first deploy: every region at once
			t.Fatal(err)
		}
		image = "ami-2"
		sum, err := o.Up(ctx)
		if got := stackOrder(sum); !errors.Is(err, ErrFailed) || got != "dev.west:ok,bake west:failed,rollback west:ok,dev.east:skipped,dev.global:skipped" {
			t.Fatalf("the canary was not rolled back: %s, %v", got, err)
		}
		for _, verb := range []func(context.Context) (Summary, error){o.Preview, o.Refresh, o.Drift, o.Destroy} {
			if _, err := verb(ctx); err != nil {
				t.Fatal(err)
			}
		}
		pinnedInAPhase := false
		for _, in := range seen() {
			pinnedInAPhase = pinnedInAPhase || in.ImageOverrides != nil && in.BlueGreen != nil
		}
		if !pinnedInAPhase {
			t.Error("no program was given a canary's pins with a blue-green phase: the test no longer covers it")
		}
		if !reflect.DeepEqual(o.Topology, load(t, canaryBlueGreenSrc)) {
			t.Errorf("the topology changed: %+v", *o.Topology)
		}
	})

	t.Run("canary baked, regions' outputs from the state", func(t *testing.T) {
		f := &fakeEngine{state: map[string]map[string]any{"dev.east": {"a": "1"}, "dev.west": {"b": "2"}, "dev.north": {"c": "3"}}}
		o := &Orchestrator{Engine: f, Topology: canaryTopo(t), Bake: func(context.Context, string, time.Duration) (string, error) { return "healthy", nil }}
		seen := watchTopology(t, o, canaryTopo(t))
		for _, verb := range []func(context.Context) (Summary, error){o.Up, o.Preview, o.Refresh, o.Drift, o.Destroy} {
			if _, err := verb(ctx); err != nil {
				t.Fatal(err)
			}
		}
		fromState := false
		for _, in := range seen() {
			fromState = fromState || in.RegionOutputs != nil
		}
		if !fromState {
			t.Error("no program was given the regions' outputs: the test no longer covers it")
		}
		if !reflect.DeepEqual(o.Topology, canaryTopo(t)) {
			t.Errorf("the topology changed: %+v", *o.Topology)
		}
	})

	t.Run("layers' outputs", func(t *testing.T) {
		dir := t.TempDir()
		o := &Orchestrator{Engine: &fakeEngine{}, Topology: layeredTopoIn(t, dir), Layers: &fakeLayers{outs: map[string]map[string]any{"bootstrap": {"bucket": "kept"}}}}
		seen := watchTopology(t, o, layeredTopoIn(t, dir))
		for _, verb := range []func(context.Context) (Summary, error){o.Up, o.Destroy} {
			if _, err := verb(ctx); err != nil {
				t.Fatal(err)
			}
		}
		layered := false
		for _, in := range seen() {
			layered = layered || in.LayerOutputs["bootstrap"] != nil
		}
		if !layered {
			t.Error("no program was given the layers' outputs: the test no longer covers it")
		}
		if !reflect.DeepEqual(o.Topology, layeredTopoIn(t, dir)) {
			t.Errorf("the topology changed: %+v", *o.Topology)
		}
	})
}
