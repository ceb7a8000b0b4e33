package topology

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

var (
	dependencySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "need", Required: true}, {Name: "timeout"}, {Name: "tries"}, {Name: "backoff"}, {Name: "on_failure"},
	}}
	externalSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "availability", Required: true}, {Name: "regions"}}}
)

// dependency reads a service's depends_on block, with its on_failure
// attribute's range (nil when it is absent) for the checks of the service
// that need its other blocks (checkQueuedWrites); the name it depends on
// is checked once every service is read (checkDependencies).
func (d *decoder) dependency(b *hcl.Block, earlier []Dependency) (Dependency, *hcl.Range, bool) {
	dep := Dependency{On: b.Labels[0], DeclRange: b.DefRange}
	if i := slices.IndexFunc(earlier, func(e Dependency) bool { return e.On == dep.On }); i >= 0 {
		d.errorf(b.LabelRanges[0].Ptr(), "Duplicate dependency", "The dependency on %q is already declared at %s.", dep.On, earlier[i].DeclRange)
		return dep, nil, false
	}
	c := d.content(b.Body, dependencySchema)
	need, rng := d.str(c.Attributes, "need", "")
	switch Need(need) {
	case NeedHard, NeedSoft:
		dep.Need = Need(need)
	default:
		if rng != nil {
			d.errorf(rng, "Invalid need", `need must be "hard" (the service cannot answer without it) or "soft" (it answers, degraded), not %q.`, clip(need))
		}
	}
	if dep.Timeout, rng = d.duration(c.Attributes, "timeout", DefaultDependencyTimeout); rng != nil && (dep.Timeout < time.Millisecond || dep.Timeout > 5*time.Minute) {
		d.errorf(rng, "Invalid timeout", "timeout bounds one attempt: between 1ms and 5m, not %s.", dep.Timeout)
	}
	if dep.Tries, rng = d.integer(c.Attributes, "tries", DefaultDependencyTries); rng != nil && (dep.Tries < 1 || dep.Tries > MaxDependencyTries) {
		d.errorf(rng, "Invalid tries", "tries counts attempts, the first included: between 1 (no retry) and %d, not %d.", MaxDependencyTries, dep.Tries)
		dep.Tries = 1
	}
	if dep.Backoff, rng = d.duration(c.Attributes, "backoff", 0); rng != nil && dep.Backoff > time.Minute {
		d.errorf(rng, "Invalid backoff", "backoff is the wait before the second attempt, doubling after: at most 1m, not %s.", dep.Backoff)
	}
	failure, rng := d.str(c.Attributes, "on_failure", string(FailRequest))
	switch OnFailure(failure) {
	case FailRequest, ServeCached, QueueWrites:
		dep.OnFailure = OnFailure(failure)
	default:
		d.errorf(rng, "Invalid on_failure", `on_failure must be "fail", "serve-cached" or "queue-writes", not %q.`, clip(failure))
	}
	if dep.Need == NeedHard && dep.OnFailure != FailRequest && rng != nil {
		d.errorf(rng, "A hard dependency fails the request", "A service that answers (%s) when %s fails does not need it hard: make it need = \"soft\".", dep.OnFailure, dep.On)
	}
	return dep, rng, true
}

// externals reads the external blocks.
func (d *decoder) externals(blocks []*hcl.Block, t *Topology) {
	for _, b := range blocks {
		e := External{Name: b.Labels[0], DeclRange: b.DefRange}
		d.checkName("external", e.Name, b.LabelRanges[0])
		if i := slices.IndexFunc(t.Externals, func(o External) bool { return o.Name == e.Name }); i >= 0 {
			d.errorf(b.LabelRanges[0].Ptr(), "Duplicate external", "External %q is already declared at %s.", e.Name, t.Externals[i].DeclRange)
			continue
		}
		c := d.content(b.Body, externalSchema)
		e.Availability, _ = d.availability(c.Attributes)
		if regions, rng := d.strList(c.Attributes, "regions"); rng != nil {
			e.Regions = d.regionRefs(t, regions, rng, "regions")
		}
		t.Externals = append(t.Externals, e)
	}
}

// checkDependencies checks what the services depend on: a service or an
// external of the file, not itself, no cycle of hard dependencies (none
// of them could answer before the others), and a caller's timeout that
// leaves room for what it calls.
func (d *decoder) checkDependencies(t *Topology) {
	services := map[string]*Service{}
	for i := range t.Services {
		services[t.Services[i].Name] = &t.Services[i]
	}
	for _, e := range t.Externals {
		if _, clash := services[e.Name]; clash {
			d.errorf(e.DeclRange.Ptr(), "External named like a service", "External %q has the name of a service; a dependency could not tell which it means.", e.Name)
		}
	}
	for i := range t.Services {
		s := &t.Services[i]
		for j := range s.Dependencies {
			dep := &s.Dependencies[j]
			_, isService := services[dep.On]
			dep.External = !isService && slices.ContainsFunc(t.Externals, func(e External) bool { return e.Name == dep.On })
			switch {
			case dep.On == s.Name:
				d.errorf(dep.DeclRange.Ptr(), "Service depends on itself", "Service %q cannot depend on itself.", s.Name)
			case !isService && !dep.External:
				d.errorf(dep.DeclRange.Ptr(), "Unknown dependency", "Service %q depends on %q, which is neither a service nor an external of this file.", s.Name, dep.On)
			}
		}
	}
	if cycle := hardCycle(t); len(cycle) > 0 {
		first := services[cycle[0]]
		rng := first.DeclRange
		for _, dep := range first.Dependencies {
			if dep.On == cycle[1] {
				rng = dep.DeclRange
			}
		}
		d.errorf(&rng, "Cycle of hard dependencies", "Services %s need each other hard: none of them can answer before the others, nor recover after a loss. Make one of the dependencies soft.", strings.Join(cycle, " → "))
	}
}

// hardCycle finds a cycle of hard dependencies between services.
func hardCycle(t *Topology) []string {
	deps := map[string][]string{}
	for _, s := range t.Services {
		for _, dep := range s.Dependencies {
			if dep.Need == NeedHard && !dep.External {
				deps[s.Name] = append(deps[s.Name], dep.On)
			}
		}
	}
	state := map[string]int{} // 0 unseen, 1 on the path, 2 done
	var cycle []string
	var visit func(path []string) bool
	visit = func(path []string) bool {
		n := path[len(path)-1]
		state[n] = 1
		for _, on := range deps[n] {
			switch state[on] {
			case 1:
				cycle = append(slices.Clone(path[slices.Index(path, on):]), on)
				return true
			case 0:
				if visit(append(path, on)) {
					return true
				}
			}
		}
		state[n] = 2
		return false
	}
	for _, s := range t.Services {
		if state[s.Name] == 0 && visit([]string{s.Name}) {
			return cycle
		}
	}
	return nil
}

// String says a dependency in the file's words.
func (d Dependency) String() string {
	return fmt.Sprintf("%s (%s, timeout %s × %d)", d.On, d.Need, d.Timeout, d.Tries)
}
