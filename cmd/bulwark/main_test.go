package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inProject runs the CLI from the repository root, as a user would.
func inProject(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateExamples(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		code, out, errOut := inProject(t, "validate", "--env", env)
		if code != exitOK || !strings.Contains(out, "valid") {
			t.Errorf("validate %s = %d\n%s%s", env, code, out, errOut)
		}
	}
}

func TestBadEnvironmentExitsTwoWithFileLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	src := "environment \"x\" {\n  target = \"local\"\n}\nregion \"a\" {}\nservice \"s\" {\n  mode = \"active-active\"\n  image = \"shop\"\n  port = 99999\n  capacity {\n    min = 1\n    desired = 1\n    max = 1\n  }\n  dns { zone = \"s.test\" }\n}\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"validate", "plan", "up", "preview", "destroy", "drift"} {
		code, out, errOut := inProject(t, verb, "--env", bad)
		if code != exitBadInput {
			t.Errorf("%s: exit %d, want 2\n%s%s", verb, code, out, errOut)
		}
		if !strings.Contains(errOut, bad+" line 8") || !strings.Contains(errOut, "Invalid port") || !strings.Contains(errOut, "nothing was deployed") {
			t.Errorf("%s: diagnostics lack file:line or summary:\n%s", verb, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"plan"}, {"plan", "--env", "dev", "--format", "yaml"}, {"plan", "--env", "dev", "extra"},
		{"plan", "--env", "nope"}, {"destroy", "--env", "dev"}, {"up", "--env", "dev", "--region", "mars"},
		{"recreate-region", "--env", "dev"}, {"recreate-region", "--env", "dev", "--region", "mars"},
		{"recreate-region", "--env", "prod", "--region", "us-east-1"},
		{"drill", "--env", "dev", "--scenario", "meteor-strike"},
	} {
		code, out, errOut := inProject(t, args...)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("usage errors touched the state directory: %v", entries)
	}
}

func TestPassphraseRequiredForNonLocal(t *testing.T) {
	t.Setenv("BULWARK_PASSPHRASE", "")
	os.Unsetenv("BULWARK_PASSPHRASE")
	t.Setenv("BULWARK_STATE_DIR", t.TempDir())
	// staging keeps secrets with KMS; a passphrase environment on aws needs BULWARK_PASSPHRASE
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", "staging.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	withPass := strings.Replace(string(src), `secrets = "awskms://alias/bulwark-staging?region=us-east-1"`, `secrets = "passphrase"`, 1)
	withPass = strings.Replace(withPass, `state   = "s3://example-bulwark-state?region=us-east-1"`, `state   = "file://`+dir+`/backend"`, 1)
	path := filepath.Join(dir, "staging.hcl")
	if err := os.WriteFile(path, []byte(withPass), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := inProject(t, "preview", "--env", path)
	if code != exitBadInput || !strings.Contains(errOut, "BULWARK_PASSPHRASE is not set") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "backend")); !os.IsNotExist(err) {
		t.Errorf("the backend was touched before the passphrase check: %v", err)
	}
}

func TestPlanJSONIsDeterministic(t *testing.T) {
	code, first, errOut := inProject(t, "plan", "--env", "prod", "--format", "json")
	if code != exitOK {
		t.Fatalf("plan prod: %d %s", code, errOut)
	}
	_, second, _ := inProject(t, "plan", "--env", "prod", "--format", "json")
	if first != second {
		t.Fatal("two plans of prod differ")
	}
	var p struct {
		Environment string
		Stacks      []struct {
			Stack     string
			Resources []struct{ Type, Name, Parent string }
		}
	}
	if err := json.Unmarshal([]byte(first), &p); err != nil {
		t.Fatal(err)
	}
	var stacks []string
	for _, s := range p.Stacks {
		stacks = append(stacks, s.Stack)
	}
	if strings.Join(stacks, " ") != "prod.us-east-1 prod.us-west-2 prod.eu-west-1 prod.global" {
		t.Errorf("stacks = %v", stacks)
	}
	code, text, _ := inProject(t, "plan", "--env", "prod")
	if code != exitOK || !strings.Contains(text, "prod.eu-west-1 (") || !strings.Contains(text, "bulwark:aws:Service") || !strings.Contains(text, "aws:route53/record:Record") {
		t.Errorf("text plan:\n%s", text)
	}
}

// violating writes a local environment inside the repository whose backups
// stay in their own region (a mandatory violation), and returns its path.
func violating(t *testing.T, extra string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", "dev.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), `copy_to = ["west"]`, `copy_to = ["east"]`, 1) + extra
	path := filepath.Join("..", "..", "environments", "zz-test-"+strings.ReplaceAll(t.Name(), "/", "-")+".hcl")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	abs, _ := filepath.Abs(path)
	return abs
}

func TestPolicyGate(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	path := violating(t, "")
	code, out, errOut := inProject(t, "plan", "--env", path)
	if code != exitFailed || !strings.Contains(out, "FAIL backup-offsite") || !strings.Contains(errOut, "mandatory policy violation") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	code, sarif, _ := inProject(t, "plan", "--env", path, "--format", "sarif")
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						Region struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(sarif), &log); err != nil || code != exitFailed {
		t.Fatalf("sarif: %v, exit %d\n%s", err, code, sarif)
	}
	r := log.Runs[0].Results
	if len(r) != 1 || r[0].RuleID != "backup-offsite" || r[0].Level != "error" || r[0].Locations[0].PhysicalLocation.Region.StartLine != lineOf(t, path, "  backup {") {
		t.Errorf("sarif results = %+v", r)
	}
	code, _, errOut = inProject(t, "up", "--env", path)
	if code != exitFailed || !strings.Contains(errOut, "nothing was deployed") {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("up touched the state directory despite the violation: %v", entries)
	}
	// an environment may lower the policy, visibly; then plan passes
	lowered := violating(t, "\npolicy \"backup-offsite\" {\n  enforcement = \"advisory\"\n}\n")
	code, out, _ = inProject(t, "plan", "--env", lowered)
	if code != exitOK || !strings.Contains(out, "advisory (lowered by the environment)") {
		t.Errorf("lowered: exit %d\n%s", code, out)
	}
	// a bad policy block is a diagnostic at its line: exit 2
	bad := violating(t, "\npolicy \"backup-offsite\" {\n  min_zones = 2\n}\n")
	code, _, errOut = inProject(t, "plan", "--env", bad)
	if code != exitBadInput || !strings.Contains(errOut, "Unknown policy parameter") || !strings.Contains(errOut, fmt.Sprintf("line %d", lineOf(t, bad, "min_zones"))) {
		t.Errorf("bad policy block: exit %d\n%s", code, errOut)
	}
}

// lineOf is the 1-based line of the first line of path containing text.
func lineOf(t *testing.T, path, text string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%q not in %s", text, path)
	return 0
}

// update rewrites the golden files: go test ./cmd/bulwark -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// TestPlanGolden compares `bulwark plan --format json` of the example
// environments with testdata/plan-<env>.json. A change to a module, the
// mocks or the policies shows up here as a reviewable diff; after checking
// it, regenerate with `make golden`.
func TestPlanGolden(t *testing.T) {
	for _, env := range []string{"prod", "staging"} {
		t.Run(env, func(t *testing.T) {
			code, got, errOut := inProject(t, "plan", "--env", env, "--format", "json")
			if code != exitOK {
				t.Fatalf("plan %s = %d: %s", env, code, errOut)
			}
			path := filepath.Join("testdata", "plan-"+env+".json")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (generate it: make golden)", err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if gl[i] != wl[i] {
						t.Fatalf("plan %s differs from %s at line %d:\n got: %s\nwant: %s\nIf the change is intended, run make golden and review the diff.", env, path, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("plan %s differs from %s in length (%d lines, want %d); if intended, run make golden", env, path, len(gl), len(wl))
			}
		})
	}
}
