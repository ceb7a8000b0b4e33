package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/internal/ladder"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// runLadder is `bulwark plan --ladder`: every service's steps of
// resilience, each planned, priced and assessed, as a table (text or
// JSON) and, with --output <file.svg>, as a picture of cost against
// region-loss RTO.
func runLadder(ctx context.Context, p *project.Project, t *topology.Topology, format string, climb bool, output string, out, errOut io.Writer) int {
	if !climb {
		fmt.Fprintf(errOut, "bulwark plan: --output writes the ladder's picture: it needs --ladder\n")
		return exitBadInput
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(errOut, "bulwark plan --ladder: --format must be text or json, not %q\n", format)
		return exitBadInput
	}
	catalog, err := loadPrices(t)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark plan --ladder: the steps cannot be priced: %v\n", err)
		return exitBadInput
	}
	l, err := ladder.Build(ctx, t, costing{catalog}, ladder.Options{Project: p.Name, Timings: estimateTimings(p, t, errOut)})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark plan --ladder: %v\n", err)
		if errors.Is(err, pricing.ErrPriceFile) {
			return exitBadInput
		}
		return exitFailed
	}
	if output != "" {
		if err := os.WriteFile(output, []byte(l.SVG("Resilience ladder of "+t.Environment.Name+": monthly cost against region-loss RTO")), 0o644); err != nil {
			fmt.Fprintf(errOut, "bulwark plan --ladder: %v\n", err)
			return exitFailed
		}
	}
	if format == "json" {
		return writeJSON(out, errOut, l)
	}
	l.WriteText(out)
	if output != "" {
		fmt.Fprintf(out, "picture: %s\n", output)
	}
	return exitOK
}

// costing is internal/cost over a price catalog, as the ladder prices its
// steps.
type costing struct{ prices cost.Prices }

func (c costing) AsAWS(t *topology.Topology) (*topology.Topology, map[string]string, error) {
	return cost.AsAWS(t)
}

func (c costing) Estimate(t *topology.Topology, p *plan.Plan) (ladder.Bill, error) {
	b, err := cost.Estimate(t, p, c.prices)
	if err != nil {
		return ladder.Bill{}, err
	}
	out := ladder.Bill{Total: b.Total(), ByService: map[string]float64{}}
	for _, s := range t.Services {
		out.ByService[s.Name] = b.ServiceTotal(s.Name)
	}
	return out, nil
}
