package drill

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/steps"
)

// Step is one phase of the pipeline, with its timestamps.
type Step = steps.Step

// Numbers are an RTO and RPO, measured, estimated or targeted.
type Numbers struct {
	RTOSeconds float64 `json:"rto_seconds"`
	RPOSeconds float64 `json:"rpo_seconds"`
	WritesLost *int    `json:"writes_lost,omitempty"`
	Known      bool    `json:"known"`
	// RPOUpTo says the RPO is a bound, not a typical figure: an estimate
	// of what a restore loses depends on when the newest backup ran.
	RPOUpTo bool `json:"rpo_up_to,omitempty"`
	// How says how an estimate was conditioned on what the drill found
	// (empty: the assessment's typical figure).
	How string `json:"how,omitempty"`
}

// Report is a drill's outcome.
type Report struct {
	Environment string    `json:"environment"`
	Service     string    `json:"service"`
	Scenario    string    `json:"scenario"`
	Region      string    `json:"region"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Steps       []Step    `json:"steps"`
	Injected    time.Time `json:"injected"`
	Outage      Outage    `json:"outage"`
	Data        DataLoss  `json:"data"`
	Measured    Numbers   `json:"measured"`
	Estimated   Numbers   `json:"estimated"`
	Target      Numbers   `json:"target"`
	Checks      []Check   `json:"checks"`
	Attempts    []Attempt `json:"attempts"`
	// DNSMovedSeconds is how long after the injection the service's DNS
	// answer first changed (nil: it did not change while the drill watched).
	DNSMovedSeconds *float64 `json:"dns_moved_seconds,omitempty"`
	// Writers are, per service, the regions whose database member accepted
	// writes after the recovery (scenarios that audit it: a partition).
	Writers map[string][]string `json:"writers,omitempty"`
	// StopAlarms are the alarms that fired outside the blast radius and
	// aborted the drill (none when it ran its course).
	StopAlarms []string `json:"stop_alarms,omitempty"`
	// ErrorBudget is the share of the service's SLO error budget the
	// drill's failed requests spent (nil when it declares no slo).
	ErrorBudget *slo.Budget `json:"error_budget,omitempty"`
	// Degradation is what a degradation drill measured (Degrader): the
	// answers whole, degraded and failed of each phase, their latencies,
	// and the queued writes (nil for a failure recovered from).
	Degradation *DegradeReport `json:"degradation,omitempty"`
}

// Check is one verdict of the drill (a JUnit test case).
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
}

// Passed reports whether the drill ran to its checks and every one passed
// (a drill refused at its preflight has only that failed check).
func (r *Report) Passed() bool {
	if len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if !c.Passed {
			return false
		}
	}
	return true
}

// Write writes drill.json, drill.md, drill.junit.xml and drill.svg into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"drill.json": j, "drill.md": []byte(r.Markdown()), "drill.junit.xml": r.JUnit(), "drill.svg": []byte(r.SVG()),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func secs(f float64) string {
	return (time.Duration(f * float64(time.Second))).Round(time.Millisecond).String()
}

// recoveryTable is the measured, estimated and target RTO and RPO.
func (r *Report) recoveryTable(b *strings.Builder) {
	fmt.Fprintf(b, "\n| | RTO | RPO | writes lost |\n| --- | --- | --- | --- |\n")
	lost := func(n Numbers) string {
		if n.WritesLost == nil {
			return "-"
		}
		return fmt.Sprint(*n.WritesLost)
	}
	for _, row := range []struct {
		name string
		n    Numbers
	}{{"measured", r.Measured}, {"estimated", r.Estimated}, {"target", r.Target}} {
		if !row.n.Known {
			fmt.Fprintf(b, "| %s | - | - | - |\n", row.name)
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", row.name, secs(row.n.RTOSeconds), secs(row.n.RPOSeconds), lost(row.n))
	}
}

// Markdown is a human summary.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := map[bool]string{true: "passed", false: "FAILED"}[r.Passed()]
	fmt.Fprintf(&b, "# Drill: %s of %s in %s (%s): %s\n", r.Scenario, r.Service, r.Region, r.Environment, verdict)
	if r.Degradation == nil { // a degradation has no RTO: its table is the answers'
		r.recoveryTable(&b)
	}
	if r.DNSMovedSeconds != nil {
		fmt.Fprintf(&b, "\nThe service's DNS answer changed %s after the injection.\n", secs(*r.DNSMovedSeconds))
	}
	if r.Estimated.How != "" {
		fmt.Fprintf(&b, "\nThe estimate is for what the drill found: %s.\n", r.Estimated.How)
	}
	if e := r.ErrorBudget; e != nil {
		fmt.Fprintf(&b, "\nError budget: the drill spent %s of the %s objective's %s budget: %g failed of %g requests, against %.0f allowed in the window at the probe's rate.\n",
			slo.Percent(e.Spent), slo.Percent(e.Objective), slo.PromDuration(e.Window), e.Bad, e.Total, e.Allowed)
	}
	if r.Degradation != nil {
		r.Degradation.markdown(&b)
	}
	fmt.Fprintf(&b, "\n## Checks\n\n")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "- %s **%s**: %s\n", map[bool]string{true: "✅", false: "❌"}[c.Passed], c.Name, c.Message)
	}
	fmt.Fprintf(&b, "\n## Steps\n\n| step | start | took | detail |\n| --- | --- | --- | --- |\n")
	for _, s := range r.Steps {
		detail := s.Detail
		if s.Error != "" {
			detail += " (error: " + s.Error + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, s.Start.Format("15:04:05.000"), s.End.Sub(s.Start).Round(time.Millisecond), detail)
	}
	if dr := r.Degradation; dr != nil {
		var whole, degraded, failed int
		for _, rf := range dr.Requests {
			for _, p := range rf.Phases {
				if p.Phase != PhaseBaseline {
					whole, degraded, failed = whole+p.Whole, degraded+p.Degraded, failed+p.Failed
				}
			}
		}
		fmt.Fprintf(&b, "\nThe probe made %d requests: after the injection %d whole, %d degraded, %d failed. Timeline: drill.svg.\n", len(r.Attempts), whole, degraded, failed)
		return b.String()
	}
	fmt.Fprintf(&b, "\nThe probe made %d writes, %d acknowledged, %d failed after the injection. Timeline: drill.svg.\n", len(r.Attempts), r.Data.Acknowledged, r.Outage.Failed)
	return b.String()
}

// JUnit is one test case per check, for CI.
func (r *Report) JUnit() []byte {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	s := suite{Name: fmt.Sprintf("drill.%s.%s", r.Environment, r.Scenario), Tests: len(r.Checks), Time: fmt.Sprintf("%.3f", r.Finished.Sub(r.Started).Seconds())}
	for _, c := range r.Checks {
		tc := testcase{Name: c.Name, Classname: s.Name, Time: "0"}
		if !c.Passed {
			s.Failures++
			tc.Failure = &failure{Message: c.Message, Text: c.Message}
		}
		s.Cases = append(s.Cases, tc)
	}
	out, _ := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), out...)
}

// SVG is the probe's timeline: one bar per attempt (green acknowledged,
// red failed, amber served degraded), with the injection, detection and
// recovery marked (a degradation: the injection and the restore).
func (r *Report) SVG() string {
	const w, h, left, right, top, barTop, barH = 960, 220, 40, 20, 40, 70, 60
	start, end := r.Started, r.Finished
	if len(r.Attempts) > 0 {
		start, end = r.Attempts[0].At, r.Attempts[len(r.Attempts)-1].At
	}
	span := end.Sub(start)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) float64 { return left + float64(t.Sub(start))/float64(span)*(w-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15">%s</text>`+"\n", left, html.EscapeString(fmt.Sprintf("Drill %s: %s of %s in %s (%s)", map[bool]string{true: "passed", false: "FAILED"}[r.Passed()], r.Scenario, r.Service, r.Region, r.Environment)))
	// one row per client of the probe
	rows := 1
	for _, a := range r.Attempts {
		rows = max(rows, a.Client+1)
	}
	rowH := float64(barH) / float64(rows)
	barW := max((w-left-right)/float64(max(len(r.Attempts)/rows, 1)), 1)
	for _, a := range r.Attempts {
		color := "#2e9e44"
		switch {
		case !a.OK:
			color = "#d7263d"
		case a.Degraded != "":
			color = degradedColor
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
			x(a.At), barTop+float64(a.Client)*rowH, barW, rowH-1, color, html.EscapeString(attemptTitle(a, start)))
	}
	mark := func(t time.Time, label, color string, row int) {
		if t.IsZero() {
			return
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", x(t), top+15, x(t), barTop+barH+10, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", x(t)+3, barTop+barH+25+15*row, color, html.EscapeString(label))
	}
	mark(r.Injected, "inject", "#333", 0)
	if dr := r.Degradation; dr != nil {
		mark(dr.Restored, "restored", "#2e9e44", 1)
	} else {
		mark(r.Outage.FirstFailure, "first failure", "#d7263d", 1)
		mark(r.Outage.Recovered, fmt.Sprintf("recovered (RTO %s typically, %s for the slowest client)", r.Outage.RTO().Round(time.Millisecond), r.Outage.Longest().Round(time.Millisecond)), "#2e9e44", 2)
	}
	if len(r.StopAlarms) > 0 {
		mark(r.Steps[len(r.Steps)-1].Start, "aborted: "+r.StopAlarms[0], "#b35c00", 3)
	}
	var notes []string
	if dr := r.Degradation; dr != nil {
		for _, rf := range dr.Requests {
			p := rf.Phase(PhaseDisrupted)
			notes = append(notes, fmt.Sprintf("%s disrupted: %d whole, %d degraded, %d failed, p99 %s", rf.Request, p.Whole, p.Degraded, p.Failed, msStr(p.P99Ms)))
		}
		if q := dr.Queue; q != nil {
			notes = append(notes, fmt.Sprintf("writes: %d acknowledged (%d queued), %d lost, %d applied twice", q.Acknowledged, q.Queued, len(q.Lost), len(q.AppliedTwice)))
		}
	}
	if e := r.ErrorBudget; e != nil {
		notes = append(notes, fmt.Sprintf("error budget spent: %s of %s's %s budget", slo.Percent(e.Spent), slo.Percent(e.Objective), slo.PromDuration(e.Window)))
	}
	notes = append(notes, span.Round(time.Millisecond).String())
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">0s</text><text x="%d" y="%d" fill="#555" text-anchor="end">%s</text>`+"\n",
		left, h-8, w-right, h-8, html.EscapeString(strings.Join(notes, " · ")))
	b.WriteString("</svg>\n")
	return b.String()
}

// degradedColor marks an answer served degraded in the timeline.
const degradedColor = "#f0a202"

// attemptTitle is an attempt's tooltip in the timeline.
func attemptTitle(a Attempt, start time.Time) string {
	t := fmt.Sprintf("client %d, seq %d at +%s: ok=%v %s %s", a.Client, a.Seq, a.At.Sub(start).Round(time.Millisecond), a.OK, a.Region, a.Error)
	if a.Ask != "" || a.Degraded != "" {
		t += fmt.Sprintf(" [%s in %s] %s", a.Request(), a.Latency.Round(time.Millisecond), a.Degraded)
	}
	return t
}

// markdown renders a degradation's figures: the fault, each ask's answers
// phase by phase, the budget and the queued writes.
func (dr *DegradeReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Degradation\n\n%s.", dr.What)
	if dr.Fault.How != "" {
		fmt.Fprintf(b, " The fault's %s.", dr.Fault.How)
	}
	fmt.Fprintf(b, " An answer is degraded when served without a soft dependency (%s), as a queued write (202) or stale from a cache (%s STALE or UPDATING); failed when a server error, a refusal or a timeout.\n\n", contract.DegradedHeader, CacheStatusHeader)
	fmt.Fprintf(b, "| request | phase | requests | whole | degraded | failed | p50 | p99 |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, rf := range dr.Requests {
		for _, p := range rf.Phases {
			fmt.Fprintf(b, "| %s | %s | %d | %d (%s) | %d (%s) | %d (%s) | %s | %s |\n", rf.Request, p.Phase, p.Requests,
				p.Whole, slo.Percent(p.WholeShare), p.Degraded, slo.Percent(p.DegradedShare), p.Failed, slo.Percent(p.FailedShare), msStr(p.P50Ms), msStr(p.P99Ms))
		}
	}
	if e := dr.DisruptionBudget; e != nil {
		fmt.Fprintf(b, "\nDuring the disruption %g of %g requests failed: %s of their own error budget at the %s objective (failed ÷ (requests × (1 − availability)), %.3g allowed).\n",
			e.Bad, e.Total, slo.Percent(e.Spent), slo.Percent(e.Objective), e.Allowed)
	}
	if q := dr.Queue; q != nil {
		drained := fmt.Sprintf("the queues empty at most %s after the restore", secs(q.DrainSeconds))
		if !q.Drained {
			drained = "the queues did not drain"
		}
		fmt.Fprintf(b, "\nWrites: %d acknowledged (%d queued), %d present afterwards, %d lost, %d applied twice; %s (%s).\n",
			q.Acknowledged, q.Queued, q.Present, len(q.Lost), len(q.AppliedTwice), drained, describeLeft(q.Left))
	}
}
