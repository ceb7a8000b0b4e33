package topology

import (
	"reflect"
	"slices"
	"testing"
)

// The topology is what the environment file said and nothing else: each of
// its fields is one part of the file (or where the file was). What a run
// learns while running (layers' and regions' outputs, pinned images,
// blue-green phases) goes beside it, in stacks.RunInputs, so that the one
// topology every concurrent stack run reads is never written. A new field
// must be a part of the file, added here with what it comes from.
func TestTopologyHoldsOnlyTheFile(t *testing.T) {
	fromTheFile := map[string]string{
		"Environment": "the environment block",
		"Regions":     "the region blocks",
		"Services":    "the service blocks",
		"Policies":    "the policy blocks",
		"Layers":      "the layer blocks",
		"Externals":   "the external blocks",
		"File":        "the path the file was loaded from",
	}
	typ := reflect.TypeFor[Topology]()
	var fields []string
	for f := range typ.Fields() {
		fields = append(fields, f.Name)
		if _, ok := fromTheFile[f.Name]; !ok {
			t.Errorf("Topology.%s is not a part of the environment file: run state goes in stacks.RunInputs, beside the topology", f.Name)
		}
	}
	for name := range fromTheFile {
		if !slices.Contains(fields, name) {
			t.Errorf("Topology has no field %s any more: take it off this list", name)
		}
	}
}
