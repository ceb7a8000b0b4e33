package orchestrate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// LayerRunner runs Terraform layers (package layers).
type LayerRunner interface {
	Apply(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (layers.Result, error)
	Plan(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (layers.Result, error)
	Destroy(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (layers.Result, error)
	Outputs(ctx context.Context, l topology.Layer) (map[string]any, error)
}

var _ LayerRunner = (*layers.Runner)(nil)

// LayerPrefix starts a layer's line in a summary ("layer bootstrap").
const LayerPrefix = "layer "

// withLayers runs op over the layers and the stacks in their order
// (reversed for destroy): runStacks is the stacks' part, given the run
// inputs every stack's program gets (the outputs of the layers before
// them). A failure stops everything after it.
func (o *Orchestrator) withLayers(ctx context.Context, op engine.Op, runStacks func(in stacks.RunInputs) (Summary, error)) (Summary, error) {
	if len(o.Topology.Layers) == 0 {
		return runStacks(stacks.RunInputs{})
	}
	if o.Layers == nil {
		return Summary{Op: op}, fmt.Errorf("environment %s declares Terraform layers, but no Terraform runner is set up", o.Topology.Environment.Name)
	}
	order := o.Topology.LayerOrder()
	if op == engine.OpDestroy {
		slices.Reverse(order)
	}
	run := &layerRun{o: o, op: op, layerOuts: map[string]map[string]any{}, stackOuts: map[string]map[string]any{}}
	sum := Summary{Op: op}
	skipRest := func(from int, reason string) {
		for _, n := range order[from:] {
			if n == topology.Stacks {
				sum.Results = append(sum.Results, StackResult{Stack: "stacks", Op: op, Status: StatusSkipped, Reason: reason})
				continue
			}
			sum.Results = append(sum.Results, StackResult{Stack: LayerPrefix + n, Op: op, Status: StatusSkipped, Reason: reason})
		}
	}
	for i, node := range order {
		if ctx.Err() != nil {
			skipRest(i, "cancelled")
			return sum, sum.Err()
		}
		if node == topology.Stacks {
			in, err := run.passLayerOutputs(ctx)
			if err != nil {
				sum.Results = append(sum.Results, StackResult{Stack: "stacks", Op: op, Status: StatusFailed, Err: err})
				skipRest(i+1, "the stacks did not run")
				return sum, sum.Err()
			}
			s, err := runStacks(in)
			sum.Results = append(sum.Results, s.Results...)
			if err != nil && s.Err() == nil {
				return sum, err
			}
			if s.Err() != nil {
				skipRest(i+1, "a stack did not succeed")
				return sum, sum.Err()
			}
			for _, r := range s.Results {
				if r.Outputs != nil {
					run.stackOuts[stackKey(r.Stack)] = r.Outputs
				}
			}
			continue
		}
		r := run.layer(ctx, node)
		sum.Results = append(sum.Results, r)
		if r.Status == StatusFailed {
			skipRest(i+1, fmt.Sprintf("layer %s failed", node))
			return sum, sum.Err()
		}
	}
	return sum, sum.Err()
}

// stackKey is how layer variables name a stack: its region, or "global".
func stackKey(stack string) string {
	if i := strings.LastIndex(stack, "."); i >= 0 {
		return stack[i+1:]
	}
	return stack
}

type layerRun struct {
	o                    *Orchestrator
	op                   engine.Op
	layerOuts, stackOuts map[string]map[string]any
	sensitive            map[string][]string
}

func (r *layerRun) find(name string) topology.Layer {
	for _, l := range r.o.Topology.Layers {
		if l.Name == name {
			return l
		}
	}
	return topology.Layer{Name: name}
}

// passLayerOutputs is the run inputs that give the stacks the outputs of
// every layer that runs before them (from this run, or the layers' state).
func (r *layerRun) passLayerOutputs(ctx context.Context) (stacks.RunInputs, error) {
	t := r.o.Topology
	in := stacks.RunInputs{LayerOutputs: map[string]map[string]any{}, LayerSensitive: map[string][]string{}}
	for _, l := range t.Layers {
		if l.AfterStacks(t) {
			continue
		}
		outs, ok := r.layerOuts[l.Name]
		if !ok {
			var err error
			if outs, err = r.o.Layers.Outputs(ctx, l); err != nil {
				return stacks.RunInputs{}, err
			}
		}
		if len(outs) > 0 {
			in.LayerOutputs[l.Name] = outs
			in.LayerSensitive[l.Name] = r.sensitive[l.Name]
		}
	}
	return in, nil
}

// inputs gathers what a layer's variables read: earlier layers' outputs
// and the stacks' outputs, from this run or from their state.
func (r *layerRun) inputs(ctx context.Context, l topology.Layer) error {
	for _, expr := range l.Vars {
		for _, tr := range expr.Variables() {
			if len(tr) < 2 {
				continue
			}
			name := ""
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				name = a.Name
			}
			switch tr.RootName() {
			case "layers":
				if _, known := r.layerOuts[name]; !known {
					outs, err := r.o.Layers.Outputs(ctx, r.find(name))
					if err != nil {
						return err
					}
					r.layerOuts[name] = outs
				}
			case topology.Stacks:
				if _, known := r.stackOuts[name]; !known {
					stack := r.o.Topology.Environment.Name + "." + name
					ok, err := r.o.Engine.Exists(ctx, stack)
					if err != nil {
						return err
					}
					if !ok {
						return fmt.Errorf("layer %s reads stack %s, which is not deployed", l.Name, stack)
					}
					outs, err := r.o.Engine.Outputs(ctx, stack, true)
					if err != nil {
						return err
					}
					r.stackOuts[name] = outs
				}
			}
		}
	}
	return nil
}

// layer runs the operation on one layer.
func (r *layerRun) layer(ctx context.Context, name string) StackResult {
	l := r.find(name)
	start := time.Now()
	res := StackResult{Stack: LayerPrefix + name, Op: r.op, Status: StatusOK}
	r.say(res.Stack, fmt.Sprintf("terraform %s", map[engine.Op]string{engine.OpUp: "apply", engine.OpPreview: "plan", engine.OpDestroy: "destroy"}[r.op]))
	if err := r.inputs(ctx, l); err != nil {
		if r.op == engine.OpPreview {
			// nothing failed: there is nothing to plan against yet
			res.Reason = err.Error() + ": it is planned once what it reads exists"
			return res
		}
		res.Status, res.Err = StatusFailed, err
		return res
	}
	vars, diags := l.EvalVars(r.layerOuts, r.stackOuts)
	if diags.HasErrors() {
		res.Status, res.Err = StatusFailed, fmt.Errorf("layer %s: variables: %s", name, diags.Error())
		return res
	}
	var out layers.Result
	var err error
	switch r.op {
	case engine.OpUp:
		out, err = r.o.Layers.Apply(ctx, l, vars)
	case engine.OpPreview:
		out, err = r.o.Layers.Plan(ctx, l, vars)
	case engine.OpDestroy:
		out, err = r.o.Layers.Destroy(ctx, l, vars)
	default:
		res.Status, res.Reason = StatusSkipped, fmt.Sprintf("layers take no part in %s", r.op)
		return res
	}
	res.Duration, res.Changes = time.Since(start), out.Changes
	if err != nil {
		res.Status, res.Err = StatusFailed, err
		return res
	}
	if r.op == engine.OpUp {
		r.layerOuts[name] = out.Outputs
		if r.sensitive == nil {
			r.sensitive = map[string][]string{}
		}
		r.sensitive[name] = out.Sensitive
		res.Outputs = masked(out.Outputs, out.Sensitive)
	}
	return res
}

func masked(outs map[string]any, sensitive []string) map[string]any {
	m := map[string]any{}
	for k, v := range outs {
		if slices.Contains(sensitive, k) {
			v = "[secret]"
		}
		m[k] = v
	}
	return m
}

func (r *layerRun) say(stack, msg string) { r.o.say(stack, msg) }
