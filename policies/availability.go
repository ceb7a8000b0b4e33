package policies

import (
	"fmt"
	"strings"
	"time"
)

// Availability: the share of time a service answers, estimated from its
// redundancy and what it needs. Each failure domain (an instance, a zone, a
// region) fails at a rate and is repaired in a time the estimate states;
// a domain's availability is 1 - rate × repair time. Within a region a
// service answers while the region is up and any of its zones is up with
// any of the instances there; over its regions it answers while any region
// does, less the outage clients see while DNS moves them (the region-loss
// estimate, at the regions' failure rate); and it needs every hard
// dependency in series. Soft dependencies degrade it without stopping it.

// Outages are how often a failure domain fails and how long it stays down.
type Outages struct {
	PerYear float64
	Repair  time.Duration
	Source  string
}

// Availability is 1 - the share of a year spent down.
func (o Outages) Availability() float64 {
	return 1 - o.PerYear*o.Repair.Hours()/hoursPerYear
}

const hoursPerYear = 24 * 365

// Reliability are the failure rates and repair times the availability
// estimate assumes, per failure domain.
type Reliability struct {
	Instance, Zone, Region Outages
}

// DefaultReliability are the figures a target's availability estimate
// assumes. No cloud publishes failure rates for its zones or regions;
// these are stated assumptions, not measurements, and every estimate
// prints them.
func DefaultReliability(tm Timings) Reliability {
	return Reliability{
		Instance: Outages{PerYear: 2, Repair: tm.Replace.D, Source: "assumed: an instance fails twice a year, replaced in " + fmtD(tm.Replace.D) + " (" + tm.Replace.Source + ")"},
		Zone:     Outages{PerYear: 1, Repair: 4 * time.Hour, Source: "assumed: a zone is impaired once a year for 4 h"},
		Region:   Outages{PerYear: 0.2, Repair: 8 * time.Hour, Source: "assumed: a region is impaired once in five years for 8 h"},
	}
}

// Parallel is the availability of n things any one of which suffices.
func Parallel(as ...float64) float64 {
	down := 1.0
	for _, a := range as {
		down *= 1 - a
	}
	return 1 - down
}

// Series is the availability of things all of which are needed.
func Series(as ...float64) float64 {
	up := 1.0
	for _, a := range as {
		up *= a
	}
	return up
}

// RegionShare is one region's part of a service: its zones and the
// instances in each.
type RegionShare struct {
	Region           string
	Zones            int
	InstancesPerZone int
}

// InRegion is a service's availability in one region: the region up, and
// any zone up with any of its instances.
func (r Reliability) InRegion(share RegionShare) float64 {
	if share.Zones < 1 || share.InstancesPerZone < 1 {
		return 0
	}
	instances := make([]float64, share.InstancesPerZone)
	for i := range instances {
		instances[i] = r.Instance.Availability()
	}
	zone := Series(r.Zone.Availability(), Parallel(instances...))
	zones := make([]float64, share.Zones)
	for i := range zones {
		zones[i] = zone
	}
	return Series(r.Region.Availability(), Parallel(zones...))
}

// OverRegions is a service's availability over its regions: any region
// serving, less the time clients wait for DNS to move them off a failed
// one (failover: the region-loss RTO, at each region's failure rate).
func (r Reliability) OverRegions(inRegion []float64, failover time.Duration) float64 {
	a := Parallel(inRegion...)
	if len(inRegion) > 1 {
		a -= float64(len(inRegion)) * r.Region.PerYear * failover.Hours() / hoursPerYear
	}
	return max(a, 0)
}

// ServiceAvailability is one service's estimate.
type ServiceAvailability struct {
	Service string `json:"service"`
	// Own is the service's availability by its own redundancy; Total
	// with its hard dependencies in series.
	Own   float64 `json:"own"`
	Total float64 `json:"total"`
	// SLO is the availability the service promises (0: none).
	SLO float64 `json:"slo,omitempty"`
	// Needs are the hard dependencies multiplied in, with theirs.
	Needs []string `json:"needs,omitempty"`
	// How says the terms; Assumes the failure rates they rest on.
	How     string `json:"how"`
	Assumes string `json:"assumes"`
}

// Nines prints an availability as a percentage with enough digits.
func Nines(a float64) string {
	switch {
	case a >= 0.99999:
		return fmt.Sprintf("%.4f%%", a*100)
	case a >= 0.999:
		return fmt.Sprintf("%.3f%%", a*100)
	default:
		return fmt.Sprintf("%.2f%%", a*100)
	}
}

// EstimateAvailability estimates every service of the model, with its
// hard dependencies in series (each dependency counted once, however
// many paths lead to it; externals at their declared availability).
func EstimateAvailability(m *Model, rel Reliability, a Assessment) []ServiceAvailability {
	g := NewGraph(m.Topology)
	own := map[string]float64{}
	how := map[string]string{}
	for _, s := range m.Services {
		var in []float64
		var parts []string
		for _, d := range s.Regions {
			share := RegionShare{Region: d.Region, Zones: 1, InstancesPerZone: 1}
			if d.Group != nil {
				share.Zones = max(d.Group.Zones, 1)
				share.InstancesPerZone = max(d.Group.Min/share.Zones, 1)
			}
			v := rel.InRegion(share)
			in = append(in, v)
			parts = append(parts, fmt.Sprintf("%s %s (%d zone(s) × %d instance(s))", d.Region, Nines(v), share.Zones, share.InstancesPerZone))
		}
		var failover time.Duration
		for _, e := range a.Scenarios {
			if e.Service == s.Decl.Name && e.Scenario == ScenarioRegionLoss && e.RTO > failover {
				failover = e.RTO
			}
		}
		own[s.Decl.Name] = rel.OverRegions(in, failover)
		how[s.Decl.Name] = fmt.Sprintf("regions in parallel: %s, less %s of failover per region loss", strings.Join(parts, ", "), fmtD(failover))
	}
	for _, e := range m.Topology.Externals {
		own[e.Name] = e.Availability
	}
	var out []ServiceAvailability
	for _, s := range m.Services {
		name := s.Decl.Name
		sa := ServiceAvailability{Service: name, Own: own[name], Total: own[name], How: how[name],
			Assumes: strings.Join([]string{rel.Instance.Source, rel.Zone.Source, rel.Region.Source}, "; ")}
		if s.Decl.SLO != nil {
			sa.SLO = s.Decl.SLO.Availability
		}
		closure := g.hardClosure(name)
		for _, on := range g.Order {
			if _, needed := closure[on]; needed {
				sa.Total *= own[on]
				sa.Needs = append(sa.Needs, fmt.Sprintf("%s %s", on, Nines(own[on])))
			}
		}
		if len(sa.Needs) > 0 {
			sa.How += "; in series with " + strings.Join(sa.Needs, ", ")
		}
		out = append(out, sa)
	}
	return out
}
