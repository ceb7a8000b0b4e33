package cost

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// shipped loads a shipped environment as the CLI does (images checked,
// the project root two folders up).
func shipped(t testing.TB, env string) *topology.Topology {
	t.Helper()
	root, _ := filepath.Abs("../..")
	l := &topology.Loader{Root: root, Images: topology.ImageDir(filepath.Join(root, "images"))}
	topo, err := l.LoadFile(filepath.Join(root, "environments", env+".hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestShippedEnvironments prices every shipped environment from the
// shipped extract: each has a bill, every line a rate, nothing unknown.
func TestShippedEnvironments(t *testing.T) {
	if testing.Short() {
		t.Skip("plans every shipped environment")
	}
	files, err := filepath.Glob("../../environments/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped environments found (%v): nothing would be checked", err)
	}
	c, err := pricing.Load("../../pricing/aws")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		env := strings.TrimSuffix(filepath.Base(f), ".hcl")
		t.Run(env, func(t *testing.T) {
			topo := shipped(t, env)
			p, err := plan.Build(context.Background(), topo, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Of(context.Background(), topo, p, plan.Options{}, c)
			if err != nil {
				t.Fatal(err)
			}
			if b.Total() <= 0 {
				t.Errorf("total %v", b.Total())
			}
			for _, u := range b.Unpriced {
				if strings.Contains(u.Why, "does not know") || strings.Contains(u.Why, "no price") {
					t.Errorf("unpriced: %+v", u)
				}
			}
			if testing.Verbose() {
				t.Logf("%s: %s on AWS (%s) %s", env, USD(b.Total()), MappingText(b.Mapping), b.MappingNote)
				for _, s := range b.ByKind() {
					t.Logf("  %-28s %12s %d", s.Name, USD(s.MonthlyUSD), s.Lines)
				}
				for _, u := range b.Unpriced {
					t.Logf("  unpriced %s ×%d: %s", u.Kind, u.Count, u.Why)
				}
			}
		})
	}
}
