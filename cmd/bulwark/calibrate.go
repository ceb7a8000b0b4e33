package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"time"

	"github.com/bulwark-dev/bulwark/internal/calibration"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/gameday"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// runCalibrate measures the local target's figures for the estimate on a
// running local environment: a short game day of db-primary-loss drills (a
// promotion and the reconnection), then restores (the newest backup right
// after a fresh one, and again after calibration.SegmentsSwitched WAL
// segments were archived: the base and the per-segment replay), --runs
// each, whose medians it writes to calibration/local.json, to review and
// commit.
func runCalibrate(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("calibrate", errOut, &f)
	runs := fs.Int("runs", gameday.DefaultRuns, fmt.Sprintf("how many times each drill runs (1 to %d)", gameday.MaxRuns))
	timeout := fs.Duration("timeout", 15*time.Minute, "no drill starts after this")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	if t.Environment.Target != topology.TargetLocal {
		fmt.Fprintf(errOut, "bulwark calibrate: environment %s targets %s; the estimate uses AWS's documented figures there, and calibrates only the local target's\n", t.Environment.Name, t.Environment.Target)
		return exitBadInput
	}
	if *runs < 1 || *runs > gameday.MaxRuns {
		fmt.Fprintf(errOut, "bulwark calibrate: --runs must be between 1 and %d, not %d\n", gameday.MaxRuns, *runs)
		return exitBadInput
	}
	tgt, err := targetOf(p, t, "")
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
		return exitFailed
	}
	plan, err := gameday.NewPlan(t, gameday.PlanOptions{Offered: tgt.Scenarios(), WritersRestored: tgt.WritersRestored(), Runs: *runs,
		Scenarios: []drill.ScenarioName{drill.DatabasePrimaryLoss}})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v (it needs a service with a database, replicas and a backup block)\n", err)
		return exitBadInput
	}
	release, code := holdEnvironment(ctx, t, "calibrate", errOut)
	if release == nil {
		return code
	}
	defer release()
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
		return exitFailed
	}
	bench, err := localtarget.NewRestoreBench(t, state)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
		return exitFailed
	}
	dir := filepath.Join(state, "calibrations", gameday.Stamp(time.Now()))
	runner, code := gamedayRunner(ctx, p, t, tgt, plan, &f, awsDrillFlags{}, nil, *timeout, dir, errOut)
	if runner == nil {
		return code
	}
	// the drills' reports, as they come back
	var reports []*drill.Report
	runDrill := runner.Drill
	runner.Drill = func(ctx context.Context, d gameday.Drill, run int, alarms *gameday.Alarms) (*drill.Report, error) {
		r, err := runDrill(ctx, d, run, alarms)
		if r != nil {
			reports = append(reports, r)
		}
		return r, err
	}
	started := time.Now()
	if _, err := runner.Run(ctx); err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
	}
	restores, err := calibration.MeasureRestores(ctx, bench, *runs, calibration.SegmentsSwitched, restoreRunLimit,
		func(line string) { fmt.Fprintf(errOut, "calibrate: %s\n", line) })
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
	}
	measured, err := calibration.Measure(t.Environment.Name, reports, restores, started)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v; calibration/local.json is unchanged (the drills: %s)\n", err, dir)
		return exitFailed
	}
	before, _ := calibration.Load(p.Root)
	if err := measured.Save(p.Root); err != nil {
		fmt.Fprintf(errOut, "bulwark calibrate: %v\n", err)
		return exitFailed
	}
	if f.Format == "json" {
		return writeJSON(out, errOut, measured)
	}
	fmt.Fprintf(out, "%s: the local target's figures, measured on %s (%d run(s) each; the drills: %s)\n\n",
		project.RelativeIfInside(calibration.Path(p.Root)), t.Environment.Name, *runs, dir)
	names := make([]string, 0, len(measured.Figures))
	for name := range measured.Figures {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fig := measured.Figures[name]
		was := ""
		if before != nil {
			if b, ok := before.Figures[name]; ok {
				was = fmt.Sprintf(" (was %s)", gameday.Seconds(b.Seconds))
			}
		}
		fmt.Fprintf(out, "  %-15s %8s%s  %s to %s, %d run(s): %s\n", name, gameday.Seconds(fig.Seconds), was, gameday.Seconds(fig.Min), gameday.Seconds(fig.Max), fig.Runs, fig.How)
	}
	fmt.Fprintf(out, "\nEvery local estimate now uses them; review and commit the file.\n")
	return exitOK
}

// restoreRunLimit bounds one restore run of the calibration: a backup, two
// restores and the segments switched between them (seconds each here).
const restoreRunLimit = 3 * time.Minute
