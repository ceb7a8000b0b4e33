package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/bulwark-dev/bulwark/policies"
)

// runGraph draws an environment's failure-domain graph (what each service
// needs, where everything runs, the hidden single points) as SVG, and
// lists the dependencies with what the graph policies found.
func runGraph(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("graph", errOut, &f)
	output := fs.String("output", "", "where the SVG goes (default: standard output)")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	_, j, code := planAndJudge(ctx, p, t, errOut)
	if code != exitOK {
		return code
	}
	g := policies.NewGraph(t)
	svg := g.SVG(fmt.Sprintf("%s: what each service needs, and where it runs", t.Environment.Name), j.Assessment.Availability)
	if *output == "" {
		fmt.Fprint(out, svg)
		return exitOK
	}
	if err := os.WriteFile(*output, []byte(svg), 0o644); err != nil {
		fmt.Fprintf(errOut, "bulwark graph: %v\n", err)
		return exitFailed
	}
	for _, from := range g.Order {
		for _, e := range g.Edges[from] {
			fmt.Fprintf(out, "%s → %s: %s, timeout %s × %d, on failure %s\n", from, e.On, e.Need, e.Timeout, e.Tries, e.OnFailure)
		}
	}
	for _, r := range j.Results {
		if r.Policy != "hidden-single-point" && r.Policy != "retry-storm" && r.Policy != "slo-achievable" {
			continue
		}
		for _, fd := range r.Findings {
			fmt.Fprintf(out, "%s (%s): %s: %s\n", r.Policy, r.Enforcement, fd.Location(), fd.Message)
		}
	}
	fmt.Fprintf(out, "graph: %s\n", *output)
	return exitOK
}
