package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/policies"
)

func runPlan(ctx context.Context, args []string, out, errOut io.Writer) int {
	f := envFlags{extraFormats: []string{"sarif"}}
	fs := newFlagSet("plan", errOut, &f)
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	pl, j, code := planAndJudge(ctx, p, t, errOut)
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
		code = writeJSON(out, errOut, struct {
			*plan.Plan
			Policies    []policies.Result   `json:"policies"`
			Assessment  policies.Assessment `json:"assessment"`
			Reason      string              `json:"policies_reason,omitempty"`
			Constraints *target.Constraints `json:"aws_constraints,omitempty"`
		}{pl, j.Results, j.Assessment, j.Reason, constraints})
	case "sarif":
		code = writeJSON(out, errOut, constraintsSARIF(policies.SARIF(j.Results, version), constraints))
	default:
		writePlanText(out, pl)
		writeJudgementText(out, j)
		writeConstraintsText(out, constraints)
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
