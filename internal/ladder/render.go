package ladder

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/policies"
)

// WriteText prints each service's ladder as a table, what each step
// changes, the steps left out and why, and what the estimates assume.
func (l *Ladder) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Resilience ladder of environment %s (target %s): each step of one service, the others as declared\n", l.Environment, l.Target)
	if len(l.Mapping) > 0 {
		fmt.Fprintf(w, "  priced as on aws, regions mapped: %s\n", cost.MappingText(l.Mapping))
	}
	fmt.Fprintf(w, "  monthly cost: the environment's bill with the step (the service's share in brackets); Δ against the bill as declared\n")
	fmt.Fprintf(w, "  targets: region %s, zone %s\n", objectiveText(l.RegionTarget), objectiveText(l.ZoneTarget))
	for _, sl := range l.Services {
		fmt.Fprintf(w, "\n%s", sl.Service)
		if sl.SLO > 0 {
			fmt.Fprintf(w, " (SLO %s)", policies.Nines(sl.SLO))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  %-20s %-24s %12s %22s %20s %16s %-22s %s\n", "VARIANT", "MONTHLY COST (SERVICE)", "Δ DECLARED", "REGION LOSS RTO/RPO", "ZONE LOSS RTO/RPO", "AVAILABILITY", "(OWN)", "NEXT NINE (OWN)")
		for _, s := range sl.Steps {
			mark := " "
			if s.Kind == Declared {
				mark = "*"
			}
			avail := policies.Nines(s.Availability) + verdict(s.AvailabilityMet)
			fmt.Fprintf(w, "%s %-20s %-24s %12s %22s %20s %16s %-22s %s\n", mark, s.Title,
				Money(s.Cost)+" ("+Money(s.Service)+")", Delta(s.Delta),
				recoveryText(s.Region), recoveryText(s.Zone), avail, "("+policies.Nines(s.Own)+")", nextNineText(s))
		}
		for _, k := range sl.Skipped {
			fmt.Fprintf(w, "  left out: %s: %s\n", k.Kind.Title(), k.Why)
		}
		if d := sl.Declared(); d != nil {
			if n := d.NextNine; n != nil && n.Kind != Declared {
				fmt.Fprintf(w, "  from as declared, the next nine of its own availability (%d) costs %s a month: %s\n", n.Nines, Delta(n.Delta), n.Kind.Title())
			} else if n == nil {
				fmt.Fprintf(w, "  from as declared (%d nines of its own), no step here gives it another\n", Nines(d.Own))
			}
			if d.Own > 0 && d.Availability < d.Own {
				fmt.Fprintf(w, "  what it needs in series caps it at %s, whatever its own redundancy\n", policies.Nines(d.Availability/d.Own))
			}
		}
		fmt.Fprintf(w, "  what each step changes:\n")
		for _, s := range sl.Steps {
			fmt.Fprintf(w, "    %s: %s\n", s.Title, strings.Join(s.Changes, "; "))
		}
	}
	fmt.Fprintf(w, "\nestimates: the assessment of `bulwark plan` on each step's plan; availability %s\n", l.Assumes)
}

// recoveryText is "1m30s/1s met", "never MISSED".
func recoveryText(r Recovery) string {
	s := "never"
	if !r.Unrecoverable {
		s = short(r.RTO) + "/" + short(r.RPO)
	}
	return s + verdict(r.Met)
}

func verdict(met *bool) string {
	switch {
	case met == nil:
		return ""
	case *met:
		return " met"
	default:
		return " MISSED"
	}
}

func nextNineText(s Step) string {
	n := s.NextNine
	if n == nil {
		return "none here"
	}
	if n.Kind == s.Kind {
		return "-"
	}
	return fmt.Sprintf("%s (%s, %d nines)", Delta(n.Delta), Kind(n.Kind).Title(), n.Nines)
}

func objectiveText(o *Objective) string {
	if o == nil {
		return "none declared"
	}
	return "RTO " + short(o.RTO) + " / RPO " + short(o.RPO)
}

// short prints a duration rounded for a table: 90.2s as 1m30s, 30m45.05s
// as 30m45s, 50ms as 50ms.
func short(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return fmtD(d.Round(time.Second))
	case d >= time.Second:
		return fmtD(d.Round(100 * time.Millisecond))
	}
	return d.String()
}

// Money prints US dollars a month: $3,424.00 (the bill's own format).
func Money(v float64) string { return cost.USD(v) }

// Delta prints a difference in dollars with its sign: +$626.00, -$1,652.00, ±$0.
func Delta(v float64) string {
	switch {
	case math.Abs(v) < 0.005:
		return "±$0"
	case v > 0:
		return "+" + Money(v)
	}
	return Money(v)
}
