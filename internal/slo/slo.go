package slo

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Severity is who an alert goes to: a page wakes someone now, a ticket is
// for working hours.
type Severity string

const (
	Page   Severity = "page"
	Ticket Severity = "ticket"
	// Member is an alarm that only feeds a composite one (a burn-rate
	// tier's long or short window on AWS): it notifies no one.
	Member Severity = "member"
)

// AlarmDescription prefixes a CloudWatch alarm's description with its
// severity ("[page] ..."), which DescribeAlarms returns and tags are not.
func AlarmDescription(s Severity, text string) string { return "[" + string(s) + "] " + text }

// AlarmSeverity reads the severity AlarmDescription wrote ("" when none)
// and the text after it.
func AlarmSeverity(description string) (Severity, string) {
	if rest, ok := strings.CutPrefix(description, "["); ok {
		if sev, text, ok := strings.Cut(rest, "] "); ok {
			return Severity(sev), text
		}
	}
	return "", description
}

// BurnTier is one multi-window burn-rate alert: it fires when the error
// ratio over both Long and Short exceeds Factor times the error budget
// ratio, that is when the service spends BudgetSpent of its whole window's
// budget within Long (the short window makes the alert stop soon after the
// burning does).
type BurnTier struct {
	Severity    Severity
	Long, Short time.Duration
	BudgetSpent float64
	Factor      float64
}

// workbookTiers are the SRE workbook's tiers for a 30-day window (burn
// rates 14.4, 6, 3 and 1); BurnTiers rescales them to other windows.
var workbookTiers = []BurnTier{
	{Severity: Page, Long: time.Hour, Short: 5 * time.Minute, BudgetSpent: 0.02},
	{Severity: Page, Long: 6 * time.Hour, Short: 30 * time.Minute, BudgetSpent: 0.05},
	{Severity: Ticket, Long: 24 * time.Hour, Short: 2 * time.Hour, BudgetSpent: 0.10},
	{Severity: Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetSpent: 0.10},
}

// BurnTiers returns the burn-rate alert tiers for an objective's window:
// each tier's factor is the budget share it catches times the window over
// its long window. A tier whose factor would be below 1 is left out: it
// would fire while the service keeps its objective.
func BurnTiers(window time.Duration) []BurnTier {
	var out []BurnTier
	for _, t := range workbookTiers {
		t.Factor = round(t.BudgetSpent*window.Hours()/t.Long.Hours(), 4)
		if t.Factor >= 1 {
			out = append(out, t)
		}
	}
	return out
}

// Threshold is the error ratio at which a tier fires for an objective.
func (t BurnTier) Threshold(o topology.SLO) float64 {
	return round(t.Factor*o.ErrorBudget(), 10)
}

// Windows are the distinct rate windows the tiers read, shortest first.
func Windows(tiers []BurnTier) []time.Duration {
	seen := map[time.Duration]bool{}
	var out []time.Duration
	for _, t := range tiers {
		for _, w := range []time.Duration{t.Short, t.Long} {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	slices.Sort(out)
	return out
}

// AlarmScope reads the region and service from the name of one of an
// environment's CloudWatch alarms (bulwark-<env>-<region>-<service>-<alert>):
// the longest of its regions the name goes on with, then the longest of its
// services. A name of no region of the environment has neither.
func AlarmScope(t *topology.Topology, name string) (region, service string) {
	rest, ok := strings.CutPrefix(name, "bulwark-"+t.Environment.Name+"-")
	if !ok {
		return "", ""
	}
	for _, r := range t.RegionNames() {
		if strings.HasPrefix(rest, r+"-") && len(r) > len(region) {
			region = r
		}
	}
	if region == "" {
		return "", ""
	}
	rest = strings.TrimPrefix(rest, region+"-")
	for _, s := range t.Services {
		if strings.HasPrefix(rest, s.Name+"-") && len(s.Name) > len(service) {
			service = s.Name
		}
	}
	return region, service
}

// Budget is how much of an objective's error budget some requests spent.
type Budget struct {
	// Objective is the availability promised (0.9995), over Window.
	Objective float64       `json:"objective"`
	Window    time.Duration `json:"window_ns"`
	// Bad and Total are the requests counted.
	Bad   float64 `json:"bad"`
	Total float64 `json:"total"`
	// Allowed is how many bad requests the whole window's budget holds at
	// the request rate Total was counted at, over the Over it was counted in
	// (or, with Over zero, Total is the window's traffic itself).
	Allowed float64 `json:"allowed"`
	// Spent is Bad over Allowed: 0.25 is a quarter of the window's budget.
	Spent float64 `json:"spent"`
}

// Left is the share of the window's budget not spent (negative when the
// objective is missed).
func (b Budget) Left() float64 { return 1 - b.Spent }

// Spend computes the budget bad requests of total spent. over is how long
// the requests were counted: the budget is scaled from that rate to the
// whole window; with over zero (or at least the window), total is the
// window's traffic.
func Spend(o topology.SLO, bad, total float64, over time.Duration) Budget {
	b := Budget{Objective: o.Availability, Window: o.Window, Bad: bad, Total: total}
	windowTotal := total
	if over > 0 && over < o.Window {
		windowTotal = total * float64(o.Window) / float64(over)
	}
	b.Allowed = o.ErrorBudget() * windowTotal
	switch {
	case b.Allowed > 0:
		b.Spent = bad / b.Allowed
	case bad > 0:
		b.Spent = math.Inf(1)
	}
	return b
}

// String renders the spend as a reader wants it: "0.42% of the 30d budget
// (3 of 712 bad requests allowed)".
func (b Budget) String() string {
	return fmt.Sprintf("%s of the %s error budget (%g bad of %.0f allowed)", Percent(b.Spent), PromDuration(b.Window), b.Bad, b.Allowed)
}

// Percent renders a share as a percentage with the digits it needs.
func Percent(share float64) string {
	if math.IsInf(share, 0) || math.IsNaN(share) {
		return "∞%"
	}
	p := share * 100
	switch {
	case p == 0:
		return "0%"
	case math.Abs(p) < 1:
		return strconv.FormatFloat(p, 'g', 3, 64) + "%"
	default:
		return fmt.Sprintf("%.1f%%", p)
	}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
