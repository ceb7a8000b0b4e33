package layers

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// realTerraform is the binary `make test` provides (PATH or bin/terraform).
func realTerraform(t *testing.T) string {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	exe, err := Find(root)
	if err != nil {
		t.Fatalf("%v (make deps provides one)", err)
	}
	return exe
}

// A real Terraform applies the bootstrap layer (built-in terraform_data,
// local state), plans no change on a rerun, plans one for a new variable,
// and destroys it.
func TestRealTerraformLifecycle(t *testing.T) {
	root, _ := filepath.Abs(".")
	r := &Runner{Exec: realTerraform(t), Dir: t.TempDir(), Root: root}
	ctx := context.Background()
	l := layer(t, "bootstrap")
	east := map[string]cty.Value{"region": cty.StringVal("east")}
	res, err := r.Apply(ctx, l, east)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["bucket"] != "bulwark-state-east" || res.Outputs["token"] != "s3cr3t-east" || len(res.Sensitive) != 1 || res.Changes["create"] != 1 {
		t.Fatalf("outputs %v, sensitive %v", res.Outputs, res.Sensitive)
	}
	if outs, err := r.Outputs(ctx, l); err != nil || outs["bucket"] != "bulwark-state-east" {
		t.Errorf("outputs from the state: %v %v", outs, err)
	}
	plan, err := r.Plan(ctx, l, east)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 0 {
		t.Errorf("a rerun plans changes: %v", plan.Changes)
	}
	plan, err = r.Plan(ctx, l, map[string]cty.Value{"region": cty.StringVal("west")})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes["update"]+plan.Changes["replace"] != 1 || plan.Plan == nil || len(plan.Plan.ResourceChanges) != 1 {
		t.Errorf("a new region plans %v", plan.Changes)
	}
	if _, err := r.Destroy(ctx, l, east); err != nil {
		t.Fatal(err)
	}
	if outs, err := r.Outputs(ctx, l); err != nil || len(outs) != 0 {
		t.Errorf("outputs after destroy: %v %v", outs, err)
	}
}

// A broken module surfaces Terraform's own diagnostic at the module's file and line.
func TestRealTerraformBrokenModule(t *testing.T) {
	root, _ := filepath.Abs(".")
	r := &Runner{Exec: realTerraform(t), Dir: t.TempDir(), Root: root}
	_, err := r.Apply(context.Background(), layer(t, "broken"), nil)
	if !errors.Is(err, ErrTerraform) {
		t.Fatalf("err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Unsupported argument") || !strings.Contains(msg, "on testdata/broken/main.tf line 2") {
		t.Errorf("the diagnostic lacks the argument or the file and line:\n%s", msg)
	}
}
