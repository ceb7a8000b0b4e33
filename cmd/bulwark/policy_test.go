package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// The same policy code judges the offline plan and a preview's steps: fed
// the plan's resources as engine step events, the verdicts are the same.
func TestPreviewStepsAreJudgedLikeThePlan(t *testing.T) {
	for _, env := range []string{"dev", violating(t, "")} {
		p, err := project.Find(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(env) {
			env = filepath.Join(p.Root, "environments", env+".hcl")
		}
		topo, err := p.LoadEnvironment(env)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := plan.Build(context.Background(), topo, plan.Options{Project: p.Name})
		if err != nil {
			t.Fatal(err)
		}
		g := &stepGraph{}
		for _, s := range pl.Stacks {
			g.add(engine.Event{Stack: s.Stack, Kind: engine.EventStep, Op: "create", Type: "pulumi:pulumi:Stack", Name: "root"})
			for _, r := range s.Resources {
				g.add(engine.Event{Stack: s.Stack, Kind: engine.EventStep, Op: "same", URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Custom: r.Custom, Inputs: r.Inputs})
			}
		}
		fromSteps := &plan.Plan{Environment: pl.Environment, Target: pl.Target}
		for _, s := range pl.Stacks {
			fromSteps.Stacks = append(fromSteps.Stacks, plan.StackGraph{Stack: s.Stack, Resources: g.stacks[s.Stack]})
		}
		a, diags := judge(topo, pl, nil, nil)
		b, diags2 := judge(topo, fromSteps, nil, nil)
		if diags.HasErrors() || diags2.HasErrors() {
			t.Fatal(diags, diags2)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s: plan and preview judged differently:\n%s\n%s", env, ja, jb)
		}
		if len(a.Results) == 0 || len(a.Assessment.Estimates) == 0 {
			t.Errorf("%s: nothing judged: %+v", env, a)
		}
	}
}
