package orchestrate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// fakeLayers records what it was asked to run, with the variables.
type fakeLayers struct {
	mu   sync.Mutex
	log  []string
	fail string
	outs map[string]map[string]any // a layer's outputs in its state
}

func (f *fakeLayers) run(op string, l topology.Layer, vars map[string]cty.Value) (layers.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var vs []string
	for _, k := range []string{"bucket", "endpoint"} {
		if v, ok := vars[k]; ok {
			vs = append(vs, k+"="+v.AsString())
		}
	}
	f.log = append(f.log, strings.TrimSpace(op+" "+l.Name+" "+strings.Join(vs, " ")))
	if f.fail == l.Name {
		return layers.Result{}, fmt.Errorf("%w: layer %s: boom", layers.ErrTerraform, l.Name)
	}
	res := layers.Result{Layer: l.Name, Op: op, Changes: map[string]int{"create": 1}}
	if op == "apply" {
		res.Outputs = map[string]any{"bucket": "state-of-" + l.Name, "token": "t"}
		res.Sensitive = []string{"token"}
	}
	return res, nil
}
func (f *fakeLayers) Apply(_ context.Context, l topology.Layer, v map[string]cty.Value) (layers.Result, error) {
	return f.run("apply", l, v)
}
func (f *fakeLayers) Plan(_ context.Context, l topology.Layer, v map[string]cty.Value) (layers.Result, error) {
	return f.run("plan", l, v)
}
func (f *fakeLayers) Destroy(_ context.Context, l topology.Layer, v map[string]cty.Value) (layers.Result, error) {
	return f.run("destroy", l, v)
}
func (f *fakeLayers) Outputs(_ context.Context, l topology.Layer) (map[string]any, error) {
	return f.outs[l.Name], nil
}

func layeredTopo(t *testing.T) *topology.Topology {
	t.Helper()
	return layeredTopoIn(t, t.TempDir())
}

// layeredTopoIn loads layeredTopo's environment from a project in dir.
func layeredTopoIn(t *testing.T, dir string) *topology.Topology {
	t.Helper()
	_ = os.MkdirAll(filepath.Join(dir, "layers", "m"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "layers", "m", "main.tf"), []byte("# empty\n"), 0o644)
	src := `
environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
layer "report" {
  source = "layers/m"
  after  = ["stacks"]
  vars   = { endpoint = stacks.east.stack, bucket = layers.bootstrap.bucket }
}
layer "bootstrap" {
  source = "layers/m"
}
`
	l := &topology.Loader{Root: dir}
	tp, err := l.Load("dev.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func TestLayersRunInOrderWithTheStacks(t *testing.T) {
	f := &fakeEngine{}
	fl := &fakeLayers{}
	var mu sync.Mutex
	given := map[string]stacks.RunInputs{} // by stack
	o := &Orchestrator{Engine: f, Topology: layeredTopo(t), Layers: fl,
		program: func(tp *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error) {
			mu.Lock()
			given[ref.String()] = in
			mu.Unlock()
			return stacks.Program(tp, in, ref)
		}}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range sum.Results {
		order = append(order, r.Stack)
	}
	if strings.Join(order, ",") != "layer bootstrap,dev.east,dev.west,dev.global,layer report" {
		t.Errorf("order: %v", order)
	}
	if got := strings.Join(fl.log, "; "); got != "apply bootstrap; apply report bucket=state-of-bootstrap endpoint=dev.east" {
		t.Errorf("layers: %s", got)
	}
	// every stack was given the bootstrap layer's outputs, the token as a secret
	for _, stack := range []string{"dev.east", "dev.west", "dev.global"} {
		in := given[stack]
		if in.LayerOutputs["bootstrap"]["bucket"] != "state-of-bootstrap" || len(in.LayerSensitive["bootstrap"]) != 1 || in.LayerSensitive["bootstrap"][0] != "token" {
			t.Errorf("passed to %s: %v %v", stack, in.LayerOutputs, in.LayerSensitive)
		}
	}
	if out := sum.Results[0].Outputs; out["token"] != "[secret]" || out["bucket"] != "state-of-bootstrap" {
		t.Errorf("summary outputs: %v", out)
	}

	// destroy: the other way round; the first layer reads its state's outputs
	fl = &fakeLayers{outs: map[string]map[string]any{"bootstrap": {"bucket": "kept"}}}
	o.Layers, o.Engine = fl, &fakeEngine{}
	if _, err := o.Destroy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(fl.log, "; "); got != "destroy report bucket=kept endpoint=dev.east; destroy bootstrap" {
		t.Errorf("destroy: %s", got)
	}
}

func TestAFailedLayerStopsWhatFollows(t *testing.T) {
	f := &fakeEngine{}
	fl := &fakeLayers{fail: "bootstrap"}
	o := &Orchestrator{Engine: f, Topology: layeredTopo(t), Layers: fl}
	sum, err := o.Up(context.Background())
	if err == nil || len(f.log) != 0 {
		t.Fatalf("err %v; the engine ran %v", err, f.log)
	}
	if sum.Results[0].Status != StatusFailed || sum.Results[1].Status != StatusSkipped || sum.Results[2].Status != StatusSkipped {
		t.Errorf("results %+v", sum.Results)
	}
}

func TestPreviewBeforeTheStacksExist(t *testing.T) {
	f := &fakeEngine{existing: map[string]bool{}}
	fl := &fakeLayers{}
	o := &Orchestrator{Engine: f, Topology: layeredTopo(t), Layers: fl}
	sum, err := o.Preview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	last := sum.Results[len(sum.Results)-1]
	if last.Stack != "layer report" || last.Status != StatusOK || !strings.Contains(last.Reason, "not deployed") {
		t.Errorf("report before the stacks exist: %+v", last)
	}
	if got := strings.Join(fl.log, "; "); got != "plan bootstrap" {
		t.Errorf("layers: %s", got)
	}
}

func TestLayersNeedARunner(t *testing.T) {
	o := &Orchestrator{Engine: &fakeEngine{}, Topology: layeredTopo(t)}
	if _, err := o.Up(context.Background()); err == nil || !strings.Contains(err.Error(), "no Terraform runner") {
		t.Errorf("err = %v", err)
	}
}
