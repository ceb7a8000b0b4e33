package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/target"
)

func runRecreateRegion(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f deployFlags
	fs := newFlagSet("recreate-region", errOut, &f.envFlags)
	fs.StringVar(&f.Region, "region", "", "the region to rebuild (required)")
	fs.BoolVar(&f.Verbose, "v", false, "show every resource step, unchanged ones too")
	failback := fs.Bool("failback", false, "make the region's planned primaries the primaries again once it is rebuilt")
	wait := fs.Duration("wait", time.Minute, "how long each waiting step may take")
	p, t, code := parseAndLoad(fs, args, &f.envFlags, errOut)
	if t == nil {
		return code
	}
	if f.Region == "" {
		fmt.Fprintf(errOut, "bulwark recreate-region: --region is required (one of %s)\n", strings.Join(t.RegionNames(), ", "))
		return exitBadInput
	}
	if _, ok := t.Region(f.Region); !ok {
		fmt.Fprintf(errOut, "bulwark recreate-region: --region %s: environment %s has regions %s\n", f.Region, t.Environment.Name, strings.Join(t.RegionNames(), ", "))
		return exitBadInput
	}
	tgt, err := targetOf(p, t, "")
	if err != nil {
		fmt.Fprintf(errOut, "bulwark recreate-region: %v\n", err)
		return exitFailed
	}
	recreator, err := tgt.Recreator(ctx)
	if err != nil {
		return targetFailed(errOut, "recreate-region", err)
	}
	if code := requireSecrets(t, "recreate-region", errOut); code != exitOK {
		return code
	}
	if code := policyGate(ctx, p, t, "recreate-region", errOut); code != exitOK {
		return code
	}
	release, code := holdEnvironment(ctx, t, "recreate-region", errOut)
	if release == nil {
		return code
	}
	defer release()
	runner, progress, code := engineFor(ctx, p, t, &f, errOut, errOut)
	if runner == nil {
		return code
	}
	tf, code := layerRunnerFor(p, t, errOut)
	if code != exitOK {
		return code
	}
	rep, err := recreator.RecreateRegion(ctx, target.RecreateRequest{
		Region: f.Region, Failback: *failback, Engine: runner, Wait: *wait, Layers: tf,
		Progress:       func(line string) { fmt.Fprintf(errOut, "recreate-region: %s\n", line) },
		EngineProgress: progress,
	})
	if f.Format == "json" {
		writeJSON(out, errOut, rep)
	} else if rep != nil {
		writeRebuildReport(out, rep)
	}
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(errOut, "bulwark recreate-region: interrupted: %v; run it again to converge\n", err)
		return exitInterrupted
	case errors.Is(err, engine.ErrLocked):
		fmt.Fprintf(errOut, "bulwark recreate-region: %v\n", err)
		return exitFailed
	default:
		fmt.Fprintf(errOut, "bulwark recreate-region: %v\nOnce the cause is fixed, run it again: every step is safe to rerun.\n", err)
		return exitFailed
	}
}

func writeRebuildReport(w io.Writer, r *target.RecreateReport) {
	verdict := "rebuilt"
	if len(r.Steps) > 0 && r.Steps[len(r.Steps)-1].Error != "" {
		verdict = "NOT rebuilt: failed"
	}
	fmt.Fprintf(w, "Region %s of %s %s after %s\n\n", r.Region, r.Environment, verdict, r.Total.Round(100*time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTOOK\tRESULT")
	for _, s := range r.Steps {
		result := s.Detail
		if s.Error != "" {
			result = "FAILED: " + s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Duration().Round(10*time.Millisecond), result)
	}
	_ = tw.Flush()
}
