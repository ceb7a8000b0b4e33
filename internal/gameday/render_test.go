package gameday

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

const odd = `sh<o>p|&"co"`

// oddDay is a game day of a service whose name needs escaping everywhere.
func oddDay(t *testing.T) *Report {
	t.Helper()
	p := &Plan{Environment: "t", Runs: 2, Services: 2, Drills: []Drill{
		{Service: odd, Scenario: drill.RegionLoss, Region: "east"},
		{Service: odd, Scenario: drill.InstanceLoss, Region: "east"},
	}}
	est := map[drill.ScenarioName]drill.Numbers{drill.RegionLoss: {RTOSeconds: 2.2, Known: true}, drill.InstanceLoss: {RTOSeconds: 2, Known: true}}
	rep, _, _, err := fakeDay(t, p, map[string]outcome{
		"region-loss east 1": {rto: 1.1}, "region-loss east 2": {rto: 1.3},
		"instance-loss east 1": {rto: 0}, "instance-loss east 2": {unknown: true},
	}, est, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep.Gate([]Record{rec("t", -1, odd+"/region-loss/east", 1.0, 0, true)}, 0.5)
	return rep
}

// text parses an XML document and returns its character data; a
// document that does not parse fails the test.
func text(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return b.String()
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, doc)
		}
		if c, ok := tok.(xml.CharData); ok {
			b.Write(c)
		}
	}
}

func TestSVGsParseAndEscape(t *testing.T) {
	rep := oddDay(t)
	for name, svg := range map[string]string{
		"report":  rep.SVG(),
		"history": HistorySVG(`e<n>v&`, []Record{rep.Record(), rec("t", 20, odd+"/region-loss/east", 1.6, 0, false)}),
		"empty":   HistorySVG("t", nil),
	} {
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) {
			t.Errorf("%s: not a standalone SVG", name)
		}
		if name != "empty" && strings.Contains(svg, "sh<o>p") {
			t.Errorf("%s: the service's name is not escaped", name)
		}
		if chars := text(t, svg); name != "empty" && !strings.Contains(chars, odd) {
			t.Errorf("%s: the name does not read back: %q", name, chars)
		}
	}
	svg := rep.SVG()
	// the region target (60 s) lies far off a scale of about 1.3 s: an arrow, not a line
	if !strings.Contains(svg, "target 60s →") || !strings.Contains(svg, "estimate 2.2s") {
		t.Errorf("report SVG lacks the off-scale target or the estimate")
	}
	if strings.Count(svg, "<polygon") != 2*2+1 { // an estimate per scenario and panel, and the legend's
		t.Errorf("%d estimate marks", strings.Count(svg, "<polygon"))
	}
}

func TestJUnitAndMarkdown(t *testing.T) {
	rep := oddDay(t)
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(rep.JUnit(), &suite); err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range suite.Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name)
		}
	}
	// region-loss: 1.1 s and 1.3 s, median 1.2 s: passed, off the 2.2 s estimate by -45 %, 20 % over the last game day's 1 s (under 0.25 s: noise)
	// instance-loss: one run did not recover: failed; the median 0 s agrees with nothing (2 s estimated)
	want := []string{odd + " region-loss east: estimate within 25 %", odd + " instance-loss east: every run passed", odd + " instance-loss east: estimate within 25 %"}
	if suite.Tests != 8 || suite.Skipped != 0 || strings.Join(failed, "\n") != strings.Join(want, "\n") {
		t.Errorf("tests %d skipped %d failed:\n%s\nwant:\n%s", suite.Tests, suite.Skipped, strings.Join(failed, "\n"), strings.Join(want, "\n"))
	}
	md := rep.Markdown()
	for _, s := range []string{
		"# Game day of t: FAILED (1 scenario(s) failed)",
		`| sh<o>p\|&"co" region-loss east | 2/2 | 1.2s (1.1s–1.3s) | 2.2s (-45 %) | 0s | 0s (both < 0.25s) | 60s / 0s | passed | off by more than 25 % | ok (vs 1) |`,
		"| 1/2 | 0s | 2s (-100 %) |",
		"FAILED (a run failed)",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "gameday.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Scenarios) != 2 || back.Scenarios[0].RTO.Median != 1.2 || back.Passed {
		t.Errorf("json: %v %+v", err, back.Scenarios)
	}
	for _, f := range Files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
