package main

import (
	"path/filepath"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/receipt"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// receiptsFor are the orchestrator's receipts (internal/receipt) under
// <state>/receipts/<project>: a preview of a stack that nothing it reads
// changed for since the engine found nothing to change is answered
// without the engine. An up writes them on the local target, whose
// provider is bulwark's own; elsewhere an engine preview does. nil when
// the state directory is unknown: the engine runs every preview.
func receiptsFor(p *project.Project, t *topology.Topology, r *engine.Runner) orchestrate.Receipts {
	state, err := project.StateDir()
	if err != nil {
		return nil
	}
	return &receipt.Keeper{
		Book:     receipt.Open(filepath.Join(state, "receipts", p.Name)),
		Engine:   r,
		Topology: t,
		Project:  p.Name,
		TrustUp:  t.Environment.Target == topology.TargetLocal,
	}
}
