package policies

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/envgen"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// BenchmarkEvaluate judges a generated graph of about 10,000 resources:
// reading the model, every policy and the assessment. Target: < 100 ms.
func BenchmarkEvaluate(b *testing.B) {
	size := envgen.Size{Regions: 8, Services: 290}
	l := &topology.Loader{}
	topo, err := l.Load("../environments/"+size.Name()+".hcl", []byte(envgen.Source(size)))
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range p.Stacks {
		n += len(s.Resources)
	}
	cfg, diags := Configure(topo)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.Run(fmt.Sprintf("%d-resources", n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m := FromPlan(topo, p)
			_ = Evaluate(m, cfg)
			_ = Assess(m)
		}
	})
}

// BenchmarkGraphPolicies judges the dependency graph of 3 regions × 100
// services with 300 dependencies (each service calls the next three, hard
// or soft, some services in two regions only): the hidden single points,
// the retry storms and the worst amplification. Target: < 50 ms.
func BenchmarkGraphPolicies(b *testing.B) {
	t := &topology.Topology{Environment: topology.Environment{Name: "graph", Target: topology.TargetAWS}}
	for _, r := range []string{"east", "west", "south"} {
		t.Regions = append(t.Regions, topology.Region{Name: r, Zones: 3})
	}
	const services = 100
	for i := range services {
		s := topology.Service{Name: fmt.Sprintf("svc-%03d", i), Regions: []string{"east", "west", "south"}}
		if i%7 == 0 {
			s.Regions = s.Regions[:2]
		}
		for k := 1; k <= 3; k++ {
			need := topology.NeedHard
			if (i+k)%4 == 0 {
				need = topology.NeedSoft
			}
			on := (i + k) % services
			if on < i { // wrap around softly: no cycle of hard dependencies
				need = topology.NeedSoft
			}
			s.Dependencies = append(s.Dependencies, topology.Dependency{On: fmt.Sprintf("svc-%03d", on), Need: need,
				Timeout: time.Duration(4-k) * time.Second, Tries: 1 + k%3, Backoff: 100 * time.Millisecond})
		}
		t.Services = append(t.Services, s)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g := NewGraph(t)
		_ = g.SinglePoints()
		_ = g.RetryStorms()
		_ = g.WorstAmplification()
	}
}
