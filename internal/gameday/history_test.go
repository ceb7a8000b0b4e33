package gameday

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

var day0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// rec is a recorded game day of environment t with one scenario's medians.
func rec(env string, day int, key string, rto, rpo float64, passed bool) Record {
	return Record{Environment: env, Time: day0.AddDate(0, 0, day), Runs: 3, Passed: passed, Scenarios: []RecordScenario{{
		Key: key, Label: key, Measured: 3, Median: drill.Numbers{RTOSeconds: rto, RPOSeconds: rpo, Known: true},
		Estimate: drill.Numbers{RTOSeconds: 2.2, Known: true}, Target: drill.Numbers{RTOSeconds: 60, Known: true}, Passed: passed}}}
}

// today is a report of environment t, 10 days after day0, whose one
// scenario measured the given medians (a single run each).
func today(key string, rto, rpo float64, target drill.Numbers) *Report {
	s := Scenario{Key: key, Label: key, Planned: 1, RTO: Stats{Median: rto, Min: rto, Max: rto, N: 1}, RPO: Stats{Median: rpo, Min: rpo, Max: rpo, N: 1},
		Target: target, AllPassed: true, WithinTarget: true, Passed: true}
	return &Report{Environment: "t", Started: day0.AddDate(0, 0, 10), Scenarios: []Scenario{s}, Plan: &Plan{Runs: 1}}
}

const k = "shop/region-loss/east"

// history: RTO medians, oldest first, 3.0 (older than the last five that
// passed), 1.0, 1.2, 0.8, 1.1, 9.0 (failed: not a baseline), 0.9; a
// record of another environment and one after today are ignored. The
// last five that passed: 0.9 1.1 0.8 1.2 1.0, median 1.0 s; RPO 0 throughout.
func history() []Record {
	return []Record{
		rec("t", 0, k, 3.0, 0, true), rec("t", 1, k, 1.0, 0, true), rec("t", 2, k, 1.2, 0, true), rec("t", 3, k, 0.8, 0, true),
		rec("t", 4, k, 1.1, 0, true), rec("t", 5, k, 9.0, 0, false), rec("t", 6, k, 0.9, 0, true),
		rec("other", 7, k, 0.1, 0, true), rec("t", 11, k, 0.1, 0, true),
	}
}

func TestGateGrowth(t *testing.T) {
	for _, c := range []struct {
		name      string
		rto, rpo  float64
		regressed bool
		growth    float64
		why       string
	}{
		{"40 % slower", 1.4, 0, false, 40, ""},
		{"exactly 50 % slower", 1.5, 0, false, 50, ""},
		{"60 % slower", 1.6, 0, true, 60, "median RTO 1.6s grew by 60 % over the last game days' 1s"},
		{"faster", 0.5, 0, false, -50, ""},
		{"an RPO where there was none", 1.0, 0.05, true, 0, "median RPO 50ms where the last game days lost nothing"},
		{"past the target", 70, 0, true, 6900, "median RTO 70s is past the target 60s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := today(k, c.rto, c.rpo, drill.Numbers{RTOSeconds: 60, Known: true})
			r.Gate(history(), 0.5)
			g := r.Scenarios[0].Gate
			if g.Records != 5 || g.Baseline == nil || g.Baseline.RTOSeconds != 1.0 || g.Baseline.RPOSeconds != 0 || r.History != 7 {
				t.Fatalf("baseline %+v over %d records (history %d), want 1s over 5 of 7", g.Baseline, g.Records, r.History)
			}
			if g.Regressed != c.regressed || *g.RTOGrowth-c.growth > 1e-6 || c.growth-*g.RTOGrowth > 1e-6 || !strings.Contains(g.Message, c.why) {
				t.Errorf("regressed %v growth %v %q; want %v %v %q", g.Regressed, *g.RTOGrowth, g.Message, c.regressed, c.growth, c.why)
			}
			if r.Passed == c.regressed {
				t.Errorf("the game day passed %v with regressed %v", r.Passed, c.regressed)
			}
			junit := string(r.JUnit())
			if strings.Contains(junit, `name="`+k+`: no regression"`) != true || strings.Contains(junit, "<failure") != c.regressed {
				t.Errorf("junit:\n%s", junit)
			}
		})
	}
}

// Under 0.25 s of growth is noise however large the share: 0.1 s to 0.3 s
// is +200 % and not a regression; to 0.4 s it is.
func TestGateNoise(t *testing.T) {
	hist := []Record{rec("t", 0, k, 0.1, 0, true)}
	for rto, want := range map[float64]bool{0.3: false, 0.349: false, 0.4: true} {
		r := today(k, rto, 0, drill.Numbers{})
		r.Gate(hist, 0.5)
		if g := r.Scenarios[0].Gate; g.Regressed != want {
			t.Errorf("0.1s to %gs: regressed %v (%s), want %v", rto, g.Regressed, g.Message, want)
		}
	}
	// from an RTO of 0: only past the noise
	hist = []Record{rec("t", 0, k, 0, 0.5, true)}
	for rto, want := range map[float64]bool{0.2: false, 0.3: true} {
		r := today(k, rto, 0.5, drill.Numbers{})
		r.Gate(hist, 0.5)
		if g := r.Scenarios[0].Gate; g.Regressed != want || g.RTOGrowth != nil {
			t.Errorf("0s to %gs: regressed %v growth %v (%s), want %v", rto, g.Regressed, g.RTOGrowth, g.Message, want)
		}
	}
	// no history: only the target judges
	r := today(k, 5, 0, drill.Numbers{RTOSeconds: 60, Known: true})
	r.Gate(nil, 0.5)
	if g := r.Scenarios[0].Gate; g.Regressed || g.Records != 0 || !strings.Contains(g.Message, "no earlier game day") || !r.Passed {
		t.Errorf("no history: %+v", g)
	}
}

func TestHistoryRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gamedays", "t")
	for _, r := range []Record{rec("t", 2, k, 1.2, 0, true), rec("t", 1, k, 1.0, 0, true), rec("t", 1, k, 1.1, 0, false)} {
		if _, err := SaveRecord(dir, "", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.json"), []byte(`{"hello": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, Stamp(day0)), 0o755); err != nil { // a report folder beside the records
		t.Fatal(err)
	}
	recs, skipped, err := LoadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	if strings.Join(names, " ") != "20250302T100000Z-2.json 20250302T100000Z.json 20250303T100000Z.json notes.json" {
		t.Errorf("files %v", names)
	}
	if len(recs) != 3 || len(skipped) != 1 || !recs[0].Time.Equal(day0.AddDate(0, 0, 1)) || recs[2].Scenarios[0].Median.RTOSeconds != 1.2 {
		t.Errorf("records %+v, skipped %v", recs, skipped)
	}
	if recs, _, err := LoadHistory(filepath.Join(dir, "missing")); err != nil || len(recs) != 0 {
		t.Errorf("a missing history: %v %v", recs, err)
	}

	// a report's record keeps the medians, the estimate and the target
	p := regionLossPlan(t, 1)
	rep, _, _, _ := fakeDay(t, p, map[string]outcome{"region-loss east 1": {rto: 1.5}, "region-loss west 1": {rto: 0.9}}, map[drill.ScenarioName]drill.Numbers{drill.RegionLoss: {RTOSeconds: 2.2, Known: true}}, 0)
	r := rep.Record()
	if len(r.Scenarios) != 2 || r.Scenarios[0].Key != "shop/region-loss/east" || r.Scenarios[0].Median.RTOSeconds != 1.5 || r.Scenarios[0].Estimate.RTOSeconds != 2.2 ||
		r.Scenarios[0].Target.RTOSeconds != 60 || !r.Scenarios[0].Passed || r.Runs != 1 || r.Environment != "t" {
		t.Errorf("record %+v", r)
	}
}

// Where both game days' estimates were conditioned on what the drills
// found, the earlier median is scaled to this game day's conditions: a
// partition measured 1.56 s against an estimate of 1.8 s, then 2.44 s
// against 2.3 s, did not regress (1.56 × 2.3 / 1.8 = 1.993 s, +22 %); the
// same 2.44 s against an unconditioned estimate did (+56 %).
func TestGateScalesConditionedBaselines(t *testing.T) {
	earlier := rec("t", 1, k, 1.56, 0, true)
	earlier.Scenarios[0].Estimate = drill.Numbers{RTOSeconds: 1.8, Known: true, How: "the median of 3 runs' estimates, each for what its drill found"}
	r := today(k, 2.44, 0, drill.Numbers{RTOSeconds: 60, Known: true})
	r.Scenarios[0].Estimate = drill.Numbers{RTOSeconds: 2.3, Known: true, How: "the median of 3 runs' estimates, each for what its drill found"}
	r.Gate([]Record{earlier}, 0.5)
	g := r.Scenarios[0].Gate
	if g.Regressed || g.Baseline == nil || g.Baseline.RTOSeconds < 1.9933 || g.Baseline.RTOSeconds > 1.9934 {
		t.Errorf("conditioned: %+v baseline %+v, want not regressed over 1.993 s", g, g.Baseline)
	}
	r.Scenarios[0].Estimate.How = ""
	r.Gate([]Record{earlier}, 0.5)
	if g := r.Scenarios[0].Gate; !g.Regressed || g.Baseline.RTOSeconds != 1.56 {
		t.Errorf("unconditioned: %+v, want regressed over 1.56 s", g)
	}
}
