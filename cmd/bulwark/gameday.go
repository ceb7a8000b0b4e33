package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/gameday"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// percentFlag is --max-growth: a share written as a percentage ("50%" or "50").
type percentFlag struct{ share float64 }

func (f *percentFlag) String() string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(f.share*100, 'g', -1, 64) + "%"
}

func (f *percentFlag) Set(v string) error {
	p, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%")), 64)
	if err != nil || p < 0 {
		return fmt.Errorf("a percentage such as 50%%, not %q", v)
	}
	f.share = p / 100
	return nil
}

func runGameday(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("gameday", errOut, &f)
	runs := fs.Int("runs", gameday.DefaultRuns, fmt.Sprintf("how many times each drill runs (1 to %d)", gameday.MaxRuns))
	scenarios := fs.String("scenario", "", "only these scenarios, comma-separated (default: every one that applies to the environment)")
	service := fs.String("service", "", "only this service (default: every one)")
	reportDir := fs.String("report-dir", "", "where the report goes (default: <state>/gamedays/<env>/<timestamp>/; with --history, where history.svg goes)")
	history := fs.Bool("history", false, "run nothing: draw the recorded game days' trend (history.svg) and print it as a table")
	maxGrowth := percentFlag{gameday.DefaultMaxGrowth}
	fs.Var(&maxGrowth, "max-growth", fmt.Sprintf("fail when a scenario's median RTO or RPO grows by more than this over the median of its last %d recorded game days", gameday.GateRecords))
	timeout := fs.Duration("timeout", 0, fmt.Sprintf("no drill starts after this; the one under way finishes by its own deadline (default: local %s; aws twice --aws-wait per drill run, a failover and its failback)", gameday.DefaultTimeout))
	var af awsDrillFlags
	af.register(fs)
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	if *runs < 1 || *runs > gameday.MaxRuns {
		fmt.Fprintf(errOut, "bulwark gameday: --runs must be between 1 and %d, not %d\n", gameday.MaxRuns, *runs)
		return exitBadInput
	}
	if *timeout < 0 {
		fmt.Fprintf(errOut, "bulwark gameday: --timeout must be positive, not %s\n", *timeout)
		return exitBadInput
	}
	templates, err := gamedayTemplates(af.fisTemplate)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: --fis-template: %v\n", err)
		return exitBadInput
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		return exitFailed
	}
	histDir := gameday.HistoryDir(state, t.Environment.Name)
	if *history {
		return gamedayHistory(t.Environment.Name, histDir, *reportDir, f.Format, out, errOut)
	}
	var names []drill.ScenarioName
	if *scenarios != "" {
		for _, s := range strings.Split(*scenarios, ",") {
			n, err := drill.ParseScenarioName(strings.TrimSpace(s))
			if err != nil {
				fmt.Fprintf(errOut, "bulwark gameday: --scenario: %v\n", err)
				return exitBadInput
			}
			if drill.IsDegradation(n) {
				fmt.Fprintf(errOut, "bulwark gameday: --scenario: a game day runs %v; drill %s on its own (bulwark drill --scenario %s)\n", drill.ScenarioNames, n, n)
				return exitBadInput
			}
			names = append(names, n)
		}
	}
	tgt, err := targetOf(p, t, af.endpoint)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		return exitFailed
	}
	plan, err := gameday.NewPlan(t, gameday.PlanOptions{Offered: tgt.Scenarios(), WritersRestored: tgt.WritersRestored(), Runs: *runs, Scenarios: names, Service: *service})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		return exitBadInput
	}
	if err := dropUnbuildable(ctx, t, tgt, plan, af, templates); err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		if errors.Is(err, gameday.ErrBadInput) {
			return exitBadInput
		}
		return exitFailed
	}
	if *timeout == 0 {
		*timeout = gameday.DefaultTimeout
		if t.Environment.Target == topology.TargetAWS {
			*timeout = time.Duration(plan.Total()) * 2 * af.wait
		}
	}
	release, code := holdEnvironment(ctx, t, "gameday", errOut)
	if release == nil {
		return code
	}
	defer release()
	past, code := loadGamedayHistory(histDir, errOut)
	if past == nil && code != exitOK {
		return code
	}
	stamp := gameday.Stamp(time.Now())
	dir := *reportDir
	if dir == "" {
		dir = filepath.Join(histDir, stamp)
	}
	runner, code := gamedayRunner(ctx, p, t, tgt, plan, &f, af, templates, *timeout, dir, errOut)
	if runner == nil {
		return code
	}
	rep, runErr := runner.Run(ctx)
	rep.Gate(past, maxGrowth.share)
	if err := rep.Write(dir); err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: write the report: %v\n", err)
		return exitFailed
	}
	if rep.Drilled() > 0 {
		path, err := gameday.SaveRecord(histDir, stamp, rep.Record())
		if err != nil {
			fmt.Fprintf(errOut, "bulwark gameday: record the game day: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(errOut, "history: %s (bulwark gameday --env %s --history)\n", path, t.Environment.Name)
	}
	if f.Format == "json" {
		if c := writeJSON(out, errOut, rep); c != exitOK {
			return c
		}
	} else {
		fmt.Fprint(out, rep.Markdown())
	}
	fmt.Fprintf(errOut, "report: %s (%s; each drill's under drills/)\n", dir, strings.Join(gameday.Files, ", "))
	switch {
	case errors.Is(runErr, gameday.ErrBadInput):
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", runErr)
		return exitBadInput
	case ctx.Err() != nil:
		fmt.Fprintf(errOut, "bulwark gameday: interrupted: %s\n", rep.Stopped)
		return exitInterrupted
	case !rep.Passed:
		fmt.Fprintf(errOut, "bulwark gameday: %s\n", rep.Verdict())
		return exitFailed
	}
	return exitOK
}

// gamedayRunner is the runner of a game day's plan: each drill built as
// `bulwark drill` builds it, its stop conditions wrapped so that the game
// day's own alarms are set aside, and a failed-over region rebuilt after
// it (gamedaySettle); it prints the plan first.
func gamedayRunner(ctx context.Context, p *project.Project, t *topology.Topology, tgt target.Target, plan *gameday.Plan, f *envFlags, af awsDrillFlags, templates map[drill.ScenarioName]string, timeout time.Duration, dir string, errOut io.Writer) (*gameday.Runner, int) {
	tf, code := layerRunnerFor(p, t, errOut)
	if code != exitOK {
		return nil, code
	}
	settle, code := gamedaySettle(ctx, p, t, tgt, plan, f, tf, errOut)
	if code != exitOK {
		return nil, code
	}
	writePlan(errOut, plan)
	return &gameday.Runner{Plan: plan, Topology: t, Timeout: timeout, ReportDir: dir, Settle: settle,
		Progress: func(line string) { fmt.Fprintf(errOut, "gameday: %s\n", line) },
		Drill: func(ctx context.Context, d gameday.Drill, run int, alarms *gameday.Alarms) (*drill.Report, error) {
			daf := af
			daf.fisTemplate = templates[d.Scenario]
			opts, sc, code := drillOptions(ctx, p, t, drillChoice{scenario: string(d.Scenario), region: d.Region, service: d.Service, zone: 1, aws: daf}, errOut)
			if sc == nil {
				if code == exitBadInput {
					return nil, fmt.Errorf("%w: the drill %s cannot run as asked (above)", gameday.ErrBadInput, d.Label(true))
				}
				return nil, fmt.Errorf("the drill %s could not be prepared (above)", d.Label(true))
			}
			if tf != nil {
				opts.Checks = append(opts.Checks, layersApplied(t, tf))
			}
			opts.StopConditions = alarms.Wrap(opts.StopConditions)
			opts.Progress = func(line string) { fmt.Fprintf(errOut, "  drill: %s\n", line) }
			return drill.Run(ctx, opts)
		},
	}, exitOK
}

// gamedayTemplates reads a game day's --fis-template: scenario=template
// pairs, comma-separated, since one experiment cannot inject every
// scenario (a zone's loss and a region's partition cut different things).
func gamedayTemplates(v string) (map[drill.ScenarioName]string, error) {
	out := map[drill.ScenarioName]string{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(v, ",") {
		name, template, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || strings.TrimSpace(template) == "" {
			return nil, fmt.Errorf("%q: a game day runs several scenarios, so name the one each template injects: zone-loss=EXT1a2b3c,region-partition=EXT4d5e6f", pair)
		}
		sc, err := drill.ParseScenarioName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		if _, dup := out[sc]; dup {
			return nil, fmt.Errorf("%s given two templates", sc)
		}
		out[sc] = strings.TrimSpace(template)
	}
	return out, nil
}

// dropUnbuildable leaves out of the plan, saying why, the drills the
// target refuses to build as asked (aws: a region's partition with no
// experiment template, a backup restore with no --restore-role-arn), so
// that the game day runs the others rather than stopping at the first of
// them.
func dropUnbuildable(ctx context.Context, t *topology.Topology, tgt target.Target, plan *gameday.Plan, af awsDrillFlags, templates map[drill.ScenarioName]string) error {
	var failed error
	err := plan.Drop(func(d gameday.Drill) string {
		svc, region, err := drill.Choose(t, d.Scenario, d.Service, d.Region)
		if err == nil {
			_, err = tgt.Drill(ctx, target.DrillRequest{Scenario: d.Scenario, Service: svc, Region: region, Zone: 1, Experiment: templates[d.Scenario],
				RestoreRole: af.restoreRole, DNSServer: af.dnsServer, Wait: af.wait})
		}
		switch {
		case err == nil:
			return ""
		case errors.Is(err, target.ErrBadRequest):
			return err.Error()
		}
		failed = errors.Join(failed, fmt.Errorf("prepare %s: %w", d.Label(true), err))
		return ""
	}, "the target can build none of the drills asked for as asked")
	return errors.Join(failed, err)
}

// gamedaySettle is how the game day brings the environment back after a
// drill that leaves it failed over: recreate-region --failback of the
// disrupted region, through the target's Recreator, as `bulwark
// recreate-region` runs it. A target that cannot drops those drills.
func gamedaySettle(ctx context.Context, p *project.Project, t *topology.Topology, tgt target.Target, plan *gameday.Plan, f *envFlags, tf orchestrate.LayerRunner, errOut io.Writer) (func(context.Context, gameday.Drill) error, int) {
	if !plan.NeedsSettle() {
		return nil, exitOK
	}
	recreator, err := tgt.Recreator(ctx)
	if errors.Is(err, target.ErrUnsupported) {
		if err := plan.DropSettling(fmt.Sprintf("target %s cannot bring it back (recreate-region: %v)", t.Environment.Target, err)); err != nil {
			fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
			return nil, exitBadInput
		}
		return nil, exitOK
	}
	if err != nil {
		return nil, targetFailed(errOut, "gameday", err)
	}
	if code := policyGate(ctx, p, t, "gameday", errOut); code != exitOK {
		return nil, code
	}
	eng, progress, code := engineFor(ctx, p, t, &deployFlags{envFlags: *f}, errOut, errOut)
	if eng == nil {
		return nil, code
	}
	return func(ctx context.Context, d gameday.Drill) error {
		_, err := recreator.RecreateRegion(ctx, target.RecreateRequest{
			Region: d.Region, Failback: true, Engine: eng, Wait: time.Minute, Layers: tf,
			Progress:       func(line string) { fmt.Fprintf(errOut, "  recreate-region: %s\n", line) },
			EngineProgress: progress,
		})
		return err
	}, exitOK
}

// writePlan says what the game day runs, and what it leaves out.
func writePlan(w io.Writer, plan *gameday.Plan) {
	fmt.Fprintf(w, "gameday: %s: %d drill(s), %d run(s) each, %d in all\n", plan.Environment, len(plan.Drills), plan.Runs, plan.Total())
	for _, d := range plan.Drills {
		after := ""
		if d.Settle {
			after = " (then recreate-region " + d.Region + " --failback)"
		}
		fmt.Fprintf(w, "gameday:   %s%s\n", d.Label(plan.Services > 1), after)
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(w, "gameday:   not drilled: %s %s: %s\n", s.Service, s.Scenario, s.Why)
	}
}

// loadGamedayHistory reads the recorded game days, saying which files it
// left out; nil and an exit code when it cannot read them.
func loadGamedayHistory(dir string, errOut io.Writer) ([]gameday.Record, int) {
	recs, skipped, err := gameday.LoadHistory(dir)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: the history: %v\n", err)
		return nil, exitFailed
	}
	for _, s := range skipped {
		fmt.Fprintf(errOut, "bulwark gameday: %s is not a game day record; left out of the history\n", s)
	}
	return recs, exitOK
}

// gamedayHistory draws the recorded game days' trend and prints them.
func gamedayHistory(env, histDir, reportDir, format string, out, errOut io.Writer) int {
	recs, code := loadGamedayHistory(histDir, errOut)
	if recs == nil && code != exitOK {
		return code
	}
	dir := reportDir
	if dir == "" {
		dir = histDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		return exitFailed
	}
	svg := filepath.Join(dir, "history.svg")
	if err := os.WriteFile(svg, []byte(gameday.HistorySVG(env, recs)), 0o644); err != nil {
		fmt.Fprintf(errOut, "bulwark gameday: %v\n", err)
		return exitFailed
	}
	if format == "json" {
		if recs == nil {
			recs = []gameday.Record{}
		}
		code := writeJSON(out, errOut, recs)
		fmt.Fprintf(errOut, "trend: %s\n", svg)
		return code
	}
	writeHistoryTable(out, env, recs)
	fmt.Fprintf(errOut, "trend: %s\n", svg)
	return exitOK
}

// writeHistoryTable prints one row per recorded game day and scenario.
func writeHistoryTable(w io.Writer, env string, recs []gameday.Record) {
	if len(recs) == 0 {
		fmt.Fprintf(w, "No game day of %s recorded yet (bulwark gameday --env %s).\n", env, env)
		return
	}
	fmt.Fprintf(w, "Game days of %s: %d recorded\n\n", env, len(recs))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GAME DAY\tSCENARIO\tMEDIAN RTO\tESTIMATE RTO\tMEDIAN RPO\tESTIMATE RPO\tTARGET RTO/RPO\tVERDICT")
	num := func(n drill.Numbers, rpo bool) string {
		if !n.Known {
			return "-"
		}
		if rpo {
			return gameday.Seconds(n.RPOSeconds)
		}
		return gameday.Seconds(n.RTOSeconds)
	}
	for _, rec := range recs {
		for _, s := range rec.Scenarios {
			target := "-"
			if s.Target.Known {
				target = gameday.Seconds(s.Target.RTOSeconds) + "/" + gameday.Seconds(s.Target.RPOSeconds)
			}
			verdict := "passed"
			if !s.Passed {
				verdict = "FAILED"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rec.Time.Local().Format("2006-01-02 15:04:05"), s.Label,
				num(s.Median, false), num(s.Estimate, false), num(s.Median, true), num(s.Estimate, true), target, verdict)
		}
	}
	_ = tw.Flush()
}
