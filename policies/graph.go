package policies

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The dependency graph: what each service of an environment calls (other
// services, external endpoints), judged as a whole. A service is only as
// redundant as what it cannot answer without, and a small fault becomes an
// outage when retries multiply down a chain of timeouts.

// Node is one vertex of the graph: a service or an external endpoint.
type Node struct {
	Name     string
	External bool
	// Regions it runs in (an external: the regions it is reachable from;
	// empty: all of them); Zones the fewest zones it spreads over in
	// those regions (0: not known, an external).
	Regions []string
	Zones   int
}

// Edge is one dependency of a service.
type Edge struct {
	From string
	topology.Dependency
}

// Graph is an environment's services and externals with their dependencies.
type Graph struct {
	Nodes map[string]*Node
	// Edges by caller, in file order.
	Edges map[string][]Edge
	// Order is every node, services first in file order, then externals.
	Order []string
	topo  *topology.Topology
}

// NewGraph builds the dependency graph of an environment; zones per
// service are the fewest zones of its regions.
func NewGraph(t *topology.Topology) *Graph {
	g := &Graph{Nodes: map[string]*Node{}, Edges: map[string][]Edge{}, topo: t}
	for _, s := range t.Services {
		n := &Node{Name: s.Name, Regions: s.Regions}
		for i, r := range s.Regions {
			if reg, ok := t.Region(r); ok && (i == 0 || reg.Zones < n.Zones) {
				n.Zones = reg.Zones
			}
		}
		g.Nodes[s.Name] = n
		g.Order = append(g.Order, s.Name)
		for _, d := range s.Dependencies {
			g.Edges[s.Name] = append(g.Edges[s.Name], Edge{From: s.Name, Dependency: d})
		}
	}
	for _, e := range t.Externals {
		g.Nodes[e.Name] = &Node{Name: e.Name, External: true, Regions: e.Regions}
		g.Order = append(g.Order, e.Name)
	}
	return g
}

// reachable says whether a node can be called from region.
func (n *Node) reachable(region string) bool {
	return (n.External && len(n.Regions) == 0) || slices.Contains(n.Regions, region)
}

// Path is a chain of calls, caller first.
type Path []string

func (p Path) String() string { return strings.Join(p, " → ") }

// hardClosure returns, for a service, every node it needs transitively
// through hard dependencies, each with the first path found to it
// (breadth first: the shortest).
func (g *Graph) hardClosure(service string) map[string]Path {
	out := map[string]Path{}
	queue := []Path{{service}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, e := range g.Edges[p[len(p)-1]] {
			if e.Need != topology.NeedHard || e.On == service {
				continue
			}
			if _, seen := out[e.On]; seen {
				continue
			}
			next := append(slices.Clone(p), e.On)
			out[e.On] = next
			queue = append(queue, next)
		}
	}
	return out
}

// SinglePoint is a hidden single point of failure: a service needs (hard,
// transitively) something less redundant than itself.
type SinglePoint struct {
	Service string
	On      string
	Path    Path
	// Lost are the service's regions the dependency cannot be called from:
	// losing the dependency's regions there takes the service down with it
	// (its failover needs a region it claims to survive losing).
	Lost []string
	// Zones, when set, says the dependency spreads over fewer zones than
	// the service (Zones[0] the dependency's, Zones[1] the service's).
	Zones [2]int
}

func (sp SinglePoint) String() string {
	var why []string
	if len(sp.Lost) > 0 {
		why = append(why, fmt.Sprintf("cannot be reached from %s", strings.Join(sp.Lost, ", ")))
	}
	if sp.Zones[0] > 0 {
		why = append(why, fmt.Sprintf("spreads over %d zone(s) against the service's %d", sp.Zones[0], sp.Zones[1]))
	}
	return fmt.Sprintf("%s needs %s (%s), which %s", sp.Service, sp.On, sp.Path, strings.Join(why, " and "))
}

// SinglePoints finds every hidden single point: for each service, each
// node it needs through hard dependencies that runs in fewer of its
// regions, or over fewer zones, than the service does.
func (g *Graph) SinglePoints() []SinglePoint {
	var out []SinglePoint
	for _, name := range g.Order {
		n := g.Nodes[name]
		if n.External {
			continue
		}
		closure := g.hardClosure(name)
		for _, on := range g.Order {
			p, needed := closure[on]
			if !needed {
				continue
			}
			dep := g.Nodes[on]
			sp := SinglePoint{Service: name, On: on, Path: p}
			for _, r := range n.Regions {
				if !dep.reachable(r) {
					sp.Lost = append(sp.Lost, r)
				}
			}
			if !dep.External && dep.Zones > 0 && dep.Zones < n.Zones {
				sp.Zones = [2]int{dep.Zones, n.Zones}
			}
			if len(sp.Lost) > 0 || sp.Zones[0] > 0 {
				out = append(out, sp)
			}
		}
	}
	return out
}

// RetryStorm is a call whose caller gives up before its callee's retries
// are done, so that the caller retries a call still being retried below.
type RetryStorm struct {
	Path Path // caller → callee → callee's callee
	// CallerTimeout is the caller's timeout of one attempt on the callee;
	// CalleeBudget the callee's whole budget on its own callee (every
	// attempt's timeout and backoffs).
	CallerTimeout, CalleeBudget time.Duration
}

func (r RetryStorm) String() string {
	return fmt.Sprintf("%s: %s waits %s for %s, whose own calls to %s may take %s (timeouts × tries and backoffs): the caller retries while the callee still does",
		r.Path, r.Path[0], r.CallerTimeout, r.Path[1], r.Path[2], r.CalleeBudget)
}

// RetryStorms finds every pair of calls A → B → C where A's timeout on B
// is shorter than B's whole budget on C.
func (g *Graph) RetryStorms() []RetryStorm {
	var out []RetryStorm
	for _, a := range g.Order {
		for _, ab := range g.Edges[a] {
			for _, bc := range g.Edges[ab.On] {
				if ab.Timeout < bc.Budget() {
					out = append(out, RetryStorm{Path: Path{a, ab.On, bc.On}, CallerTimeout: ab.Timeout, CalleeBudget: bc.Budget()})
				}
			}
		}
	}
	return out
}

// Amplification is the most attempts one request to a service becomes at
// the far end of a call chain: the product of the tries along it.
type Amplification struct {
	Path     Path
	Attempts int
}

// WorstAmplification is, per service that calls anything, the path from it
// whose product of tries is highest. Each node's best path is worked out
// once (a call back to a node still being worked out is cut there), so a
// graph of many services and many paths is judged in linear time.
func (g *Graph) WorstAmplification() []Amplification {
	best := map[string]Amplification{}
	working := map[string]bool{}
	var from func(n string) Amplification
	from = func(n string) Amplification {
		if a, done := best[n]; done {
			return a
		}
		working[n] = true
		a := Amplification{Path: Path{n}, Attempts: 1}
		for _, e := range g.Edges[n] {
			if working[e.On] {
				continue
			}
			sub := from(e.On)
			if attempts := max(e.Tries, 1) * sub.Attempts; attempts > a.Attempts || (attempts == a.Attempts && len(sub.Path)+1 > len(a.Path)) {
				a = Amplification{Path: append(Path{n}, sub.Path...), Attempts: attempts}
			}
		}
		working[n] = false
		best[n] = a
		return a
	}
	var out []Amplification
	for _, name := range g.Order {
		if a := from(name); len(a.Path) > 1 {
			out = append(out, a)
		}
	}
	return out
}
