package awstarget

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func blackholeParams() map[string]string {
	return map[string]string{"Protocol": "tcp", "Port": "80", "TrafficType": "egress", "DurationSeconds": "300"}
}

func TestAWSDependencyLossCutsTheCalleesPort(t *testing.T) {
	w := newDegradeWorld(t)
	for _, r := range []string{"us-east-1", "us-west-2"} {
		w.document(drill.DependencyLoss, r, BlackholeDocument, blackholeParams(), nil)
	}
	o, err := w.drill(drill.DependencyLoss, drill.Fault{Dependency: "cart"}, "")
	if err != nil {
		t.Fatal(err)
	}
	s := fisDegradation(t, o, w)
	if s.Disruption() != drill.DisruptionDependency || len(s.Templates) != 2 {
		t.Fatalf("scenario %+v: want the dependency disrupted by two regions' templates", s)
	}
	ctx := context.Background()
	msg, err := s.Inject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "TCP port 80 cut, not only to cart") {
		t.Errorf("inject said %q: want what else the blackhole cuts", msg)
	}
	if _, err := s.Restore(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAWSDependencyLossRefusesAnIngressOrOtherPort(t *testing.T) {
	w := newDegradeWorld(t)
	p := blackholeParams()
	p["Port"], p["TrafficType"] = "8080", ""
	w.document(drill.DependencyLoss, "us-east-1", BlackholeDocument, p, nil)
	_, err := w.drill(drill.DependencyLoss, drill.Fault{Dependency: "cart", Regions: []string{"us-east-1"}}, "")
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), `Port is "8080", not 80`) || !strings.Contains(err.Error(), "not egress") {
		t.Fatalf("err %v: want the port and the traffic type refused", err)
	}
	if n := w.started(); n != 0 {
		t.Errorf("%d experiments started", n)
	}
}

func TestAWSDependencyLossRefusesWhatItCannotDo(t *testing.T) {
	w := newDegradeWorld(t)
	// the database: no template makes it a loss of every region at once
	_, err := w.drill(drill.DependencyLoss, drill.Fault{Dependency: drill.DatabaseDependency}, "")
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "database is not offered on aws") {
		t.Fatalf("database: %v", err)
	}
	if _, err := w.drill(drill.DependencyLoss, drill.Fault{Dependency: drill.DatabaseDependency}, "EXTgiven"); !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "database is not offered on aws") {
		t.Fatalf("database with --fis-template: %v, want the same refusal", err)
	}
	// a second callee on port 80: the blackhole would cut it too
	pay := w.service("cart")
	pay.Name, pay.DNS.Zone = "pay", "pay.example.com"
	w.topo.Services = append(w.topo.Services, pay)
	w.topo.Services[0].Dependencies = append(w.topo.Services[0].Dependencies, topology.Dependency{On: "pay", Timeout: time.Second, Tries: 1})
	_, err = w.drill(drill.DependencyLoss, drill.Fault{Dependency: "cart"}, "")
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "would cut pay too") {
		t.Fatalf("shared port: %v", err)
	}
	// a container service
	w.topo.Services[0].Runtime = topology.RuntimeContainer
	w.topo.Services[0].Dependencies = w.topo.Services[0].Dependencies[:1]
	_, err = w.drill(drill.DependencyLoss, drill.Fault{Dependency: "cart"}, "")
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "enableFaultInjection") {
		t.Fatalf("container: %v", err)
	}
	if n := w.started(); n != 0 {
		t.Errorf("%d experiments started", n)
	}
}
