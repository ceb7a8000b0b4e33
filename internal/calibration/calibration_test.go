package calibration

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

var t0 = time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)

// report is a passed drill whose recovery step took rec and whose probe
// next wrote after reconnect.
func report(scenario drill.ScenarioName, rec, reconnect time.Duration, passed bool) *drill.Report {
	start := t0.Add(time.Second)
	r := &drill.Report{Scenario: string(scenario), Steps: []drill.Step{{Name: "recover", Start: start, End: start.Add(rec)}},
		Attempts: []drill.Attempt{
			{At: start.Add(-50 * time.Millisecond), OK: true},
			{At: start.Add(rec / 2), OK: false},
			{At: start.Add(rec + reconnect), OK: true},
		},
		Checks: []drill.Check{{Name: "recovered", Passed: passed}}}
	if scenario == drill.BackupRestore {
		r.Outage.Recovered = start.Add(rec) // the copy's first answer
		r.Steps[0].End = start.Add(rec + 300*time.Millisecond)
	}
	return r
}

// The medians of what the drills measured, worked out by hand: promotions
// of 100, 120 and 300 ms (median 120), reconnections of 0, 50 and 10 ms
// (median 10), restores of 1.5 and 1.7 s (median 1.6); a failed drill is
// left out.
func TestMeasure(t *testing.T) {
	f, err := Measure("dev", []*drill.Report{
		report(drill.DatabasePrimaryLoss, 100*time.Millisecond, 0, true),
		report(drill.DatabasePrimaryLoss, 300*time.Millisecond, 50*time.Millisecond, true),
		report(drill.DatabasePrimaryLoss, 120*time.Millisecond, 10*time.Millisecond, true),
		report(drill.DatabasePrimaryLoss, 9*time.Second, 0, false),
		report(drill.BackupRestore, 1500*time.Millisecond, 0, true),
		report(drill.BackupRestore, 1700*time.Millisecond, 0, true),
		report(drill.InstanceLoss, time.Millisecond, 0, true),
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Figure{
		Promote:   {Seconds: 0.12, Runs: 3, Min: 0.1, Max: 0.3},
		Reconnect: {Seconds: 0.01, Runs: 3, Min: 0, Max: 0.05},
		Restore:   {Seconds: 1.6, Runs: 2, Min: 1.5, Max: 1.7},
	} {
		got := f.Figures[name]
		if !near(got.Seconds, want.Seconds) || got.Runs != want.Runs || !near(got.Min, want.Min) || !near(got.Max, want.Max) || got.How == "" {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if _, err := Measure("dev", []*drill.Report{report(drill.DatabasePrimaryLoss, time.Second, 0, true)}, t0); !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), Restore) {
		t.Errorf("no backup-restore drill: %v", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// A saved calibration loads back and replaces the local defaults, saying
// where each figure comes from; a project without one keeps them; a file
// that is no measurement is refused.
func TestSaveLoadApply(t *testing.T) {
	root := t.TempDir()
	if f, err := Load(root); f != nil || err != nil {
		t.Fatalf("no calibration: %v %v", f, err)
	}
	f := &File{Target: "local", Environment: "dev", Measured: t0, Figures: map[string]Figure{
		Promote: {Seconds: 0.12, Runs: 3, Min: 0.1, Max: 0.3, How: "a replica promoted"},
		Restore: {Seconds: 1.6, Runs: 2, Min: 1.5, Max: 1.7, How: "a restore"},
	}}
	if err := f.Save(root); err != nil {
		t.Fatal(err)
	}
	back, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	def := policies.DefaultTimings(topology.TargetLocal)
	tm := back.Apply(def)
	if tm.Promote.D != 120*time.Millisecond || !strings.Contains(tm.Promote.Source, "median of 3 drill(s) of dev on 2026-12-06, 100ms to 300ms") {
		t.Errorf("promote: %+v", tm.Promote)
	}
	if tm.Restore.D != 1600*time.Millisecond || tm.Reconnect != def.Reconnect || tm.Replace != def.Replace {
		t.Errorf("restore %+v; reconnect and replace keep the defaults: %+v %+v", tm.Restore, tm.Reconnect, tm.Replace)
	}
	if err := os.WriteFile(filepath.Join(root, "calibration", "local.json"), []byte(`{"figures":{"promote":{"seconds":-1,"runs":1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root); err == nil || !strings.Contains(err.Error(), "not a measurement") {
		t.Errorf("a negative figure: %v", err)
	}
}
