package main

import (
	"slices"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/policies"
)

// The assessment estimates each scenario a drill runs, under the drill's
// names: the two lists are one.
func TestEstimatedScenariosAreTheDrills(t *testing.T) {
	var names []string
	for _, n := range drill.ScenarioNames {
		names = append(names, string(n))
	}
	if !slices.Equal(names, policies.Scenarios) {
		t.Errorf("drill scenarios %v, estimated %v", names, policies.Scenarios)
	}
}
