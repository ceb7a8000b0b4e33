package awsconstraints

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// TestDegradationMeetsAWSConstraints plans the module tests' runtime
// environment with graceful degradation's parts (a write queue on
// instances and on containers, a cache, dependencies), built in Go until
// the loader reads their blocks, and fails on each rule AWS would refuse
// it by.
func TestDegradationMeetsAWSConstraints(t *testing.T) {
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(repoRoot(), "images"))}
	topo, err := l.LoadFile(filepath.Join(repoRoot(), "modules", "aws", "testdata", "runtime.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range topo.Services {
		s := &topo.Services[i]
		if s.Name == "orders" {
			continue
		}
		s.WriteQueue = &topology.WriteQueue{Paths: []string{"/writes"}, MaxAge: time.Minute, Keep: topology.MaxQueueKeep, MaxReceives: topology.MaxQueueMaxReceives}
		s.Cache = &topology.Cache{Paths: []string{"/catalog"}, TTL: topology.DefaultCacheTTL, StaleFor: topology.DefaultCacheStaleFor}
		s.Dependencies = []topology.Dependency{{On: "orders", Need: topology.NeedSoft, Timeout: time.Second, Tries: 2, Backoff: 100 * time.Millisecond}}
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			kinds[r.Type]++
		}
	}
	if kinds[typeQueue] == 0 || kinds[typeDistribution] == 0 || kinds[typeCachePolicy] == 0 {
		t.Fatalf("the plan has %d queues, %d distributions, %d cache policies", kinds[typeQueue], kinds[typeDistribution], kinds[typeCachePolicy])
	}
	for _, v := range Check(p) {
		t.Errorf("%s", v)
	}
}
