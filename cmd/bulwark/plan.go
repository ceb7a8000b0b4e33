package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	awsprices "github.com/bulwark-dev/bulwark/pricing/aws"

	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

func runPlan(ctx context.Context, args []string, out, errOut io.Writer) int {
	f := envFlags{extraFormats: []string{"sarif"}}
	fs := newFlagSet("plan", errOut, &f)
	climb := fs.Bool("ladder", false, "show every service's steps of resilience (one region ... active-active, as declared): cost, RTO/RPO, availability")
	picture := fs.String("output", "", "with --ladder: also write the ladder's picture (cost against region-loss RTO) to this .svg file")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	if *climb || *picture != "" {
		return runLadder(ctx, p, t, f.Format, *climb, *picture, out, errOut)
	}
	pl, bill, j, code := planPriceAndJudge(ctx, p, t, errOut, true)
	if pl == nil {
		return code
	}
	tgt, err := targetOf(p, t, "")
	if err != nil {
		fmt.Fprintf(errOut, "bulwark plan: %v\n", err)
		return exitFailed
	}
	constraints := tgt.CheckPlan(pl)
	switch f.Format {
	case "json":
		code = writeJSON(out, errOut, planDocument{pl, j.Results, j.Assessment, j.Reason, constraints, bill.Document()})
	case "sarif":
		code = writeJSON(out, errOut, constraintsSARIF(policies.SARIF(j.Results, version), constraints))
	default:
		writePlanText(out, pl)
		writeJudgementText(out, j)
		writeConstraintsText(out, constraints)
		writeCostText(out, bill)
	}
	if code != exitOK {
		return code
	}
	failed := false
	if n := len(j.mandatory()); n > 0 {
		fmt.Fprintf(errOut, "bulwark plan: %d mandatory policy violation(s)\n", n)
		failed = true
	}
	if constraints != nil && len(constraints.Violations) > 0 {
		fmt.Fprintf(errOut, "bulwark plan: %d %s violation(s): a real account would refuse this plan\n", len(constraints.Violations), strings.TrimSuffix(constraints.Suite, "s"))
		failed = true
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// planDocument is what `plan --format json` prints.
type planDocument struct {
	*plan.Plan
	Policies    []policies.Result   `json:"policies"`
	Assessment  policies.Assessment `json:"assessment"`
	Reason      string              `json:"policies_reason,omitempty"`
	Constraints *target.Constraints `json:"aws_constraints,omitempty"`
	Cost        cost.Document       `json:"cost"`
}

// writeConstraintsText prints the violations as policy failures print:
// the rule, where, what, and the AWS page that says so.
func writeConstraintsText(w io.Writer, c *target.Constraints) {
	if c == nil {
		return
	}
	if len(c.Violations) == 0 {
		fmt.Fprintf(w, "\n%s: %d rules, no violations\n", c.Suite, c.RuleCount)
		return
	}
	fmt.Fprintf(w, "\n%s: %d rules, %d violation(s) (what a real account would refuse)\n", c.Suite, c.RuleCount, len(c.Violations))
	for _, v := range c.Violations {
		fmt.Fprintf(w, "  FAIL %-32s %s %s\n", v.Rule, v.Stack, violationSubject(v))
		fmt.Fprintf(w, "       %s\n", v.Message)
		fmt.Fprintf(w, "       see: %s\n", v.Source)
	}
}

// violationSubject names the resource (type and name) or the data source.
func violationSubject(v target.Violation) string {
	if i := strings.LastIndex(v.URN, "::"); i >= 0 {
		return v.Type + " " + v.URN[i+2:]
	}
	return v.Type
}

// constraintsSARIF adds the violations to a SARIF log as errors of rules
// "<prefix><rule>" (aws/...), each with its API reference page as help.
func constraintsSARIF(log map[string]any, c *target.Constraints) map[string]any {
	if c == nil {
		return log
	}
	runs, _ := log["runs"].([]map[string]any)
	if len(runs) == 0 {
		return log
	}
	driver, _ := runs[0]["tool"].(map[string]any)["driver"].(map[string]any)
	rules, _ := driver["rules"].([]map[string]any)
	results, _ := runs[0]["results"].([]map[string]any)
	for _, r := range c.Rules {
		rules = append(rules, map[string]any{
			"id": c.RulePrefix + r.ID, "shortDescription": map[string]string{"text": r.Summary},
			"helpUri": r.Source, "defaultConfiguration": map[string]string{"level": "error"},
		})
	}
	for _, v := range c.Violations {
		results = append(results, map[string]any{
			"ruleId": c.RulePrefix + v.Rule, "level": "error",
			"message":    map[string]string{"text": v.Message + ". See " + v.Source + "."},
			"properties": map[string]string{"urn": v.URN, "stack": v.Stack, "type": v.Type},
		})
	}
	driver["rules"], runs[0]["results"] = rules, results
	return log
}

// writePlanText prints each stack's resources as a tree under their parents.
func writePlanText(w io.Writer, p *plan.Plan) {
	total := 0
	for _, s := range p.Stacks {
		total += len(s.Resources)
	}
	fmt.Fprintf(w, "Plan of environment %s (target %s): %d stacks, %d resources\n", p.Environment, p.Target, len(p.Stacks), total)
	for _, s := range p.Stacks {
		fmt.Fprintf(w, "\n%s (%d resources)\n", s.Stack, len(s.Resources))
		children := map[string][]plan.Resource{}
		known := map[string]bool{}
		for _, r := range s.Resources {
			known[r.URN] = true
		}
		var roots []plan.Resource
		for _, r := range s.Resources {
			if known[r.Parent] {
				children[r.Parent] = append(children[r.Parent], r)
			} else {
				roots = append(roots, r)
			}
		}
		var walk func(rs []plan.Resource, depth int)
		walk = func(rs []plan.Resource, depth int) {
			for _, r := range rs {
				fmt.Fprintf(w, "  %s%-*s %s\n", strings.Repeat("  ", depth), 40-2*depth, r.Type, r.Name)
				walk(children[r.URN], depth+1)
			}
		}
		walk(roots, 0)
	}
}

// planPriceAndJudge builds the offline plan, prices it when asked (the
// bill's total goes to the budget policy) and judges it; a nil plan
// means stop with the returned exit code (diagnostics or errors already
// printed). A price folder that does not load is bad input (exit 2),
// named with its file.
func planPriceAndJudge(ctx context.Context, p *project.Project, t *topology.Topology, errOut io.Writer, price bool) (*plan.Plan, *cost.Bill, judgement, int) {
	opts := plan.Options{Project: p.Name}
	// The bill of another target than aws plans AsAWS(t) afresh (cost.Of)
	// and the estimate reads the target's figures: neither needs this
	// plan, so both run beside it. What they print waits in buffers and
	// is printed in the order a run one after the other would print it.
	priced, cancel := context.WithCancel(ctx)
	defer cancel()
	var bill *cost.Bill
	var billCode int
	var billErr, timingsErr bytes.Buffer
	var timings *policies.Timings
	var wg sync.WaitGroup
	if price && t.Environment.Target != topology.TargetAWS {
		wg.Go(func() { bill, billCode = billOf(priced, t, nil, opts, &billErr) })
	}
	wg.Go(func() { timings = estimateTimings(p, t, &timingsErr) })
	pl, err := plan.Build(ctx, t, opts)
	if err != nil {
		cancel()
		wg.Wait()
		fmt.Fprintf(errOut, "bulwark plan: %v\n", err)
		return nil, nil, judgement{}, exitFailed
	}
	if price && t.Environment.Target == topology.TargetAWS {
		bill, billCode = billOf(ctx, t, pl, opts, &billErr)
	}
	wg.Wait()
	var spend *policies.Spend
	if price {
		if bill == nil {
			errOut.Write(billErr.Bytes())
			return nil, nil, judgement{}, billCode
		}
		spend = &policies.Spend{MonthlyUSD: bill.Total(), Basis: bill.On()}
	}
	errOut.Write(timingsErr.Bytes())
	j, diags := judge(t, pl, timings, spend)
	if diags.HasErrors() {
		writeDiagnostics(errOut, &topology.DiagnosticsError{Diags: diags, Files: sourceFiles(t)}, t.File)
		return nil, nil, judgement{}, exitBadInput
	}
	return pl, bill, j, exitOK
}

// budgeted reports whether the environment declares a budget (policy
// budget with monthly_usd above 0, not disabled): only then does a gate
// that does not show the cost price the plan.
func budgeted(t *topology.Topology) bool {
	for _, pc := range t.Policies {
		if pc.ID != "budget" || pc.Enforcement == string(policies.Disabled) {
			continue
		}
		if v, ok := pc.Params["monthly_usd"]; ok && v.Value.Type() == cty.Number && !v.Value.IsNull() && v.Value.AsBigFloat().Sign() > 0 {
			return true
		}
	}
	return false
}

// catalogs are the price folders loaded by this process, by path.
var catalogs sync.Map // string -> *pricing.Catalog

// loadPrices loads the environment's price folder once per process. An
// environment that names none (`prices` absent), in a project without its
// own pricing/aws, is priced from the extract built into the binary; a
// folder the file names must be there.
func loadPrices(t *topology.Topology) (*pricing.Catalog, error) {
	dir := t.Environment.Prices
	if t.Environment.PricesRange == nil {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			dir = awsprices.Name
		}
	}
	if v, ok := catalogs.Load(dir); ok {
		return v.(*pricing.Catalog), nil
	}
	var c *pricing.Catalog
	var err error
	if dir == awsprices.Name {
		c, err = pricing.LoadFS(awsprices.Extract, dir)
	} else {
		c, err = pricing.Load(dir)
	}
	if err != nil {
		return nil, err
	}
	catalogs.Store(dir, c)
	return c, nil
}

// billOf prices a plan from the environment's price folder; nil and an
// exit code when the folder does not load or a rate cannot be read.
func billOf(ctx context.Context, t *topology.Topology, pl *plan.Plan, opts plan.Options, errOut io.Writer) (*cost.Bill, int) {
	c, err := loadPrices(t)
	if err != nil {
		where := ""
		if t.Environment.PricesRange != nil {
			where = fmt.Sprintf(" (prices at %s:%d)", t.Environment.PricesRange.Filename, t.Environment.PricesRange.Start.Line)
		}
		fmt.Fprintf(errOut, "bulwark plan: the monthly cost cannot be priced%s: %v\n", where, err)
		return nil, exitBadInput
	}
	b, err := cost.Of(ctx, t, pl, opts, c)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark plan: the monthly cost cannot be priced: %v\n", err)
		if errors.Is(err, pricing.ErrPriceFile) {
			return nil, exitBadInput
		}
		return nil, exitFailed
	}
	b.Prices = project.RelativeIfInside(c.Dir()) // the built-in extract when the project has none
	for i := range b.Lines {
		b.Lines[i].File = project.RelativeIfInside(b.Lines[i].File)
	}
	return &b, exitOK
}

// writeCostText prints the monthly cost per stack, service and resource
// kind, what it rests on, and what it leaves unpriced.
func writeCostText(w io.Writer, b *cost.Bill) {
	if b == nil {
		return
	}
	fmt.Fprintf(w, "\nMonthly cost %s: %s (on-demand, %d h a month; usage from the environment's usage blocks)\n", b.On(), cost.USD(b.Total()), b.HoursPerMonth)
	if b.MappingNote != "" {
		fmt.Fprintf(w, "  (%s)\n", b.MappingNote)
	}
	dates := map[string][]string{} // publication date -> offers
	for _, offer := range slices.Sorted(maps.Keys(b.Published)) {
		dates[b.Published[offer]] = append(dates[b.Published[offer]], offer)
	}
	var published []string
	for _, d := range slices.Sorted(maps.Keys(dates)) {
		published = append(published, fmt.Sprintf("%s (%d files)", d, len(dates[d])))
	}
	fmt.Fprintf(w, "  prices: %s", b.Prices)
	if len(published) > 0 {
		fmt.Fprintf(w, ", published %s", strings.Join(published, ", "))
	}
	fmt.Fprintln(w)
	for _, part := range []struct {
		title string
		subs  []cost.Subtotal
	}{{"stack", b.ByStack()}, {"service", b.ByService()}, {"kind", b.ByKind()}} {
		fmt.Fprintf(w, "  by %s:\n", part.title)
		for _, s := range part.subs {
			fmt.Fprintf(w, "    %-32s %12s\n", s.Name, cost.USD(s.MonthlyUSD))
		}
	}
	if len(b.Unpriced) > 0 {
		fmt.Fprintf(w, "  not priced (not counted above):\n")
		for _, u := range b.Unpriced {
			fmt.Fprintf(w, "    %-32s ×%-3d %s\n", u.Kind, u.Count, u.Why)
		}
	}
}
