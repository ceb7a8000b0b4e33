package localtarget

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The local target offers the degradation scenarios after the failovers,
// and refuses a fault that does not fit the service as a bad request
// before it asks the control plane anything.
func TestDegradationScenariosRefuseBadFaults(t *testing.T) {
	names := (&Target{}).Scenarios()
	if !slices.Equal(names[len(names)-3:], drill.DegradationNames) {
		t.Errorf("scenarios %v", names)
	}
	topo := &topology.Topology{Environment: topology.Environment{Name: "dev-degrade"}}
	reviews := topology.Service{Name: "reviews", Regions: []string{"east"}}
	topo.Services = []topology.Service{reviews}
	for _, c := range []struct {
		sc    drill.ScenarioName
		fault drill.Fault
		want  string
	}{
		{drill.DependencyLoss, drill.Fault{Dependency: "database"}, "service reviews has no database to lose"},
		{drill.Latency, drill.Fault{}, "latency needs --dependency"},
		{drill.OriginLoss, drill.Fault{}, "service reviews has no cache block"},
	} {
		make, err := scenarios.Lookup(c.sc)
		if err != nil {
			t.Fatal(err)
		}
		// no control plane: a builder that asked it would fail otherwise
		_, err = make(&build{ctx: context.Background(), topo: topo, req: target.DrillRequest{Scenario: c.sc, Service: reviews, Fault: c.fault}})
		if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a bad request saying %q", c.sc, err, c.want)
		}
	}
}
