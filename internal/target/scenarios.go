package target

import (
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Scenarios are a target's drill scenarios by name, each a builder B of
// the target's own: each scenario's file registers its builder from an
// init function, so that a new scenario is one file.
type Scenarios[B any] struct {
	target   topology.Target
	builders map[drill.ScenarioName]B
}

// NewScenarios makes the empty registry of a target's scenarios.
func NewScenarios[B any](target topology.Target) *Scenarios[B] {
	return &Scenarios[B]{target: target, builders: map[drill.ScenarioName]B{}}
}

// Register adds a scenario; a name registered twice is a programming
// error, and panics at start-up.
func (s *Scenarios[B]) Register(name drill.ScenarioName, b B) {
	if _, dup := s.builders[name]; dup {
		panic("target " + string(s.target) + ": scenario " + string(name) + " registered twice")
	}
	s.builders[name] = b
}

// Names are the scenarios registered, in drill.AllScenarioNames' order.
func (s *Scenarios[B]) Names() []drill.ScenarioName {
	var out []drill.ScenarioName
	for _, n := range drill.AllScenarioNames() {
		if _, ok := s.builders[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Lookup is the builder of a scenario, or an error that errors.Is
// drill.ErrUnknownScenario when the target has none by that name.
func (s *Scenarios[B]) Lookup(name drill.ScenarioName) (B, error) {
	b, ok := s.builders[name]
	if !ok {
		return b, Errorf(drill.ErrUnknownScenario, "--scenario must be one of %v on target %s, not %q", s.Names(), s.target, name)
	}
	return b, nil
}
