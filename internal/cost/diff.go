package cost

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// Delta is the change in monthly cost from one bill to another.
type Delta struct {
	BeforeUSD float64 `json:"before_usd"`
	AfterUSD  float64 `json:"after_usd"`
	ChangeUSD float64 `json:"change_usd"`
	// Lines are the lines added, removed or changed, the largest change first.
	Lines []LineChange `json:"lines"`
	// Services are the services whose monthly cost changed, in name order.
	Services []ServiceChange `json:"services"`
}

// LineChange is one line that differs; Before or After is nil for a line
// added or removed.
type LineChange struct {
	Stack     string  `json:"stack"`
	Service   string  `json:"service,omitempty"`
	Kind      string  `json:"kind"`
	Resource  string  `json:"resource"`
	Before    *Line   `json:"before,omitempty"`
	After     *Line   `json:"after,omitempty"`
	ChangeUSD float64 `json:"change_usd"`
}

// Action says what happened to the line: "added", "removed" or "changed".
func (c LineChange) Action() string {
	switch {
	case c.Before == nil:
		return "added"
	case c.After == nil:
		return "removed"
	}
	return "changed"
}

// ServiceChange is one service's monthly cost before and after.
type ServiceChange struct {
	Service   string  `json:"service"`
	BeforeUSD float64 `json:"before_usd"`
	AfterUSD  float64 `json:"after_usd"`
	ChangeUSD float64 `json:"change_usd"`
}

// cent is the smallest change a delta reports.
const cent = 0.005

// Diff compares two bills of one environment line by line (a line is its
// stack, kind and resource).
func Diff(base, head Bill) Delta {
	d := Delta{BeforeUSD: base.Total(), AfterUSD: head.Total()}
	d.ChangeUSD = d.AfterUSD - d.BeforeUSD
	before := map[string]*Line{}
	for i := range base.Lines {
		before[base.Lines[i].Key()] = &base.Lines[i]
	}
	seen := map[string]bool{}
	for i := range head.Lines {
		a := &head.Lines[i]
		k := a.Key()
		seen[k] = true
		b := before[k]
		switch {
		case b == nil:
			d.Lines = append(d.Lines, change(nil, a))
		case a.Quantity != b.Quantity || a.UnitUSD != b.UnitUSD || a.MonthlyUSD != b.MonthlyUSD:
			d.Lines = append(d.Lines, change(b, a))
		}
	}
	for i := range base.Lines {
		if b := &base.Lines[i]; !seen[b.Key()] {
			d.Lines = append(d.Lines, change(b, nil))
		}
	}
	slices.SortStableFunc(d.Lines, func(x, y LineChange) int {
		return cmp.Or(cmp.Compare(math.Abs(y.ChangeUSD), math.Abs(x.ChangeUSD)),
			cmp.Compare(x.Stack, y.Stack), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Resource, y.Resource))
	})
	services := map[string]bool{}
	for _, l := range d.Lines {
		services[cmp.Or(l.Service, Shared)] = true
	}
	for _, s := range slices.Sorted(maps.Keys(services)) {
		c := ServiceChange{Service: s, BeforeUSD: base.ServiceTotal(s), AfterUSD: head.ServiceTotal(s)}
		c.ChangeUSD = c.AfterUSD - c.BeforeUSD
		if math.Abs(c.ChangeUSD) >= cent {
			d.Services = append(d.Services, c)
		}
	}
	return d
}

func change(b, a *Line) LineChange {
	l := a
	if l == nil {
		l = b
	}
	c := LineChange{Stack: l.Stack, Service: l.Service, Kind: l.Kind, Resource: l.Resource, Before: b, After: a}
	if a != nil {
		c.ChangeUSD += a.MonthlyUSD
	}
	if b != nil {
		c.ChangeUSD -= b.MonthlyUSD
	}
	return c
}

// Service returns a service's change (zero when its cost did not change).
func (d Delta) Service(name string) (ServiceChange, bool) {
	for _, s := range d.Services {
		if s.Service == name {
			return s, true
		}
	}
	return ServiceChange{}, false
}
