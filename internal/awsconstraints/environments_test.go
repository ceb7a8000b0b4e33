package awsconstraints

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// awsEnvironments are the aws environments the suite judges: the shipped
// ones (environments/*.hcl whose target is aws), the module tests' and
// this package's variants (testdata/: one region, six zones, containers in
// regions with gaps in their zone letters, DynamoDB, HTTPS and the zone
// apex, names at the loader's limits).
func awsEnvironments(t *testing.T) map[string]*topology.Topology {
	t.Helper()
	out := map[string]*topology.Topology{}
	for _, pattern := range []string{"environments/*.hcl", "modules/aws/testdata/*.hcl", "internal/awsconstraints/testdata/*.hcl"} {
		files, err := filepath.Glob(filepath.Join(repoRoot(), pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			l := &topology.Loader{Images: topology.ImageDir(filepath.Join(repoRoot(), "images"))}
			topo, err := l.LoadFile(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if topo.Environment.Target == topology.TargetAWS {
				rel, _ := filepath.Rel(repoRoot(), f)
				out[rel] = topo
			}
		}
	}
	if len(out) < 8 {
		t.Fatalf("found %d aws environments: %v", len(out), out)
	}
	return out
}

// TestEnvironmentsMeetAWSConstraints plans every aws environment and
// fails on each rule AWS would refuse it by.
func TestEnvironmentsMeetAWSConstraints(t *testing.T) {
	for name, topo := range awsEnvironments(t) {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			p, err := plan.Build(context.Background(), topo, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range Check(p) {
				t.Errorf("%s", v)
			}
		})
	}
}
