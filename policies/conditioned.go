package policies

import (
	"fmt"
	"time"
)

// GivenDNSMove is the estimate conditioned on when a drill saw the DNS
// answer change after the injection. The DNS checks' phase is the one
// term of a region's loss no drill chooses: the next check comes anywhere
// between at once and an interval later, so one drill's outage lies
// anywhere in a range an interval wide around the typical one. Given the
// moment the answer changed, which stands for the estimate's detection
// terms, the rest of the estimate (clients keeping the old answer, the
// writes coming back) is still the model's. ok is false when the
// estimate has no DNS path (nothing moves clients by DNS).
func (e ScenarioEstimate) GivenDNSMove(moved time.Duration) (rto time.Duration, why string, ok bool) {
	var dns *path
	for i := range e.paths {
		if e.paths[i].name == "DNS" && e.paths[i].detect > 0 {
			dns = &e.paths[i]
		}
	}
	if dns == nil {
		return e.RTO, "", false
	}
	typical := Sum(dns.terms[:dns.detect])
	rest := dns.terms[dns.detect:]
	rto = moved + Sum(rest)
	why = fmt.Sprintf("DNS answer changed %s after the injection (typically %s) + %s", fmtD(moved.Round(time.Millisecond)), fmtD(typical), how(rest))
	for _, p := range e.paths {
		if p.name != "DNS" && Sum(p.terms) > rto {
			rto = Sum(p.terms)
			why = fmt.Sprintf("%s back in %s, slower than DNS given its answer changed %s after the injection", p.name, fmtD(rto), fmtD(moved.Round(time.Millisecond)))
		}
	}
	return rto, why, true
}
