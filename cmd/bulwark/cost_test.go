package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// devWith writes the dev environment, with lines added to its environment
// block and at its end, into a hidden folder of the project (inside it, to
// find its images; never among the shipped environments, which other
// packages' tests read meanwhile), removed at the end, and returns its
// path.
func devWith(t *testing.T, inEnvironment, atEnd string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", "dev.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "environment \"dev\" {\n", "environment \"dev\" {\n"+inEnvironment, 1) + atEnd
	dir, err := os.MkdirTemp(filepath.Join("..", ".."), ".test-env-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "dev.hcl")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	return abs
}

// TestPlanShowsCost: the text plan ends with the monthly cost per stack,
// service and kind, the local target's as on AWS with its mapping; the
// JSON plan has a cost object.
func TestPlanShowsCost(t *testing.T) {
	code, out, errOut := inProject(t, "plan", "--env", "dev")
	if code != exitOK {
		t.Fatalf("plan dev = %d\n%s", code, errOut)
	}
	for _, want := range []string{"\nMonthly cost on AWS as east → us-east-1, west → us-west-2: $", "730 h a month", "prices: pricing/aws, published",
		"  by stack:\n    dev.us-east-1 ", "  by service:\n    shop ", "  by kind:\n    aurora-instance ", "not priced (not counted above):"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out[strings.Index(out, "Monthly cost")-1:])
		}
	}
	code, out, _ = inProject(t, "plan", "--env", "staging", "--format", "json")
	var doc struct {
		Cost struct {
			MonthlyUSD float64           `json:"monthly_usd"`
			Mapping    map[string]string `json:"mapping"`
			Lines      []struct {
				Kind, File, Basis string
				MonthlyUSD        float64 `json:"monthly_usd"`
			} `json:"lines"`
			ByKind []struct{ Name string } `json:"by_kind"`
		} `json:"cost"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK {
		t.Fatalf("json plan = %d, %v", code, err)
	}
	sum := 0.0
	for _, l := range doc.Cost.Lines {
		sum += l.MonthlyUSD
		if !strings.HasPrefix(l.File, "pricing/aws/") || l.Basis == "" {
			t.Errorf("line %+v", l)
		}
	}
	if doc.Cost.MonthlyUSD <= 0 || sum-doc.Cost.MonthlyUSD > 0.001 || doc.Cost.Mapping["us-east-1"] != "us-east-1" || len(doc.Cost.ByKind) == 0 {
		t.Errorf("cost = %+v", doc.Cost)
	}
}

// TestBadPriceFolder: a malformed price file is an error naming it, exit
// 2, and nothing on standard output; so is a missing folder.
func TestBadPriceFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "pricing", "aws"))); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "AmazonEC2", "us-east-1.json")
	if err := os.WriteFile(bad, []byte(`{"formatVersion": "v1.0", "products": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ prices, names string }{{dir, bad}, {filepath.Join(dir, "nowhere"), filepath.Join(dir, "nowhere")}} {
		path := devWith(t, "  prices = \""+c.prices+"\"\n", "")
		code, out, errOut := inProject(t, "plan", "--env", path)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, c.names) || !strings.Contains(errOut, "cannot be priced") {
			t.Errorf("prices %s: exit %d, stdout %d bytes\n%s", c.prices, code, len(out), errOut)
		}
	}
}

// TestBuiltInPrices: a project without its own pricing/aws, whose
// environment names no prices folder, is priced from the extract built
// into the binary, and the plan says so.
func TestBuiltInPrices(t *testing.T) {
	bin := builtBulwark(t)
	project := t.TempDir()
	for name, content := range map[string]string{"Pulumi.yaml": "name: sec\nruntime: go\n", "environments/sec.hcl": secretEnv,
		"images/web/go.mod": "module web\n\ngo 1.22\n", "images/web/main.go": webMain} {
		path := filepath.Join(project, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out := runBin(t, bin, project, append(os.Environ(), "BULWARK_STATE_DIR="+t.TempDir()), "plan", "--env", "sec")
	if code != exitOK || !strings.Contains(out, "prices: pricing/aws (built in), published 2025-01-01") {
		t.Errorf("plan of a project without pricing/aws = %d:\n%s", code, out)
	}
}

// TestBudgetGate: a mandatory budget below the plan's cost fails plan and
// stops up before anything deploys; above it, plan passes. dev costs
// about $1,460 a month on AWS (the shipped extract).
func TestBudgetGate(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	t.Setenv("BULWARK_PASSPHRASE", "test")
	over := devWith(t, "", "\npolicy \"budget\" {\n  enforcement = \"mandatory\"\n  monthly_usd = 1000\n}\n")
	code, out, errOut := inProject(t, "plan", "--env", over)
	if code != exitFailed || !strings.Contains(out, "FAIL budget") || !strings.Contains(out, "over the budget of $1000") {
		t.Fatalf("plan over budget: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = inProject(t, "up", "--env", over)
	if code != exitFailed || !strings.Contains(errOut, "nothing was deployed") || !strings.Contains(errOut, "budget") {
		t.Errorf("up over budget: exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("up touched the state directory despite the budget: %v", entries)
	}
	under := devWith(t, "", "\npolicy \"budget\" {\n  enforcement = \"mandatory\"\n  monthly_usd = 5000\n}\n")
	if code, out, errOut := inProject(t, "plan", "--env", under); code != exitOK || strings.Contains(out, "FAIL budget") {
		t.Errorf("plan under budget: exit %d\n%s", code, errOut)
	}
}
