package topology

import (
	"slices"
	"testing"
)

func TestLayerOrderAndVars(t *testing.T) {
	src := `
environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
layer "report" {
  source = "layers/ok"
  after  = ["stacks"]
  vars = {
    endpoint = stacks.east.services.shop.endpoint
    bucket   = layers.bootstrap.bucket
    name     = "report-${layers.dns.zone}"
  }
}
layer "dns" {
  source = "layers/ok"
  after  = ["bootstrap"]
  before = ["stacks"]
  vars   = { region = "east" }
}
layer "bootstrap" {
  source = "layers/ok"
}
`
	l := &Loader{Root: "testdata"}
	topo, err := l.Load("dev.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := topo.LayerOrder(); !slices.Equal(got, []string{"bootstrap", "dns", Stacks, "report"}) {
		t.Fatalf("order = %v", got)
	}
	report := topo.Layers[0]
	if !report.AfterStacks(topo) || topo.Layers[1].AfterStacks(topo) {
		t.Error("report runs after the stacks, dns before")
	}
	vars, diags := report.EvalVars(
		map[string]map[string]any{"bootstrap": {"bucket": "state-1"}, "dns": {"zone": "shop.test"}},
		map[string]map[string]any{"east": {"services": map[string]any{"shop": map[string]any{"endpoint": "127.0.3.1:8080"}}}},
	)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if vars["endpoint"].AsString() != "127.0.3.1:8080" || vars["bucket"].AsString() != "state-1" || vars["name"].AsString() != "report-shop.test" {
		t.Errorf("vars = %#v", vars)
	}
}
