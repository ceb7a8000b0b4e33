package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

func runPlan(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("plan", errOut, &f)
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	pl, err := plan.Build(ctx, t, plan.Options{Project: p.Name})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark plan: %v\n", err)
		return exitFailed
	}
	if f.Format == "json" {
		return writeJSON(out, errOut, pl)
	}
	writePlanText(out, pl)
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
