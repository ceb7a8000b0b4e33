package cost

import (
	"context"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/envgen"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// BenchmarkEstimate3x20 prices a generated 3 regions × 20 services
// environment (internal/envgen, local, so priced as AsAWS: r1..r3 →
// us-east-1, us-west-2, eu-west-1) from the shipped extract, once the
// catalog is loaded and the aws plan built: the target is under
// 100 ms warm.
func BenchmarkEstimate3x20(b *testing.B) {
	size := envgen.Size{Regions: 3, Services: 20}
	topo, err := (&topology.Loader{Root: "../.."}).Load(size.Name()+".hcl", []byte(envgen.Source(size)))
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := AsAWS(topo)
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.Build(context.Background(), a, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := pricing.Load("../../pricing/aws")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		bill, err := Estimate(a, p, c)
		if err != nil || bill.Total() <= 0 {
			b.Fatal(err, bill.Total())
		}
	}
}
