package main

import (
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
		{"gameday", "--env", "dev", "--timeout", "0s"},
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
