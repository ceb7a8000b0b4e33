package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/awsconstraints"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
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
	constraints := checkConstraints(pl)
	switch f.Format {
	case "json":
		code = writeJSON(out, errOut, struct {
			*plan.Plan
			Policies    []policies.Result   `json:"policies"`
			Assessment  policies.Assessment `json:"assessment"`
			Reason      string              `json:"policies_reason,omitempty"`
			Constraints *constraintsView    `json:"aws_constraints,omitempty"`
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
		fmt.Fprintf(errOut, "bulwark plan: %d AWS constraint violation(s): a real account would refuse this plan\n", len(constraints.Violations))
		failed = true
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// constraintsView is what the AWS constraints suite found in an aws plan:
// how many rules it ran, and the violations (an empty list when none).
type constraintsView struct {
	Rules      int                        `json:"rules"`
	Violations []awsconstraints.Violation `json:"violations"`
}

// checkConstraints runs the AWS constraints suite over an aws plan (nil
// for another target's).
func checkConstraints(pl *plan.Plan) *constraintsView {
	if pl.Target != string(topology.TargetAWS) {
		return nil
	}
	v := &constraintsView{Rules: len(awsconstraints.Rules()), Violations: awsconstraints.Check(pl)}
	if v.Violations == nil {
		v.Violations = []awsconstraints.Violation{}
	}
	return v
}

// writeConstraintsText prints the violations as policy failures print:
// the rule, where, what, and the AWS page that says so.
func writeConstraintsText(w io.Writer, c *constraintsView) {
	if c == nil {
		return
	}
	if len(c.Violations) == 0 {
		fmt.Fprintf(w, "\nAWS constraints: %d rules, no violations\n", c.Rules)
		return
	}
	fmt.Fprintf(w, "\nAWS constraints: %d rules, %d violation(s) (what a real account would refuse)\n", c.Rules, len(c.Violations))
	for _, v := range c.Violations {
		fmt.Fprintf(w, "  FAIL %-32s %s %s\n", v.Rule, v.Stack, violationSubject(v))
		fmt.Fprintf(w, "       %s\n", v.Message)
		fmt.Fprintf(w, "       see: %s\n", v.Source)
	}
}

// violationSubject names the resource (type and name) or the data source.
func violationSubject(v awsconstraints.Violation) string {
	if i := strings.LastIndex(v.URN, "::"); i >= 0 {
		return v.Type + " " + v.URN[i+2:]
	}
	return v.Type
}

// constraintsSARIF adds the violations to a SARIF log as errors of rules
// "aws/<rule>", each with its AWS page as help.
func constraintsSARIF(log map[string]any, c *constraintsView) map[string]any {
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
	for _, r := range awsconstraints.Rules() {
		rules = append(rules, map[string]any{
			"id": "aws/" + r.ID, "shortDescription": map[string]string{"text": r.Summary},
			"helpUri": r.Source, "defaultConfiguration": map[string]string{"level": "error"},
		})
	}
	for _, v := range c.Violations {
		results = append(results, map[string]any{
			"ruleId": "aws/" + v.Rule, "level": "error",
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
