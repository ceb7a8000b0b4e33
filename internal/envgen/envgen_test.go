package envgen

import (
	"testing"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

func TestGeneratedEnvironmentsAreValid(t *testing.T) {
	dir := t.TempDir()
	sizes := []Size{{Regions: 1, Services: 1}, {Regions: 3, Services: 20}, {Regions: 6, Services: 50}, {Regions: 3, Services: 4, Parameters: 7, Light: true}}
	paths, err := WriteProject(dir, sizes...)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		l := &topology.Loader{Images: topology.ImageDir(dir + "/images")}
		topo, err := l.LoadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(topo.Regions) != sizes[i].Regions || len(topo.Services) != sizes[i].Services {
			t.Errorf("%s: %d regions, %d services", sizes[i], len(topo.Regions), len(topo.Services))
		}
		for _, s := range topo.Services {
			if len(s.Parameters) != sizes[i].Parameters || (sizes[i].Light && (s.Database != nil || s.Capacity.Desired != 1)) {
				t.Errorf("%s: service %s has %d parameters, database %v, capacity %+v", sizes[i], s.Name, len(s.Parameters), s.Database, s.Capacity)
			}
		}
	}
}
