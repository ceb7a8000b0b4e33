package plan

import (
	"context"
	"fmt"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/envgen"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func BenchmarkPlan(b *testing.B) {
	for _, size := range []envgen.Size{{Regions: 1, Services: 1}, {Regions: 3, Services: 20}, {Regions: 6, Services: 50}} {
		l := &topology.Loader{}
		topo, err := l.Load("gen.hcl", []byte(envgen.Source(size)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Build(context.Background(), topo, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
