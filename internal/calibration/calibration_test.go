package calibration

import (
	"context"
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

// The medians of what the drills and the restore runs measured, worked
// out by hand: promotions of 100, 120 and 300 ms (median 120),
// reconnections of 0, 50 and 10 ms (median 10); a failed drill is left
// out, and backup-restore drills measure nothing now (the restore runs
// do). Restore runs: 1.0 s fresh then 1.8 s with 8 segments more (0.1 s
// a segment, base 1.0 s); 1.2 s fresh with 1 segment found then 1.76 s
// with 9 (0.56 / 8 = 0.07 s a segment, base 1.2 - 0.07 = 1.13 s); 0.9 s
// then 1.62 s, 8 more (0.09 s, base 0.9 s); one whose second restore found
// no more segments, left out. Medians: base 1.0 s, a segment 0.09 s.
// restore_command calls: every run's, that one's too: 10, 14, 12, 20, 11
// and 13 ms, sorted 10 11 12 13 14 20, median (12 + 13) / 2 = 12.5 ms.
func TestMeasure(t *testing.T) {
	ms := time.Millisecond
	restores := []RestoreRun{
		{Fresh: Restored{time.Second, 0}, Replayed: Restored{1800 * time.Millisecond, 8}, Probes: []time.Duration{10 * ms, 14 * ms}},
		{Fresh: Restored{1200 * time.Millisecond, 1}, Replayed: Restored{1760 * time.Millisecond, 9}, Probes: []time.Duration{12 * ms}},
		{Fresh: Restored{900 * time.Millisecond, 0}, Replayed: Restored{1620 * time.Millisecond, 8}, Probes: []time.Duration{20 * ms, 11 * ms}},
		{Fresh: Restored{900 * time.Millisecond, 2}, Replayed: Restored{5 * time.Second, 2}, Probes: []time.Duration{13 * ms}},
	}
	f, err := Measure("dev", []*drill.Report{
		report(drill.DatabasePrimaryLoss, 100*time.Millisecond, 0, true),
		report(drill.DatabasePrimaryLoss, 300*time.Millisecond, 50*time.Millisecond, true),
		report(drill.DatabasePrimaryLoss, 120*time.Millisecond, 10*time.Millisecond, true),
		report(drill.DatabasePrimaryLoss, 9*time.Second, 0, false),
		report(drill.BackupRestore, 1500*time.Millisecond, 0, true),
		report(drill.InstanceLoss, time.Millisecond, 0, true),
	}, restores, t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Figure{
		Promote:        {Seconds: 0.12, Runs: 3, Min: 0.1, Max: 0.3},
		Reconnect:      {Seconds: 0.01, Runs: 3, Min: 0, Max: 0.05},
		Restore:        {Seconds: 1.0, Runs: 3, Min: 0.9, Max: 1.13},
		RestoreSegment: {Seconds: 0.09, Runs: 3, Min: 0.07, Max: 0.1},
		RestoreProbe:   {Seconds: 0.0125, Runs: 6, Min: 0.01, Max: 0.02},
	} {
		got := f.Figures[name]
		if !near(got.Seconds, want.Seconds) || got.Runs != want.Runs || !near(got.Min, want.Min) || !near(got.Max, want.Max) || got.How == "" {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if _, err := Measure("dev", []*drill.Report{report(drill.DatabasePrimaryLoss, time.Second, 0, true)}, nil, t0); !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), Restore) {
		t.Errorf("no restore run: %v", err)
	}
	// a replay measured faster than no replay is no figure
	slower := []RestoreRun{{Fresh: Restored{2 * time.Second, 0}, Replayed: Restored{time.Second, 8}}}
	if _, err := Measure("dev", []*drill.Report{report(drill.DatabasePrimaryLoss, time.Second, 0, true)}, slower, t0); err == nil || !strings.Contains(err.Error(), RestoreSegment) {
		t.Errorf("a negative per-segment time: %v", err)
	}
}

func TestRestoreRunDerivesTheSegmentsReplay(t *testing.T) {
	// by hand: 1.1 s fresh with no segment past the backup, 1.78 s with 8:
	// (1.78 - 1.1) / 8 = 0.085 s a segment, base 1.1 s
	run := RestoreRun{Fresh: Restored{1100 * time.Millisecond, 0}, Replayed: Restored{1780 * time.Millisecond, 8}}
	per, err := run.PerSegment()
	if err != nil || !near(per, 0.085) {
		t.Errorf("per segment %g, %v; want 0.085", per, err)
	}
	if base, err := run.Base(); err != nil || !near(base, 1.1) {
		t.Errorf("base %g, %v; want 1.1", base, err)
	}
	// 2 segments archived before the fresh restore: (2.5 - 1.3) / (10 - 2)
	// = 0.15 s a segment, base 1.3 - 2 × 0.15 = 1.0 s
	run = RestoreRun{Fresh: Restored{1300 * time.Millisecond, 2}, Replayed: Restored{2500 * time.Millisecond, 10}}
	if per, err := run.PerSegment(); err != nil || !near(per, 0.15) {
		t.Errorf("per segment %g, %v; want 0.15", per, err)
	}
	if base, err := run.Base(); err != nil || !near(base, 1.0) {
		t.Errorf("base %g, %v; want 1.0", base, err)
	}
	run = RestoreRun{Fresh: Restored{time.Second, 3}, Replayed: Restored{2 * time.Second, 3}}
	if _, err := run.PerSegment(); err == nil {
		t.Error("no more segments replayed, and a per-segment figure")
	}
}

// fakeBench is a database whose restores take base plus per for each
// segment archived since the last backup; failAt fails that restore call
// (1-based).
type fakeBench struct {
	base, per time.Duration
	past      int
	calls     []string
	restores  int
	failAt    int
	switched  []int
	probe     time.Duration // each restore_command call
}

func (b *fakeBench) Probe(context.Context) (time.Duration, error) {
	b.calls = append(b.calls, "probe")
	return b.probe, nil
}

func (b *fakeBench) Backup(context.Context) error {
	b.calls, b.past = append(b.calls, "backup"), 0
	return nil
}

func (b *fakeBench) SwitchSegments(_ context.Context, k int) error {
	b.calls, b.past = append(b.calls, "switch"), b.past+k
	b.switched = append(b.switched, k)
	return nil
}

func (b *fakeBench) Restore(context.Context) (Restored, error) {
	b.calls = append(b.calls, "restore")
	b.restores++
	if b.restores == b.failAt {
		return Restored{}, errors.New("the copy did not start")
	}
	return Restored{b.base + time.Duration(b.past)*b.per, b.past}, nil
}

func TestMeasureRestores(t *testing.T) {
	b := &fakeBench{base: time.Second, per: 80 * time.Millisecond, failAt: 3, probe: 15 * time.Millisecond}
	var lines []string
	runs, err := MeasureRestores(context.Background(), b, 3, SegmentsSwitched, time.Minute, func(s string) { lines = append(lines, s) })
	// the second run's first restore fails: it is left out, its error said
	if err == nil || !strings.Contains(err.Error(), "restore run 2: restore right after the backup: the copy did not start") {
		t.Errorf("error %v, want run 2's", err)
	}
	if len(runs) != 2 || len(lines) != 3 {
		t.Fatalf("%d runs, %d lines (%q), want 2 and 3", len(runs), len(lines), lines)
	}
	want := RestoreRun{Fresh: Restored{time.Second, 0}, Replayed: Restored{1640 * time.Millisecond, 8}} // 1 s + 8 × 80 ms
	for i, r := range runs {
		if r.Fresh != want.Fresh || r.Replayed != want.Replayed || len(r.Probes) != ProbesPerRun || r.Probes[0] != 15*time.Millisecond {
			t.Errorf("run %d: %+v, want %+v and %d calls of 15ms", i, r, want, ProbesPerRun)
		}
	}
	if got := strings.Join(b.calls[:4+ProbesPerRun+1], ","); got != "backup,restore,switch,restore"+strings.Repeat(",probe", ProbesPerRun)+",backup" {
		t.Errorf("a run's steps: %s", got)
	}
	for _, k := range b.switched {
		if k != 8 {
			t.Errorf("switched %d segments, want 8", k)
		}
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
		Promote:        {Seconds: 0.12, Runs: 3, Min: 0.1, Max: 0.3, How: "a replica promoted"},
		Restore:        {Seconds: 1.0, Runs: 2, Min: 0.9, Max: 1.1, How: "a restore"},
		RestoreSegment: {Seconds: 0.085, Runs: 2, Min: 0.08, Max: 0.09, How: "a segment replayed"},
		RestoreProbe:   {Seconds: 0.0144, Runs: 30, Min: 0.011, Max: 0.03, How: "a call"},
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
	if tm.Promote.D != 120*time.Millisecond || !strings.Contains(tm.Promote.Source, "median of 3 run(s) in dev on 2026-12-06, 100ms to 300ms") {
		t.Errorf("promote: %+v", tm.Promote)
	}
	if tm.Restore.D != time.Second || tm.Reconnect != def.Reconnect || tm.Replace != def.Replace {
		t.Errorf("restore %+v; reconnect and replace keep the defaults: %+v %+v", tm.Restore, tm.Reconnect, tm.Replace)
	}
	if tm.RestoreSegment.D != 85*time.Millisecond || !strings.Contains(tm.RestoreSegment.Source, "a segment replayed, median of 2 run(s) in dev") {
		t.Errorf("restore segment: %+v", tm.RestoreSegment)
	}
	if tm.RestoreProbe.D != 14*time.Millisecond || !strings.Contains(tm.RestoreProbe.Source, "a call, median of 30 run(s) in dev on 2026-12-06, 11ms to 30ms") {
		t.Errorf("restore probe: %+v", tm.RestoreProbe)
	}
	if err := os.WriteFile(filepath.Join(root, "calibration", "local.json"), []byte(`{"figures":{"promote":{"seconds":-1,"runs":1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root); err == nil || !strings.Contains(err.Error(), "not a measurement") {
		t.Errorf("a negative figure: %v", err)
	}
}
