package policies

import (
	"context"
	"fmt"
	"testing"

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
