package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/gameday"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A game day asked for as it cannot run exits 2 before it touches anything.
// (No test here runs a game day against the local target: the package's
// tests share no deployed environment, and a deployment of its own is
// minutes; internal/gameday's tests run the game day on fake drills.)
func TestGamedayUsageErrors(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	for _, args := range [][]string{
		{"gameday"},
		{"gameday", "--env", "dev", "--scenario", "meteor-strike"},
		{"gameday", "--env", "dev", "--scenario", "instance-loss,"},
		{"gameday", "--env", "dev", "--runs", "0"},
		{"gameday", "--env", "dev", "--runs", "500"},
		{"gameday", "--env", "dev", "--max-growth", "lots"},
		{"gameday", "--env", "dev", "--max-growth", "-5%"},
		{"gameday", "--env", "dev", "--timeout", "-1s"},
		{"gameday", "--env", "dev", "--fis-template", "EXT1a2b3c"},
		{"gameday", "--env", "dev", "--fis-template", "zone-loss=EXT1,zone-loss=EXT2"},
		{"gameday", "--env", "dev", "--service", "nope"},
		{"gameday", "--env", "dev", "--format", "yaml"},
	} {
		code, out, errOut := inProject(t, args...)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("usage errors touched the state directory: %v", entries)
	}
}

// --history prints the recorded game days and draws their trend; it runs
// no drill and needs nothing deployed.
func TestGamedayHistory(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	code, out, errOut := inProject(t, "gameday", "--env", "dev", "--history")
	if code != exitOK || !strings.Contains(out, "No game day of dev recorded yet") {
		t.Fatalf("empty history: %d\n%s%s", code, out, errOut)
	}
	dir := gameday.HistoryDir(state, "dev")
	day := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, rto := range []float64{1.05, 0.94, 5.15} {
		rec := gameday.Record{Environment: "dev", Time: day.AddDate(0, 0, i), Runs: 3, Passed: rto < 5, Scenarios: []gameday.RecordScenario{{
			Key: "shop/region-loss/east", Label: `region-loss <east>`, Measured: 3,
			Median:   drill.Numbers{RTOSeconds: rto, Known: true},
			Estimate: drill.Numbers{RTOSeconds: 2.2, Known: true}, Target: drill.Numbers{RTOSeconds: 60, Known: true}, Passed: rto < 5}}}
		if _, err := gameday.SaveRecord(dir, "", rec); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = inProject(t, "gameday", "--env", "dev", "--history")
	if code != exitOK {
		t.Fatalf("history: %d\n%s%s", code, out, errOut)
	}
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "region-loss <east>") {
			rows++
			if !strings.Contains(l, "2.2s") || !strings.Contains(l, "60s/0s") {
				t.Errorf("row %q lacks the estimate or the target", l)
			}
		}
	}
	if rows != 3 || !strings.Contains(out, "5.15s") || !strings.Contains(out, "FAILED") {
		t.Errorf("table:\n%s", out)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "history.svg"))
	if err != nil || !strings.Contains(errOut, "history.svg") {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for d := xml.NewDecoder(strings.NewReader(string(svg))); ; {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("history.svg is not XML: %v", err)
		}
	}
	code, out, _ = inProject(t, "gameday", "--env", "dev", "--history", "--format", "json")
	var recs []gameday.Record
	if err := json.Unmarshal([]byte(out), &recs); code != exitOK || err != nil || len(recs) != 3 || recs[2].Scenarios[0].Median.RTOSeconds != 5.15 {
		t.Errorf("json history: %d %v %+v", code, err, recs)
	}
}

// --fis-template in a game day names the scenario each template injects.
func TestGamedayTemplates(t *testing.T) {
	got, err := gamedayTemplates(" zone-loss=EXT1a , region-partition=EXT2b")
	if err != nil || len(got) != 2 || got[drill.ZoneLoss] != "EXT1a" || got[drill.RegionPartition] != "EXT2b" {
		t.Errorf("two pairs: %v %v", got, err)
	}
	for _, bad := range []string{"EXT1a", "zone-loss=", "meteor=EXT1", "zone-loss=EXT1,zone-loss=EXT2"} {
		if _, err := gamedayTemplates(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// buildRefuser is a target that refuses to build some scenarios' drills,
// as the aws target refuses a partition with no experiment template.
type buildRefuser struct {
	target.Target
	refuse map[drill.ScenarioName]bool
	asked  []target.DrillRequest
}

func (b *buildRefuser) Drill(_ context.Context, req target.DrillRequest) (drill.Options, error) {
	b.asked = append(b.asked, req)
	if b.refuse[req.Scenario] && req.Experiment == "" {
		return drill.Options{}, target.Errorf(target.ErrBadRequest, "%s needs --fis-template", req.Scenario)
	}
	return drill.Options{}, nil
}

// A drill the target cannot build as asked is left out of the plan with
// the target's reason, the others run; a template given for a scenario
// reaches that scenario's drill only.
func TestGamedayDropsUnbuildableDrills(t *testing.T) {
	topo, err := (&topology.Loader{Images: topology.ImageDir("../../images")}).LoadFile("../../environments/dev.hcl")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := gameday.NewPlan(topo, gameday.PlanOptions{Offered: drill.ScenarioNames, Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := len(plan.Drills)
	tgt := &buildRefuser{refuse: map[drill.ScenarioName]bool{drill.RegionPartition: true, drill.ZoneLoss: true}}
	if err := dropUnbuildable(context.Background(), topo, tgt, plan, awsDrillFlags{}, map[drill.ScenarioName]string{drill.ZoneLoss: "EXT1a"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range plan.Drills {
		if d.Scenario == drill.RegionPartition {
			t.Errorf("region-partition kept: %+v", d)
		}
	}
	if len(plan.Drills) != before-1 || len(plan.Skipped) == 0 || !strings.Contains(plan.Skipped[len(plan.Skipped)-1].Why, "needs --fis-template") {
		t.Errorf("drills %d of %d, skipped %+v; want region-partition skipped with the target's reason", len(plan.Drills), before, plan.Skipped)
	}
	for _, req := range tgt.asked {
		if want := map[drill.ScenarioName]string{drill.ZoneLoss: "EXT1a"}[req.Scenario]; req.Experiment != want {
			t.Errorf("%s built with template %q, want %q", req.Scenario, req.Experiment, want)
		}
	}
}
