package plan

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// digestOf is the digest of one stack of topo given in.
func digestOf(t *testing.T, topo *topology.Topology, in stacks.RunInputs, ref stacks.Ref) []byte {
	t.Helper()
	_, d, err := Digest(topo, in, ref, "shopco", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 32 {
		t.Fatalf("digest of %s is %d bytes", ref, len(d))
	}
	return d
}

// A program given the same inputs asks the same of the engine every time,
// although the mocks resolve its requests on their own goroutines: the
// digest is the same over runs.
func TestDigestIsStableOverRuns(t *testing.T) {
	for _, file := range []string{"full.hcl", "aws.hcl"} {
		topo, err := (&topology.Loader{}).LoadFile("../topology/testdata/valid/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range stacks.All(topo) {
			if ref.IsGlobal() {
				continue // reads its regions by stack references here; the next test gives it their outputs
			}
			first := digestOf(t, topo, stacks.RunInputs{}, ref)
			for range 5 {
				if again := digestOf(t, topo, stacks.RunInputs{}, ref); !bytes.Equal(first, again) {
					t.Fatalf("%s %s: digest %x, then %x", file, ref, first, again)
				}
			}
		}
	}
}

// Each kind of change to what a program registers changes the digest: a
// plain input, a secret's value (which the digest holds in clear, as the
// engine sees it), and an output of a region the global stack reads.
func TestDigestChangesWithWhatTheProgramRegisters(t *testing.T) {
	topo := loadFull(t)
	east := stacks.Ref{Env: topo.Environment.Name, Region: topo.Regions[0].Name}
	global := stacks.Global(topo.Environment.Name)
	regionOutputs := func(v string) stacks.RunInputs {
		outs := map[string]map[string]any{}
		for _, r := range topo.Regions {
			outs[r.Name] = map[string]any{"balancers": map[string]any{topo.Services[0].Name: "127.0.1." + v + ":8080"}}
		}
		return stacks.RunInputs{RegionOutputs: outs}
	}
	base := digestOf(t, topo, stacks.RunInputs{}, east)
	baseGlobal := digestOf(t, topo, regionOutputs("1"), global)
	if again := digestOf(t, topo, regionOutputs("1"), global); !bytes.Equal(baseGlobal, again) {
		t.Fatalf("the global stack's digest %x, then %x", baseGlobal, again)
	}

	s := &topo.Services[0]
	s.Parameters = map[string]string{"LOG_LEVEL": "debug"}
	changed := digestOf(t, topo, stacks.RunInputs{}, east)
	if bytes.Equal(base, changed) {
		t.Fatal("a changed parameter left the regional digest as it was")
	}

	s.SecretParameters = []string{"API_TOKEN"}
	env := topology.SecretParameterEnv(s.Name, "API_TOKEN")
	t.Setenv(env, "one")
	secretOne := digestOf(t, topo, stacks.RunInputs{}, east)
	t.Setenv(env, "two")
	if secretTwo := digestOf(t, topo, stacks.RunInputs{}, east); bytes.Equal(secretOne, secretTwo) {
		t.Fatal("a secret's new value left the digest as it was")
	}

	if bytes.Equal(baseGlobal, digestOf(t, topo, regionOutputs("2"), global)) {
		t.Fatal("a region's changed output, read by the global stack, left its digest as it was")
	}
}

// The global program asks the same of the engine whether it is given the
// regions' outputs or waits for them (an up that starts it beside the
// regions): a receipt written after an up answers the next preview.
func TestDigestOfAwaitedRegionOutputs(t *testing.T) {
	topo := loadFull(t)
	global := stacks.Global(topo.Environment.Name)
	outs := map[string]map[string]any{}
	for _, r := range topo.Regions {
		outs[r.Name] = map[string]any{"services": map[string]any{topo.Services[0].Name: map[string]any{"endpoint": "127.0.1.1:8080"}}}
	}
	given := digestOf(t, topo, stacks.RunInputs{RegionOutputs: outs}, global)
	awaited := digestOf(t, topo, stacks.RunInputs{AwaitRegionOutputs: func() (map[string]map[string]any, error) { return outs, nil }}, global)
	if !bytes.Equal(given, awaited) {
		t.Errorf("digest with the outputs given %x, awaited %x", given, awaited)
	}
	failed := stacks.RunInputs{AwaitRegionOutputs: func() (map[string]map[string]any, error) { return nil, errors.New("a region failed") }}
	if _, _, err := Digest(topo, failed, global, "shopco", nil); err == nil {
		t.Error("a global program whose regions failed planned")
	}
}
