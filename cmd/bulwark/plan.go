package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
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
	switch f.Format {
	case "json":
		code = writeJSON(out, errOut, struct {
			*plan.Plan
			Policies   []policies.Result   `json:"policies"`
			Assessment policies.Assessment `json:"assessment"`
			Reason     string              `json:"policies_reason,omitempty"`
		}{pl, j.Results, j.Assessment, j.Reason})
	case "sarif":
		code = writeJSON(out, errOut, policies.SARIF(j.Results, version))
	default:
		writePlanText(out, pl)
		writeJudgementText(out, j)
	}
	if code != exitOK {
		return code
	}
	if n := len(j.mandatory()); n > 0 {
		fmt.Fprintf(errOut, "bulwark plan: %d mandatory policy violation(s)\n", n)
		return exitFailed
	}
	return exitOK
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
