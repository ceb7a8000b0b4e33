package gameday

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// DefaultTimeout bounds a game day: no drill starts after it.
const DefaultTimeout = 30 * time.Minute

// Runner runs a plan's drills in turn through its callbacks.
type Runner struct {
	Plan     *Plan
	Topology *topology.Topology
	// Drill builds and runs one drill (run is 1-based); it gives the
	// drill's stop conditions to alarms.Wrap. An error that is ErrBadInput
	// stops the game day (the drill cannot be built as asked); any other
	// is the run's failure, with the report if there is one.
	Drill func(ctx context.Context, d Drill, run int, alarms *Alarms) (*drill.Report, error)
	// Settle brings the environment back after a run of a drill that
	// leaves it failed over (Drill.Settle): recreate-region --failback of
	// d.Region. Nil: such drills fail the game day at their first run.
	Settle func(ctx context.Context, d Drill) error
	// Progress receives a line per drill, and the game day's own notes.
	Progress func(string)
	// Timeout: no drill starts after it (0: DefaultTimeout); the drill
	// under way finishes by its own deadline.
	Timeout time.Duration
	// ReportDir, when set, receives each drill's own report under
	// drills/<n>-<scenario>-<region>-run<k>/.
	ReportDir string
	// Clock is the game day's (nil: the wall clock).
	Clock clock.Clock
}

// Run runs the plan and returns the report (the gate is the caller's:
// Report.Gate with the history). An error is ErrBadInput from a drill that
// could not be built, or the context's.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	clk := clock.OrReal(r.Clock)
	progress := r.Progress
	if progress == nil {
		progress = func(string) {}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	alarms := NewAlarms(clk)
	started := clk.Now()
	stopAt := started.Add(timeout)
	var runs []Run
	var stopped string
	var runErr error
	withService := r.Plan.Services > 1
	total, n := r.Plan.Total(), 0
drills:
	for _, d := range r.Plan.Drills {
		for k := 1; k <= r.Plan.Runs; k++ {
			n++
			label := d.Label(withService)
			if err := ctx.Err(); err != nil {
				stopped, runErr = fmt.Sprintf("interrupted before %d/%d %s run %d", n, total, label, k), err
				break drills
			}
			if !clk.Now().Before(stopAt) {
				stopped = fmt.Sprintf("the timeout (%s) passed before %d/%d %s run %d", timeout, n, total, label, k)
				break drills
			}
			alarms.During(fmt.Sprintf("%s run %d", label, k))
			run := Run{Key: d.Key(), Run: k, Started: clk.Now()}
			rep, err := r.Drill(ctx, d, k, alarms)
			run.Took = clk.Now().Sub(run.Started)
			if errors.Is(err, ErrBadInput) {
				stopped, runErr = fmt.Sprintf("%s could not be built: %v", label, err), err
				break drills
			}
			run.fill(rep, err)
			if rep != nil && r.ReportDir != "" {
				dir := filepath.Join(r.ReportDir, "drills", fmt.Sprintf("%02d-%s-%s-run%d", n, d.Scenario, d.Region, k))
				if werr := rep.Write(dir); werr != nil {
					run.Error = strings.TrimPrefix(run.Error+"; ", "; ") + "write the drill's report: " + werr.Error()
				} else {
					run.Dir = dir
				}
			}
			line := fmt.Sprintf("%d/%d %s run %d: %s", n, total, label, k, run.Summary())
			why := stopReason(rep, d)
			if rep == nil && err != nil {
				why = fmt.Sprintf("%s did not run: %v", label, err)
			}
			if d.Settle && injected(rep) && why == "" {
				if r.Settle == nil {
					why = "nothing brings the environment back after " + label
				} else {
					progress(fmt.Sprintf("%s; bringing %s back (recreate-region --failback)", line, d.Region))
					t0 := clk.Now()
					if serr := r.Settle(ctx, d); serr != nil {
						run.Settled = "failed: " + serr.Error()
						why = fmt.Sprintf("%s could not be brought back after %s: %v", d.Region, label, serr)
					} else {
						run.Settled = fmt.Sprintf("recreate-region %s --failback: %s", d.Region, clk.Now().Sub(t0).Round(100*time.Millisecond))
					}
					line = fmt.Sprintf("%d/%d %s run %d: %s", n, total, label, k, run.Summary())
				}
			}
			runs = append(runs, run)
			progress(line)
			if why != "" {
				stopped = why
				break drills
			}
		}
	}
	rep := NewReport(r.Plan, r.Topology, runs)
	rep.Started, rep.Finished = started, clk.Now()
	rep.Stopped = stopped
	rep.OwnAlarms = alarms.Own()
	rep.AlarmsBefore = alarms.Baseline()
	if stopped != "" {
		progress("stopped: " + stopped)
	}
	return rep, runErr
}

// stopReason says why the game day cannot go on after a drill: it was
// refused at its preflight (the environment is not steady), or its
// restore failed (the environment is not as planned).
func stopReason(rep *drill.Report, d Drill) string {
	if rep == nil {
		return ""
	}
	for _, s := range rep.Steps {
		switch {
		case s.Name == "preflight" && s.Error != "":
			return fmt.Sprintf("%s %s was refused at its preflight: %s", d.Scenario, d.Region, s.Error)
		case s.Name == "restore" && s.Error != "":
			return fmt.Sprintf("%s %s did not restore the steady state: %s", d.Scenario, d.Region, s.Error)
		}
	}
	return ""
}

// injected says whether the drill got as far as injecting its failure.
func injected(rep *drill.Report) bool {
	return rep != nil && slices.ContainsFunc(rep.Steps, func(s drill.Step) bool { return s.Name == "inject" })
}

// Run is one run of a drill.
type Run struct {
	Key     string        `json:"key"`
	Run     int           `json:"run"`
	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took_ns"`
	// Measured is what the drill measured (Known false: it did not recover,
	// or did not run its course).
	Measured drill.Numbers `json:"measured"`
	Passed   bool          `json:"passed"`
	// Failed are the drill's failed checks, and Error its error.
	Failed []string `json:"failed_checks,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Settled says how the environment was brought back after it.
	Settled string `json:"settled,omitempty"`
	// Dir is where its own report went.
	Dir string `json:"report_dir,omitempty"`

	estimate, target drill.Numbers
	hasReport        bool
}

func (r *Run) fill(rep *drill.Report, err error) {
	if err != nil {
		r.Error = err.Error()
	}
	if rep == nil {
		return
	}
	r.hasReport = true
	r.Measured, r.estimate, r.target = rep.Measured, rep.Estimated, rep.Target
	r.Passed = err == nil && rep.Passed()
	for _, c := range rep.Checks {
		if !c.Passed {
			r.Failed = append(r.Failed, c.Name)
		}
	}
}

// Summary is the run on one line: "RTO 1.2s RPO 0s passed".
func (r Run) Summary() string {
	var b strings.Builder
	if r.Measured.Known {
		fmt.Fprintf(&b, "RTO %s RPO %s ", Seconds(r.Measured.RTOSeconds), Seconds(r.Measured.RPOSeconds))
	} else if r.hasReport {
		b.WriteString("not recovered ")
	}
	if r.Passed {
		b.WriteString("passed")
	} else {
		b.WriteString("FAILED")
		if len(r.Failed) > 0 {
			b.WriteString(" (" + strings.Join(r.Failed, ", ") + ")")
		} else if r.Error != "" {
			b.WriteString(": " + r.Error)
		}
	}
	if r.Settled != "" {
		b.WriteString("; " + r.Settled)
	}
	return b.String()
}

// Seconds renders seconds as a short duration: "1.2s", "0s", "350ms".
func Seconds(s float64) string {
	switch {
	case s == 0:
		return "0s"
	case s < 1:
		return fmt.Sprintf("%.0fms", s*1000)
	case s < 100:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", s), "0"), ".") + "s"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}
