package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// receiptEnv is a small local environment with a plain and a secret
// parameter: one region, one service of one instance.
const receiptEnv = `environment "rcpt" {
  target = "local"
}
policy "min-capacity" {
  enforcement = "advisory"
}
policy "zone-spread" {
  enforcement = "advisory"
}
policy "region-count" {
  enforcement = "advisory"
}
region "east" {
  primary = true
}
service "ledger" {
  mode  = "active-active"
  image = "web"
  port  = 18660
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  health {
    interval = "1s"
  }
  dns { zone = "ledger.rcpt.test" }
  parameters = {
    GREETING = "hello"
  }
  secret_parameters = ["API_TOKEN"]
}
`

// sameRow is a preview table row of a stack whose every step is
// unchanged, whoever answered it: "ok" and "same N".
var sameRow = regexp.MustCompile(`\bok\s+same \d+\s`)

// A preview is answered from receipts only while nothing it reads changed
// since the engine found nothing to change, and for each kind of change a
// preview must find, the engine runs and finds it: a changed input, a
// secret's new value, a rebuilt program and provider (one executable), and
// an output of a region that the global stack reads. A preview the
// receipts answer reports what the engine's own preview reports.
func TestPreviewReceiptsFindEveryChange(t *testing.T) {
	built := builtBulwark(t)
	// a copy of the executable, so that "rebuilding" it touches nothing
	// other tests run; the CLI is found by BULWARK_PULUMI
	exeDir := t.TempDir()
	bin := filepath.Join(exeDir, "bulwark")
	copyExecutable(t, built, bin)
	pulumiCLI, err := filepath.Abs(filepath.Join("..", "..", "bin", "pulumi"))
	if err != nil {
		t.Fatal(err)
	}
	project := t.TempDir()
	writeFiles(t, project, map[string]string{
		"Pulumi.yaml":           "name: rcpt\nruntime: go\n",
		"environments/rcpt.hcl": receiptEnv,
		"images/web/go.mod":     "module web\n\ngo 1.22\n",
		"images/web/main.go":    webMain,
	})
	state := t.TempDir()
	plane := localPlane(t, state)
	secret := topology.SecretParameterEnv("ledger", "API_TOKEN")
	env := append(os.Environ(), "BULWARK_STATE_DIR="+state, "BULWARK_PULUMI="+pulumiCLI, secret+"=one")
	bulwark := func(env []string, args ...string) string {
		t.Helper()
		return mustRun(t, bin, project, plane, env, args...)
	}
	// preview returns each stack's row and whether the receipts answered it
	type row struct {
		line     string
		answered bool
	}
	preview := func(env []string, args ...string) map[string]row {
		t.Helper()
		out := bulwark(env, append([]string{"preview", "--env", "rcpt"}, args...)...)
		rows := map[string]row{}
		for _, line := range orchestrate.TableRows(out) {
			stack := strings.Fields(line)[0]
			rows[stack] = row{line: line, answered: strings.Contains(out, stack+": answered from its receipt")}
		}
		if len(rows) != 2 {
			t.Fatalf("preview shows %d stacks, want 2:\n%s", len(rows), out)
		}
		return rows
	}
	changes := func(line string) string { // the row without its time
		f := strings.Fields(line)
		return strings.Join(f[1:len(f)-1], " ")
	}

	bulwark(env, "up", "--env", "rcpt")
	byEngine := preview(env, "--engine")
	answered := preview(env)
	for stack, r := range byEngine {
		if r.answered || !sameRow.MatchString(r.line) {
			t.Fatalf("preview --engine after up, %s: %q (answered from a receipt: %v); want the engine's unchanged steps", stack, r.line, r.answered)
		}
		if a := answered[stack]; !a.answered || changes(a.line) != changes(r.line) {
			t.Errorf("preview after up, %s: %q (answered from its receipt: %v); want it answered, as the engine's %q", stack, a.line, a.answered, r.line)
		}
	}

	// --format json says it too, per stack
	var doc struct {
		Stacks []struct {
			Stack    string         `json:"stack"`
			Changes  map[string]int `json:"changes"`
			Answered bool           `json:"answered_from_receipt"`
		} `json:"stacks"`
	}
	out := bulwark(env, "preview", "--env", "rcpt", "--format", "json") // stdout and stderr: the document is one object
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):strings.LastIndex(out, "}")+1]), &doc); err != nil || len(doc.Stacks) != 2 {
		t.Fatalf("preview --format json: %v, %+v", err, doc)
	}
	for _, st := range doc.Stacks {
		if !st.Answered || st.Changes["same"] == 0 {
			t.Errorf("preview --format json after up, %s: %+v; want answered from its receipt, unchanged", st.Stack, st)
		}
	}

	// a changed input: the engine runs and finds the update
	hcl := filepath.Join(project, "environments", "rcpt.hcl")
	if err := os.WriteFile(hcl, []byte(strings.Replace(receiptEnv, `"hello"`, `"hello again"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := preview(env)["rcpt.east"]; r.answered || !strings.Contains(r.line, "update") {
		t.Errorf("after a changed parameter, rcpt.east: %q (answered: %v); want the engine's update", r.line, r.answered)
	}
	if err := os.WriteFile(hcl, []byte(receiptEnv), 0o644); err != nil {
		t.Fatal(err)
	}

	// a secret's new value: the same
	newSecret := append(append([]string{}, env...), secret+"=two")
	if r := preview(newSecret)["rcpt.east"]; r.answered || !strings.Contains(r.line, "update") {
		t.Errorf("after a secret's new value, rcpt.east: %q (answered: %v); want the engine's update", r.line, r.answered)
	}

	// a rebuilt program and provider: the engine runs (nothing to find),
	// and its no-change preview writes the receipts the next one uses
	copyExecutable(t, built, bin)
	for stack, r := range preview(env) {
		if r.answered || !sameRow.MatchString(r.line) {
			t.Errorf("after a rebuilt executable, %s: %q (answered: %v); want the engine's unchanged steps", stack, r.line, r.answered)
		}
	}
	for stack, r := range preview(env) {
		if !r.answered {
			t.Errorf("after the engine's no-change preview, %s: %q not answered from its receipt", stack, r.line)
		}
	}

	// an output the global stack reads: the region's state says its
	// balancer is elsewhere (as an up of it from another checkout would)
	moveBalancer(t, filepath.Join(state, "backend", ".pulumi", "stacks", "rcpt", "rcpt.east.json"))
	rows := preview(env)
	if r := rows["rcpt.global"]; r.answered || !strings.Contains(r.line, "update") {
		t.Errorf("after a region's output changed, rcpt.global: %q (answered: %v); want the engine's update of what reads it", r.line, r.answered)
	}
	if r := rows["rcpt.east"]; r.answered {
		t.Errorf("after its state changed, rcpt.east was answered from its receipt: %q", r.line)
	}
	bulwark(env, "destroy", "--env", "rcpt", "--yes")
}

// copyExecutable writes a copy of src at dst through a new file renamed
// into place, as a build does: a new inode.
func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst+".new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dst+".new", dst); err != nil {
		t.Fatal(err)
	}
}

// moveBalancer rewrites a regional stack's state so that each of its
// balancers' addresses in the stack's outputs is another one.
func moveBalancer(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	moved := 0
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if m := regexp.MustCompile(`^127\.0\.(\d+)\.1:(\d+)$`).FindStringSubmatch(x); m != nil {
				moved++
				return "127.0." + m[1] + ".9:" + m[2]
			}
		}
		return v
	}
	for _, res := range doc["checkpoint"].(map[string]any)["latest"].(map[string]any)["resources"].([]any) {
		r := res.(map[string]any)
		if r["type"] == "pulumi:pulumi:Stack" {
			r["outputs"] = walk(r["outputs"])
		}
	}
	if moved == 0 {
		t.Fatalf("no balancer address in the outputs of %s", path)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
