package review

import (
	"fmt"
	"math"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/policies"
)

// CostChange is the change in monthly cost between the sides, with the
// lines that cause it, and per service beside what it buys: its
// availability and its RTO per disruption, before and after.
type CostChange struct {
	cost.Delta
	// On says what the bills are of ("on AWS", "on AWS as east → us-east-1").
	On string `json:"on"`
	// BasePriced is false when the base's plan document has no bill (a
	// bulwark that did not price plans): Before is then 0 and every line added.
	BasePriced bool `json:"base_priced"`
	// Resilience pairs each service whose cost or resilience changed with
	// both changes.
	Resilience []ServiceTradeoff `json:"resilience,omitempty"`
}

// ServiceTradeoff is one service's change in cost beside its change in
// resilience.
type ServiceTradeoff struct {
	Service   string  `json:"service"`
	BeforeUSD float64 `json:"before_usd"`
	AfterUSD  float64 `json:"after_usd"`
	ChangeUSD float64 `json:"change_usd"`
	// AvailabilityBefore and After are the estimated availability with
	// what the service needs in series (0: not estimated).
	AvailabilityBefore float64 `json:"availability_before"`
	AvailabilityAfter  float64 `json:"availability_after"`
	// Region is the service's region-loss estimate before and after
	// (shown whether or not it changed); Estimates the service's RTO/RPO
	// estimates that changed.
	Region    EstimateChange   `json:"region"`
	Estimates []EstimateChange `json:"estimates,omitempty"`
}

func diffCost(base, head *Side) *CostChange {
	if head.Cost == nil {
		return nil
	}
	c := &CostChange{On: head.Cost.On(), BasePriced: base.Cost != nil || len(base.Stacks) == 0}
	b := cost.Bill{}
	if base.Cost != nil {
		b = *base.Cost
	}
	c.Delta = cost.Diff(b, *head.Cost)
	avail := func(s *Side, svc string) float64 {
		for _, a := range s.Assessment.Availability {
			if a.Service == svc {
				return a.Total
			}
		}
		return 0
	}
	services := map[string]bool{}
	var order []string
	add := func(s string) {
		if !services[s] && s != cost.Shared {
			services[s] = true
			order = append(order, s)
		}
	}
	for _, s := range c.Services {
		add(s.Service)
	}
	changed := diffEstimates(base, head)
	for _, e := range changed {
		add(e.Service)
	}
	for _, name := range order {
		t := ServiceTradeoff{Service: name, BeforeUSD: b.ServiceTotal(name), AfterUSD: head.Cost.ServiceTotal(name),
			AvailabilityBefore: avail(base, name), AvailabilityAfter: avail(head, name)}
		t.ChangeUSD = t.AfterUSD - t.BeforeUSD
		t.Region = EstimateChange{Service: name, Disruption: "region", Before: estimateOf(base, name, "region"), After: estimateOf(head, name, "region")}
		for _, e := range changed {
			if e.Service == name {
				t.Estimates = append(t.Estimates, e)
			}
		}
		c.Resilience = append(c.Resilience, t)
	}
	return c
}

// maxCostLines is how many changed lines the comment lists (the JSON has all).
const maxCostLines = 25

func (c *CostChange) summary() string {
	return fmt.Sprintf("cost: %s → %s a month (%s)", cost.USD(c.BeforeUSD), cost.USD(c.AfterUSD), cost.SignedUSD(c.ChangeUSD))
}

func (c *CostChange) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n#### Monthly cost %s: %s → %s (**%s**%s)\n\n", c.On, cost.USD(c.BeforeUSD), cost.USD(c.AfterUSD),
		cost.SignedUSD(c.ChangeUSD), percent(c.BeforeUSD, c.ChangeUSD))
	if !c.BasePriced {
		b.WriteString("> The base's plan has no bill (its bulwark did not price plans): every line counts as added.\n\n")
	}
	if len(c.Resilience) > 0 {
		b.WriteString("| service | monthly cost | change | availability (estimated) | region loss: RTO / RPO | RTO / RPO that changed |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, t := range c.Resilience {
			var rtos []string
			for _, e := range t.Estimates {
				rtos = append(rtos, fmt.Sprintf("%s: %s → %s / %s → %s", e.Disruption, rto(e.Before), rto(e.After), rpo(e.Before), rpo(e.After)))
			}
			fmt.Fprintf(b, "| %s | %s → %s | **%s** | %s → %s | %s → %s / %s → %s | %s |\n", t.Service, cost.USD(t.BeforeUSD), cost.USD(t.AfterUSD),
				cost.SignedUSD(t.ChangeUSD), nines(t.AvailabilityBefore), nines(t.AvailabilityAfter),
				rto(t.Region.Before), rto(t.Region.After), rpo(t.Region.Before), rpo(t.Region.After), orDash(strings.Join(rtos, "; ")))
		}
		b.WriteString("\n")
	}
	if len(c.Lines) == 0 {
		b.WriteString("No line of the bill changed.\n")
		return
	}
	b.WriteString("| line | stack | kind | resource | before | after | change | basis |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for i, l := range c.Lines {
		if i == maxCostLines {
			fmt.Fprintf(b, "\n…and %d more lines (`--format json` lists them all).\n", len(c.Lines)-maxCostLines)
			break
		}
		before, after, basis := "–", "–", ""
		if l.Before != nil {
			before, basis = lineCost(l.Before), l.Before.Basis
		}
		if l.After != nil {
			after, basis = lineCost(l.After), l.After.Basis
		}
		fmt.Fprintf(b, "| %s | `%s` | %s | `%s` | %s | %s | %s | %s |\n", l.Action(), l.Stack, l.Kind, escape(l.Resource),
			before, after, cost.SignedUSD(l.ChangeUSD), escape(basis))
	}
}

// estimateOf is a side's estimate of a service and disruption (nil: none).
func estimateOf(s *Side, service, disruption string) *Estimate {
	for i, e := range s.Assessment.Estimates {
		if e.Service == service && e.Disruption == disruption {
			return &s.Assessment.Estimates[i]
		}
	}
	return nil
}

func lineCost(l *cost.Line) string {
	return fmt.Sprintf("%s (%g %s × $%g)", cost.USD(l.MonthlyUSD), round(l.Quantity), l.Unit, l.UnitUSD)
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func percent(before, change float64) string {
	if before < 0.005 {
		return ""
	}
	return fmt.Sprintf(", %+.1f%%", 100*change/before)
}

func nines(a float64) string {
	if a == 0 {
		return "–"
	}
	return policies.Nines(a)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// costOf is the service's change in monthly cost for the RTO/RPO table.
func (r *Review) costOf(service string) string {
	if r.Cost == nil {
		return "–"
	}
	if s, ok := r.Cost.Service(service); ok {
		return cost.SignedUSD(s.ChangeUSD)
	}
	return cost.SignedUSD(0)
}
