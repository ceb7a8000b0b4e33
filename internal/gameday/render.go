package gameday

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

// Files are the report's files in its folder.
var Files = []string{"gameday.json", "gameday.md", "gameday.junit.xml", "gameday.svg"}

// Write writes gameday.json, gameday.md, gameday.junit.xml and gameday.svg into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := r.JSON()
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		"gameday.json": j, "gameday.md": []byte(r.Markdown()), "gameday.junit.xml": r.JUnit(), "gameday.svg": []byte(r.SVG()),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// JSON is the report as a document.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// Verdict is the game day's verdict in a few words.
func (r *Report) Verdict() string {
	failed, regressed := r.Failures()
	switch {
	case r.Passed:
		return "passed"
	case r.Stopped != "" && failed == 0 && regressed == 0:
		return "FAILED (stopped early)"
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d scenario(s) failed", failed))
	}
	if regressed > 0 {
		parts = append(parts, fmt.Sprintf("%d regressed", regressed))
	}
	if r.Stopped != "" {
		parts = append(parts, "stopped early")
	}
	return "FAILED (" + strings.Join(parts, ", ") + ")"
}

// cell renders the stats of a measurement: "1.2s (0.9s–1.4s)".
func cell(s Stats) string {
	switch {
	case s.N == 0:
		return "-"
	case s.Min == s.Max:
		return Seconds(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", Seconds(s.Median), Seconds(s.Min), Seconds(s.Max))
}

// estimateCell renders an estimate and the median's error against it.
func estimateCell(est float64, known bool, errPct *float64, measured Stats) string {
	if !known {
		return "-"
	}
	switch {
	case measured.N == 0:
		return Seconds(est)
	case errPct != nil:
		return fmt.Sprintf("%s (%+.0f %%)", Seconds(est), *errPct)
	case measured.Median < NoiseSeconds:
		return Seconds(est) + " (both < 0.25s)"
	}
	return Seconds(est) + " (n/a)"
}

// rpoEstimateCell is the RPO's estimate: a bound ("up to") where the
// estimate is one, within which the measurement agrees.
func rpoEstimateCell(s Scenario) string {
	if s.Estimate.Known && s.Estimate.RPOUpTo {
		return "up to " + Seconds(s.Estimate.RPOSeconds)
	}
	return estimateCell(s.Estimate.RPOSeconds, s.Estimate.Known, s.RPOError, s.RPO)
}

func (s Scenario) agreement() string {
	switch {
	case s.EstimateAgrees == nil:
		return "-"
	case *s.EstimateAgrees:
		return "agrees"
	}
	return "off by more than 25 %"
}

func (s Scenario) gateCell(checked bool) string {
	switch {
	case !checked:
		return "not checked"
	case s.Gate.Regressed:
		return "REGRESSED"
	case s.Gate.Records == 0:
		return "no history"
	}
	return fmt.Sprintf("ok (vs %d)", s.Gate.Records)
}

func targetCell(n drill.Numbers) string {
	if !n.Known {
		return "-"
	}
	return Seconds(n.RTOSeconds) + " / " + Seconds(n.RPOSeconds)
}

// md escapes a table cell.
func md(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }

// Markdown is the human report.
func (r *Report) Markdown() string {
	var b strings.Builder
	runs := r.Drilled()
	total := 0
	if r.Plan != nil {
		total = r.Plan.Total()
	}
	fmt.Fprintf(&b, "# Game day of %s: %s\n\n", r.Environment, r.Verdict())
	fmt.Fprintf(&b, "%d of %d drills ran, from %s to %s (%s).\n\n", runs, total, r.Started.Format("2006-01-02 15:04:05"), r.Finished.Format("15:04:05"),
		r.Finished.Sub(r.Started).Round(1e9))
	if r.Stopped != "" {
		fmt.Fprintf(&b, "**Stopped early:** %s\n\n", md(r.Stopped))
	}
	b.WriteString("| scenario | runs passed | RTO median (min–max) | RTO estimate (error) | RPO median (min–max) | RPO estimate (error) | target RTO / RPO | verdict | estimate | gate |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range r.Scenarios {
		passed := 0
		for _, run := range s.Runs {
			if run.Passed {
				passed++
			}
		}
		fmt.Fprintf(&b, "| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s |\n", md(s.Label), passed, s.Planned,
			cell(s.RTO), estimateCell(s.Estimate.RTOSeconds, s.Estimate.Known, s.RTOError, s.RTO),
			cell(s.RPO), rpoEstimateCell(s),
			targetCell(s.Target),
			s.verdict(), s.agreement(), s.gateCell(r.GateChecked))
	}
	fmt.Fprintf(&b, "\nVerdict: passed when every run passed and the median RTO and RPO are within the target. "+
		"Estimate: the median within 25 %% of the assessment's estimate, or both under 0.25 s (reported, not a failure); "+
		"where a drill found what the estimate depends on (when the DNS answer changed: the health checks' phase; how much WAL a restore replays), the estimate is the median of the runs' estimates for what each found. ")
	if r.GateChecked {
		fmt.Fprintf(&b, "Gate: a median past its target, or grown by more than %s over the median of the last %d game days that passed (%d on record); growth under 0.25 s is noise, an RPO growing from 0 is a regression.\n",
			percent(r.MaxGrowth*100), GateRecords, r.History)
	} else {
		b.WriteString("Gate: not checked.\n")
	}
	var reasons []string
	for _, s := range r.Scenarios {
		if s.Gate.Regressed {
			reasons = append(reasons, fmt.Sprintf("- **%s**: %s\n", md(s.Label), md(s.Gate.Message)))
		}
	}
	if len(reasons) > 0 {
		b.WriteString("\n## Regressions\n\n" + strings.Join(reasons, ""))
	}

	b.WriteString("\n## Runs\n\n| scenario | run | result | report |\n| --- | --- | --- | --- |\n")
	for _, s := range r.Scenarios {
		for _, run := range s.Runs {
			dir := "-"
			if run.Dir != "" {
				dir = "`" + filepath.Base(run.Dir) + "`"
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", md(s.Label), run.Run, md(run.Summary()), dir)
		}
	}

	b.WriteString("\n## Alarms the game day caused itself\n\n")
	if len(r.OwnAlarms) == 0 {
		b.WriteString("None: no paging alarm began firing during the game day.\n")
	} else {
		b.WriteString("These began firing after the first drill started; they were set aside, neither refusing nor aborting a drill.\n\n")
		for _, a := range r.OwnAlarms {
			fmt.Fprintf(&b, "- %s (first seen %s, during %s)\n", md(a.Alarm), a.FirstSeen.Format("15:04:05"), md(a.During))
		}
	}
	if len(r.AlarmsBefore) > 0 {
		b.WriteString("\nAlarms already firing at the first drill's preflight (not set aside): " + md(strings.Join(r.AlarmsBefore, "; ")) + "\n")
	}
	if r.Plan != nil && len(r.Plan.Skipped) > 0 {
		b.WriteString("\n## Not drilled\n\n")
		for _, s := range r.Plan.Skipped {
			fmt.Fprintf(&b, "- %s %s: %s\n", md(s.Service), s.Scenario, md(s.Why))
		}
	}
	b.WriteString("\nPicture: gameday.svg. Each drill's own report: drills/.\n")
	return b.String()
}

// JUnit is a test case per scenario and check: every run passed, within
// the target, the estimate within 25 % (skipped without one), and the
// regression gate (skipped when not checked).
func (r *Report) JUnit() []byte {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	s := suite{Name: "gameday." + r.Environment, Time: fmt.Sprintf("%.3f", r.Finished.Sub(r.Started).Seconds())}
	add := func(sc Scenario, name string, passed, skip bool, msg string) {
		tc := testcase{Name: sc.Label + ": " + name, Classname: s.Name + "." + sc.Key, Time: fmt.Sprintf("%.3f", sc.took())}
		switch {
		case skip:
			s.Skipped++
			tc.Skipped = &skipped{Message: msg}
		case !passed:
			s.Failures++
			tc.Failure = &failure{Message: msg, Text: msg}
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for _, sc := range r.Scenarios {
		var failedRuns []string
		for _, run := range sc.Runs {
			if !run.Passed {
				failedRuns = append(failedRuns, fmt.Sprintf("run %d: %s", run.Run, run.Summary()))
			}
		}
		msg := fmt.Sprintf("%d of %d planned runs ran and passed", len(sc.Runs)-len(failedRuns), sc.Planned)
		if len(failedRuns) > 0 {
			msg += ": " + strings.Join(failedRuns, "; ")
		}
		add(sc, "every run passed", sc.AllPassed, false, msg)
		tmsg := "no target declared"
		if sc.Target.Known {
			tmsg = fmt.Sprintf("median RTO %s (target %s), median RPO %s (target %s)", cell(sc.RTO), Seconds(sc.Target.RTOSeconds), cell(sc.RPO), Seconds(sc.Target.RPOSeconds))
		}
		if sc.RTO.N == 0 {
			tmsg = "no run measured an RTO"
		}
		add(sc, "within target", sc.WithinTarget, false, tmsg)
		emsg := "no estimate, or nothing measured"
		if sc.EstimateAgrees != nil {
			emsg = fmt.Sprintf("RTO %s against the estimate %s; RPO %s against %s (within 25 %% or both under 0.25 s)",
				Seconds(sc.RTO.Median), estimateCell(sc.Estimate.RTOSeconds, true, sc.RTOError, sc.RTO),
				Seconds(sc.RPO.Median), estimateCell(sc.Estimate.RPOSeconds, true, sc.RPOError, sc.RPO))
		}
		add(sc, "estimate within 25 %", sc.EstimateAgrees != nil && *sc.EstimateAgrees, sc.EstimateAgrees == nil, emsg)
		gmsg := sc.Gate.Message
		if !r.GateChecked {
			gmsg = "the gate was not run"
		}
		add(sc, "no regression", !sc.Gate.Regressed, !r.GateChecked, gmsg)
	}
	out, _ := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), out...)
}

// took is how long the scenario's runs took, together.
func (s Scenario) took() float64 {
	var took float64
	for _, run := range s.Runs {
		took += run.Took.Seconds()
	}
	return took
}
