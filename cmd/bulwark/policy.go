package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
	"github.com/bulwark-dev/bulwark/stacks"
)

// judgement is a plan's policy results and resilience assessment.
type judgement struct {
	Evaluated  bool                `json:"evaluated"`
	Reason     string              `json:"reason,omitempty"` // why not evaluated
	Results    []policies.Result   `json:"results"`
	Assessment policies.Assessment `json:"assessment"`
}

func (j judgement) mandatory() []policies.Finding { return policies.MandatoryFindings(j.Results) }

// judge configures the policies from the environment and evaluates them,
// with the assessment, over the plan's graph. Configuration errors are
// diagnostics of the environment file.
func judge(t *topology.Topology, pl *plan.Plan, timings *policies.Timings, spend *policies.Spend) (judgement, hcl.Diagnostics) {
	cfg, diags := policies.Configure(t)
	if diags.HasErrors() {
		return judgement{}, diags
	}
	m := policies.FromPlan(t, pl)
	m.Timings, m.Spend = timings, spend
	j := judgement{Results: policies.Evaluate(m, cfg), Assessment: policies.Assess(m)}
	if !m.Adapted {
		j.Reason = "the target's services are not modelled yet: service policies and the assessment wait for its modules"
	}
	return j, nil
}

// estimateTimings are the target's figures for the estimate (the local
// target's calibration, when the project has one; nil: the defaults).
func estimateTimings(p *project.Project, t *topology.Topology, errOut io.Writer) *policies.Timings {
	tgt, err := targetOf(p, t, "")
	if err != nil {
		return nil
	}
	tm, err := tgt.EstimateTimings()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: %v; the estimate uses the target's default figures\n", err)
		return nil
	}
	return tm
}

// planAndJudge builds the offline plan and judges it; a nil plan means stop
// with the returned exit code (diagnostics or errors already printed).
func planAndJudge(ctx context.Context, p *project.Project, t *topology.Topology, errOut io.Writer) (*plan.Plan, judgement, int) {
	pl, _, j, code := planPriceAndJudge(ctx, p, t, errOut, budgeted(t)) // priced when a budget is to be judged
	return pl, j, code
}

// sourceFiles re-reads the environment file for diagnostic snippets.
func sourceFiles(t *topology.Topology) map[string]*hcl.File {
	l := &topology.Loader{}
	_, _ = l.LoadFile(t.File) // the sources are kept whether or not it loads
	return l.Files()
}

func writeJudgementText(w io.Writer, j judgement) {
	failed, skipped, mandatory := 0, 0, len(j.mandatory())
	for _, r := range j.Results {
		switch {
		case r.NotEvaluated != "":
			skipped++
		case !r.Passed():
			failed++
		}
	}
	fmt.Fprintf(w, "\nPolicies: %d passed, %d failed (%d mandatory finding(s)), %d not evaluated\n", len(j.Results)-failed-skipped, failed, mandatory, skipped)
	if j.Reason != "" {
		fmt.Fprintf(w, "  (%s)\n", j.Reason)
	}
	for _, r := range j.Results {
		status := "ok  "
		switch {
		case r.NotEvaluated != "":
			status = "n/a "
		case r.Enforcement == policies.Disabled:
			status = "off "
		case !r.Passed():
			status = "FAIL"
		}
		note := string(r.Enforcement)
		if r.Lowered {
			note += " (lowered by the environment)"
		}
		fmt.Fprintf(w, "  %s %-20s %-10s %s\n", status, r.Policy, note, r.Description)
		for _, f := range r.Findings {
			fmt.Fprintf(w, "       %s: %s\n", f.Location(), f.Message)
		}
		if !r.Passed() {
			fmt.Fprintf(w, "       fix: %s\n", r.Remediation)
		}
	}
	if len(j.Assessment.Estimates) == 0 {
		fmt.Fprintf(w, "\nResilience: no estimates (no services modelled)\n")
		return
	}
	fmt.Fprintf(w, "\nResilience (estimated)\n  %-9s %-12s %8s %8s %16s  %-7s %s\n", "LOSS OF", "SERVICE", "RTO", "RPO", "TARGET RTO/RPO", "VERDICT", "HOW")
	for _, e := range j.Assessment.Estimates {
		rto, rpo := e.RTO.String(), e.RPO.String()
		if e.Unrecoverable {
			rto, rpo = "never", "-"
		}
		target, verdict := "-", "-"
		if e.Target != nil {
			target = e.Target.RTO.String() + "/" + e.Target.RPO.String()
			verdict = map[bool]string{true: "met", false: "MISSED"}[e.Met()]
		}
		fmt.Fprintf(w, "  %-9s %-12s %8s %8s %16s  %-7s %s; %s\n", e.Disruption, e.Service, rto, rpo, target, verdict, e.RTOTerms, e.RPOTerms)
	}
	if len(j.Assessment.Availability) == 0 {
		return
	}
	fmt.Fprintf(w, "\nAvailability (estimated, with what each service needs)\n  %-12s %9s %9s %9s  %-7s %s\n", "SERVICE", "OWN", "TOTAL", "SLO", "VERDICT", "HOW")
	for _, a := range j.Assessment.Availability {
		slo, verdict := "-", "-"
		if a.SLO > 0 {
			slo, verdict = policies.Nines(a.SLO), map[bool]string{true: "met", false: "MISSED"}[a.Total >= a.SLO]
		}
		fmt.Fprintf(w, "  %-12s %9s %9s %9s  %-7s %s\n", a.Service, policies.Nines(a.Own), policies.Nines(a.Total), slo, verdict, a.How)
	}
	fmt.Fprintf(w, "  %s\n", j.Assessment.Availability[0].Assumes)
}

func runPolicies(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) > 0 && args[0] != "-h" {
		fmt.Fprintf(errOut, "bulwark policies takes no arguments\n")
		return exitBadInput
	}
	fmt.Fprintf(out, "Built-in policies (set per environment with policy \"<id>\" { enforcement = \"...\"  <parameter> = ... }):\n\n")
	for _, p := range policies.Builtin() {
		fmt.Fprintf(out, "%-20s %-9s %s\n", p.ID, p.Enforcement, p.Description)
		for _, param := range p.Params {
			fmt.Fprintf(out, "  %-18s default %s: %s\n", param.Name, strings.TrimSpace(ctyString(param)), param.Description)
		}
	}
	return exitOK
}

func ctyString(p policies.Param) string {
	v := p.Default
	switch {
	case v.Type().IsListType():
		var items []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			items = append(items, fmt.Sprintf("%q", e.AsString()))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case v.Type().FriendlyName() == "number":
		return v.AsBigFloat().String()
	default:
		return fmt.Sprintf("%q", v.AsString())
	}
}

// stepGraph collects a preview's steps into the graph the policies judge.
type stepGraph struct {
	mu     sync.Mutex
	stacks map[string][]plan.Resource
}

func (g *stepGraph) add(e engine.Event) {
	if e.Kind != engine.EventStep || e.Op == "delete" || e.Op == "delete-replaced" || e.Op == "discard" {
		return
	}
	if e.Type == "pulumi:pulumi:Stack" || strings.HasPrefix(e.Type, "pulumi:providers:") {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stacks == nil {
		g.stacks = map[string][]plan.Resource{}
	}
	g.stacks[e.Stack] = append(g.stacks[e.Stack], plan.Resource{URN: e.URN, Type: e.Type, Name: e.Name, Parent: e.Parent, Custom: e.Custom, Inputs: e.Inputs})
}

// judgePreview judges the graph the preview reported: each step's inputs
// (answered: some stacks' steps came from their receipts, the program's
// requests under the plan's mocks). When only some stacks were previewed
// (the global stack waits for its regions), it judges the offline plan and
// says so.
func judgePreview(ctx context.Context, p *project.Project, t *topology.Topology, g *stepGraph, answered bool, out, errOut io.Writer) {
	g.mu.Lock()
	pl := &plan.Plan{Environment: t.Environment.Name, Target: string(t.Environment.Target)}
	complete := true
	for _, ref := range stacks.All(t) {
		res, ok := g.stacks[ref.String()]
		if !ok {
			complete = false
		}
		pl.Stacks = append(pl.Stacks, plan.StackGraph{Stack: ref.String(), Resources: res})
	}
	g.mu.Unlock()
	source := "the engine's preview (each step's inputs)"
	if answered {
		source = "the preview's steps (each step's inputs; from the receipts, the program's requests, where the engine was not run)"
	}
	if !complete {
		offline, _, code := planAndJudge(ctx, p, t, errOut)
		if code != exitOK {
			return
		}
		pl, source = offline, "the offline plan (the engine previewed only some stacks)"
	}
	j, diags := judge(t, pl, estimateTimings(p, t, errOut), nil)
	if diags.HasErrors() {
		fmt.Fprintf(errOut, "policies: %v\n", diags)
		return
	}
	fmt.Fprintf(out, "\nJudged on %s:", source)
	writeJudgementText(out, j)
}
