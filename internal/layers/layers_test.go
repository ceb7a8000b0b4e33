package layers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// fakeTerraform writes a script that records each command line and answers
// as Terraform would, for argv tests that run no Terraform.
func fakeTerraform(t *testing.T, failOn string) (exe, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "argv.log")
	script := `#!/bin/sh
echo "$*" >> ` + log + `
case "$1" in
  version) echo '{"terraform_version":"1.5.7","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}' ;;
  output) echo '{"bucket":{"sensitive":false,"type":"string","value":"b-1"},"token":{"sensitive":true,"type":"string","value":"t"}}' ;;
  show) echo '{"format_version":"1.2","terraform_version":"1.5.7","resource_changes":[{"address":"terraform_data.bucket","mode":"managed","type":"terraform_data","name":"bucket","change":{"actions":["create"]}}]}' ;;
  ` + failOn + `) printf 'Error: Unsupported argument\n\n  on main.tf line 2, in resource "terraform_data" "x":\n   2:   nonsense = 1\n' >&2; exit 1 ;;
esac
exit 0
`
	exe = filepath.Join(dir, "terraform")
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe, log
}

func commands(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(line, "version") {
			out = append(out, line)
		}
	}
	return out
}

func layer(t *testing.T, name string) topology.Layer {
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return topology.Layer{Name: name, Source: "testdata/" + name, Dir: dir}
}

func TestApplyArgv(t *testing.T) {
	exe, log := fakeTerraform(t, "never")
	root, _ := filepath.Abs(".")
	r := &Runner{Exec: exe, Dir: t.TempDir(), Root: root}
	res, err := r.Apply(context.Background(), layer(t, "bootstrap"), map[string]cty.Value{"region": cty.StringVal("east")})
	if err != nil {
		t.Fatal(err)
	}
	got := commands(t, log)
	if len(got) != 5 || !strings.HasPrefix(got[0], "init ") || !strings.HasPrefix(got[1], "plan ") || !strings.HasPrefix(got[2], "show ") ||
		!strings.HasPrefix(got[3], "apply ") || !strings.HasPrefix(got[4], "output ") {
		t.Fatalf("commands: %q", got)
	}
	if !strings.HasSuffix(got[3], "bulwark.tfplan") || !strings.Contains(got[1], "-out=") {
		t.Errorf("apply does not apply the plan it showed: %q / %q", got[1], got[3])
	}
	got = append(got[:1], got[3:]...) // init, apply, output
	for _, want := range []string{"-input=false", "-upgrade=false"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("init lacks %s: %s", want, got[0])
		}
	}
	for _, want := range []string{"-auto-approve", "-input=false", "-no-color"} {
		if !strings.Contains(got[1], want) {
			t.Errorf("apply lacks %s: %s", want, got[1])
		}
	}
	if !strings.Contains(got[2], "-json") {
		t.Errorf("output without -json: %s", got[2])
	}
	if res.Outputs["bucket"] != "b-1" || len(res.Sensitive) != 1 || res.Sensitive[0] != "token" || res.Changes["create"] != 1 {
		t.Errorf("result %+v", res)
	}
	work := filepath.Join(r.Dir, "bootstrap")
	vars, err := os.ReadFile(filepath.Join(work, "bulwark.auto.tfvars.json"))
	if err != nil || !strings.Contains(string(vars), `"region": "east"`) {
		t.Errorf("variables file: %s %v", vars, err)
	}
	if _, err := os.Stat(filepath.Join(work, "main.tf")); err != nil {
		t.Errorf("the module was not copied into the working folder: %v", err)
	}
}

func TestFailureNamesTheModuleFile(t *testing.T) {
	exe, log := fakeTerraform(t, "plan")
	root, _ := filepath.Abs(".")
	r := &Runner{Exec: exe, Dir: t.TempDir(), Root: root}
	_, err := r.Plan(context.Background(), layer(t, "broken"), nil)
	var te *Error
	if !errors.Is(err, ErrTerraform) || !errors.As(err, &te) || te.Command != "plan" || te.Layer != "broken" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "on testdata/broken/main.tf line 2") {
		t.Errorf("the error does not name the module's file in the project: %v", err)
	}
	got := commands(t, log)
	if len(got) != 2 || !strings.HasPrefix(got[1], "plan ") || !strings.Contains(got[1], "-out=") {
		t.Errorf("commands: %q", got)
	}
}

func TestFind(t *testing.T) {
	t.Setenv("BULWARK_TERRAFORM", "/opt/tofu")
	if p, err := Find(t.TempDir()); err != nil || p != "/opt/tofu" {
		t.Errorf("BULWARK_TERRAFORM: %s %v", p, err)
	}
	t.Setenv("BULWARK_TERRAFORM", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := Find(t.TempDir()); !errors.Is(err, ErrNoTerraform) {
		t.Errorf("no terraform anywhere: %v", err)
	}
	root := t.TempDir()
	_ = os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	_ = os.WriteFile(filepath.Join(root, "bin", "terraform"), []byte("#!/bin/sh\n"), 0o755)
	if p, err := Find(root); err != nil || p != filepath.Join(root, "bin", "terraform") {
		t.Errorf("bin/terraform: %s %v", p, err)
	}
}
