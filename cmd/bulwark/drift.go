package main

import (
	"context"
	"fmt"
	"io"

	"github.com/bulwark-dev/bulwark/internal/drift"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
)

// runDrift refreshes every stack in preview-only mode and reports what
// differs from the state, per stack, resource and property; exit 1 on drift.
func runDrift(ctx context.Context, args []string, out, errOut io.Writer) int {
	f := deployFlags{envFlags: envFlags{extraFormats: []string{"markdown"}}}
	fs := newFlagSet("drift", errOut, &f.envFlags)
	addDeployFlags(fs, &f)
	p, t, code := parseAndLoad(fs, args, &f.envFlags, errOut)
	if t == nil {
		return code
	}
	if code := requireSecrets(t, "drift", errOut); code != exitOK {
		return code
	}
	release, code := holdEnvironment(ctx, t, "drift", errOut)
	if release == nil {
		return code
	}
	defer release()
	o, code := orchestrator(ctx, p, t, &f, errOut, errOut) // the engine's progress on stderr: stdout is the report
	if o == nil {
		return code
	}
	deployed := 0
	for _, r := range t.Regions {
		if ok, err := o.Engine.Exists(ctx, t.Environment.Name+"."+r.Name); err == nil && ok {
			deployed++
		}
	}
	if deployed == 0 {
		fmt.Fprintf(errOut, "bulwark drift: nothing of %s is deployed: there is no state to compare with (bulwark up --env %s)\n", t.Environment.Name, f.Env)
		return exitFailed
	}
	var c drift.Collector
	print := o.Progress
	o.Progress = func(e engine.Event) { c.Progress(e); print(e) }
	sum, err := o.Drift(ctx)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drift: %v\n", err)
		for _, r := range sum.Results {
			if r.Status != orchestrate.StatusOK {
				fmt.Fprintf(errOut, "  %s: %s %v\n", r.Stack, r.Status, orNote(r.Err, r.Reason))
			}
		}
		return exitFailed
	}
	var stacks []string
	for _, r := range sum.Results {
		if r.Status == orchestrate.StatusOK && r.Reason == "" {
			stacks = append(stacks, r.Stack)
		}
	}
	rep := c.Report(t.Environment.Name, stacks)
	switch f.Format {
	case "json":
		if code := writeJSON(out, errOut, rep); code != exitOK {
			return code
		}
	case "markdown":
		fmt.Fprint(out, rep.Markdown())
	default:
		fmt.Fprint(out, rep.Text())
	}
	if rep.Drifted() {
		return exitFailed
	}
	return exitOK
}

func orNote(err error, reason string) any {
	if err != nil {
		return err
	}
	return reason
}
