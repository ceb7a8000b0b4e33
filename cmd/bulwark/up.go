package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/stacks"
)

// addUpFlags adds the flags only `up` takes.
func addUpFlags(fs *flag.FlagSet, f *deployFlags) {
	fs.BoolVar(&f.AllowDataLoss, allowDataLossFlag, false,
		"apply a change that deletes or replaces what holds data (a database, a table, a backup vault, their keys); without it up previews first and refuses")
}

// refuseDataLoss previews the change an up is about to make and, when it
// would destroy data (plan.DataLosses), says what and returns exitFailed:
// the up deploys nothing. A preview that fails refuses the up too, since
// nothing then says what it would destroy. allowDataLoss
// (--allow-data-loss) skips the check.
func refuseDataLoss(ctx context.Context, o *orchestrate.Orchestrator, allowDataLoss bool, errOut io.Writer) int {
	if allowDataLoss {
		return exitOK
	}
	err := checkDataLoss(ctx, o)
	var loss *plan.DataLossError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &loss):
		fmt.Fprintf(errOut, "\nbulwark up: this change would destroy data; nothing was deployed:\n")
		writeDataLossText(errOut, loss.Losses)
		fmt.Fprintf(errOut, "Keep what you need (a snapshot, a copy of the backups), then run again with --%s to apply it.\n", allowDataLossFlag)
		return exitFailed
	case ctx.Err() != nil:
		fmt.Fprintf(errOut, "bulwark up: interrupted while checking the change for data loss; nothing was deployed\n")
		return exitInterrupted
	default:
		fmt.Fprintf(errOut, "bulwark up: %v; nothing was deployed (--%s applies the change without the check)\n", err, allowDataLossFlag)
		return exitFailed
	}
}

// checkDataLoss previews the stacks of the up (o's region, or every
// region, and the global stack) and returns a *plan.DataLossError naming
// the data the change would destroy, if any. When none of them is
// deployed yet there is nothing to lose, and nothing is previewed. The
// preview's steps are not shown; the engine's notes and warnings are.
func checkDataLoss(ctx context.Context, o *orchestrate.Orchestrator) error {
	deployed, err := anyDeployed(ctx, o)
	if err != nil || !deployed {
		return err
	}
	show := o.Progress
	defer func() { o.Progress = show }()
	var mu sync.Mutex
	var steps []plan.Step
	o.Progress = func(e engine.Event) {
		switch {
		case e.Kind == engine.EventStep:
			mu.Lock()
			steps = append(steps, stepOf(e))
			mu.Unlock()
		case e.Kind == engine.EventDiagnostic && show != nil:
			show(e)
		}
	}
	if show != nil {
		show(engine.Event{Stack: o.Topology.Environment.Name, Kind: engine.EventDiagnostic, Severity: "decision",
			Message: "previewing the change first: up applies no change that destroys data without --" + allowDataLossFlag})
	}
	if _, err := o.Preview(ctx); err != nil {
		return fmt.Errorf("the preview that checks the change for data loss failed: %w", err)
	}
	if losses := plan.DataLosses(steps); len(losses) > 0 {
		return &plan.DataLossError{Losses: losses}
	}
	return nil
}

// anyDeployed reports whether a stack the up runs exists and holds
// resources (one a destroy emptied has nothing to lose), when the engine
// can count them without running.
func anyDeployed(ctx context.Context, o *orchestrate.Orchestrator) (bool, error) {
	counter, _ := o.Engine.(interface{ StateResources(string) (int, bool) })
	env := o.Topology.Environment.Name
	refs := []stacks.Ref{stacks.Global(env)}
	for _, r := range o.Topology.Regions {
		if o.Region == "" || o.Region == r.Name {
			refs = append(refs, stacks.Ref{Env: env, Region: r.Name})
		}
	}
	for _, ref := range refs {
		exists, err := o.Engine.Exists(ctx, ref.String())
		if err != nil {
			return false, fmt.Errorf("does stack %s exist: %w", ref, err)
		}
		if !exists {
			continue
		}
		if counter != nil {
			if n, ok := counter.StateResources(ref.String()); ok && n == 0 {
				continue
			}
		}
		return true, nil
	}
	return false, nil
}

// stepOf is a preview's step as plan.DataLosses reads it: the resource's
// state before (the engine's old outputs, which carry its inputs) and its
// inputs after; a delete has no after.
func stepOf(e engine.Event) plan.Step {
	s := plan.Step{Stack: e.Stack, Op: e.Op, URN: e.URN, Type: e.Type, Name: e.Name, Old: e.Old, New: e.Inputs}
	if e.Op == "delete" || strings.HasPrefix(e.Op, "delete-") || strings.HasPrefix(e.Op, "discard") {
		if s.Old == nil {
			s.Old = e.Inputs // the engine gives a deleted resource's own inputs
		}
		s.New = nil
	}
	return s
}
