package policies

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// graphPolicies judge the dependency graph: what services need of each
// other and of externals.
func graphPolicies() []Policy {
	return []Policy{
		{
			ID: "hidden-single-point", Description: "no service needs (hard, directly or through others) something that runs in fewer of its regions or zones than it does",
			Enforcement: Mandatory, Remediation: "run the dependency in every region and zone the service runs in, make the dependency soft (serve cached, queue writes), or accept it by lowering this policy",
			Check: checkHiddenSinglePoints,
		},
		{
			ID: "retry-storm", Description: "timeouts shrink along every call chain, and no request becomes more than max_amplification attempts at the far end of one",
			Enforcement: Mandatory, Remediation: "give each caller a timeout longer than its callee's whole budget (timeouts × tries and backoffs), and fewer tries deeper in the chain",
			Params: []Param{{Name: "max_amplification", Default: cty.NumberIntVal(topology.DefaultRetryAmplification), Description: "most attempts one request may become along a call chain"}},
			Check:  checkRetryStorms,
		},
		{
			ID: "slo-achievable", Description: "the estimated availability of each service, with its hard dependencies in series, meets its slo's availability",
			Enforcement: Advisory, Remediation: "add regions, zones or instances to the service or to what it needs, make dependencies soft, or revise the slo",
			Check: checkSLOAchievable,
		},
	}
}

// edgeRange is where a service declares its dependency on another.
func edgeRange(t *topology.Topology, from, on string) hcl.Range {
	for _, s := range t.Services {
		if s.Name != from {
			continue
		}
		for _, d := range s.Dependencies {
			if d.On == on {
				return d.DeclRange
			}
		}
		return s.DeclRange
	}
	return hcl.Range{}
}

func checkHiddenSinglePoints(m *Model, _ Params) []Finding {
	var out []Finding
	for _, sp := range NewGraph(m.Topology).SinglePoints() {
		out = append(out, Finding{Message: sp.String(), Service: sp.Service, Range: edgeRange(m.Topology, sp.Path[0], sp.Path[1])})
	}
	return out
}

func checkRetryStorms(m *Model, p Params) []Finding {
	g := NewGraph(m.Topology)
	var out []Finding
	for _, r := range g.RetryStorms() {
		out = append(out, Finding{Message: r.String(), Service: r.Path[0], Range: edgeRange(m.Topology, r.Path[1], r.Path[2])})
	}
	limit := p.Int("max_amplification")
	for _, a := range g.WorstAmplification() {
		if a.Attempts > limit {
			out = append(out, Finding{Message: fmt.Sprintf("one request to %s may become %d attempts along %s (the product of the tries), more than max_amplification %d",
				a.Path[0], a.Attempts, a.Path, limit), Service: a.Path[0], Range: edgeRange(m.Topology, a.Path[0], a.Path[1])})
		}
	}
	return out
}

func checkSLOAchievable(m *Model, _ Params) []Finding {
	var out []Finding
	for _, sa := range Assess(m).Availability {
		for _, s := range m.Services {
			if s.Decl.Name != sa.Service || s.Decl.SLO == nil || sa.Total >= s.Decl.SLO.Availability {
				continue
			}
			out = append(out, Finding{Message: fmt.Sprintf("%s is estimated %s available, below its slo's %s: %s (%s)", sa.Service, Nines(sa.Total), Nines(s.Decl.SLO.Availability), sa.How, sa.Assumes),
				Service: sa.Service, Range: s.Decl.SLO.DeclRange})
		}
	}
	return out
}
