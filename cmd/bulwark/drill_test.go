package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A drill of the AWS target whose probe cannot reach the service stops at
// the preflight: exit 1, a report that says why, and nothing touched in
// the account (awsfake.Cloud, a loopback fake of AWS's APIs).
func TestAWSDrillStopsAtPreflight(t *testing.T) {
	cloud, dir, bulwark := awsProject(t)
	cloud.AddGroup(awsfake.Group{Name: "prod-us-east-1-shop", Region: "us-east-1", Min: 3, Max: 12, Desired: 4,
		Subnets: []awsfake.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}},
		Tags:    map[string]string{"bulwark:env": "prod", "bulwark:region": "us-east-1", "bulwark:service": "shop"}})

	// zone-loss and region-partition need a FIS template on aws
	code, _, errOut := bulwark("drill", "--env", "prod", "--scenario", "zone-loss", "--endpoint-url", cloud.URL())
	if code != exitBadInput || !strings.Contains(errOut, "--fis-template") {
		t.Fatalf("zone-loss without a template = %d:\n%s", code, errOut)
	}

	// with the template bulwark up declares for the service in the region,
	// zone-loss finds it by its tags and goes on (to a preflight that fails here)
	cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: "EXTzoneloss", Region: "us-east-1", Tags: map[string]string{
		"bulwark:env": "prod", "bulwark:region": "us-east-1", "bulwark:service": "shop", "bulwark:scenario": "zone-loss"}})
	code, _, errOut = bulwark("drill", "--env", "prod", "--scenario", "zone-loss", "--endpoint-url", cloud.URL(), "--dns-server", "127.0.0.1:9",
		"--report-dir", filepath.Join(dir, "zone-report"))
	if code != exitFailed || !strings.Contains(errOut, "preflight failed") || !slices.ContainsFunc(cloud.Calls(), func(c string) bool { return strings.Contains(c, "ListExperimentTemplates") }) {
		t.Fatalf("zone-loss with the stack's template = %d:\n%s\ncalls %v", code, errOut, cloud.Calls())
	}

	reports := filepath.Join(dir, "report")
	code, _, errOut = bulwark("drill", "--env", "prod", "--scenario", "instance-loss", "--endpoint-url", cloud.URL(),
		"--dns-server", "127.0.0.1:9", "--report-dir", reports) // nothing answers DNS there
	if code != exitFailed || !strings.Contains(errOut, "preflight failed") {
		t.Fatalf("a drill whose probe gets no answer = %d:\n%s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(reports, "drill.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r drill.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != 1 || r.Steps[0].Name != "preflight" || !strings.Contains(r.Steps[0].Error, "www.shop.example.com") {
		t.Errorf("report steps: %+v", r.Steps)
	}
	for _, call := range cloud.Calls() {
		if !strings.Contains(call, "Describe") && !strings.Contains(call, "List") {
			t.Errorf("the account was changed by a drill that never started: %s", call)
		}
	}
	if g, _ := cloud.Group("us-east-1", "prod-us-east-1-shop"); g.InService() != 4 {
		t.Errorf("group: %d in service, want 4", g.InService())
	}
}

// Without --deadline a drill derives how long it waits for the recovery
// and says how before anything else: for prod's database primary, twice
// the assessment's estimate (the runbook acts on the first failed write,
// 50ms, Aurora's managed failover, 1m, the instances reconnect, 30s:
// 1m30.05s), Route 53's detection (10s × 3) and the
// TTL (30s) as the environment declares them, and a second of steady
// success. A given --deadline is taken as given; a malformed one refused.
func TestDrillDeadlineDerivedByDefault(t *testing.T) {
	cloud, dir, bulwark := awsProject(t)
	drillTo := func(extra ...string) (int, string) {
		args := append([]string{"drill", "--env", "prod", "--scenario", "db-primary-loss", "--endpoint-url", cloud.URL(),
			"--dns-server", "127.0.0.1:9", "--report-dir", filepath.Join(dir, "report")}, extra...) // nothing answers DNS: the preflight fails
		code, _, errOut := bulwark(args...)
		return code, errOut
	}
	code, errOut := drillTo()
	want := "drill: deadline: 4m1.1s after the recovery steps (derived: 2 × 1m30.05s (the database estimate) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 30s + steady 1s = 4m1.1s)"
	if code != exitFailed || !strings.Contains(errOut, want) {
		t.Errorf("no --deadline = %d, want the derivation %q in:\n%s", code, want, errOut)
	}
	if code, errOut = drillTo("--deadline", "45s"); code != exitFailed || !strings.Contains(errOut, "drill: deadline: 45s after the recovery steps (given)") {
		t.Errorf("--deadline 45s = %d:\n%s", code, errOut)
	}
	if code, errOut = drillTo("--deadline", "derived"); !strings.Contains(errOut, want) {
		t.Errorf("--deadline derived = %d:\n%s", code, errOut)
	}
	if code, errOut = drillTo("--deadline", "soon"); code != exitBadInput || !strings.Contains(errOut, `"derived"`) {
		t.Errorf("--deadline soon = %d:\n%s", code, errOut)
	}
}

// The scheduled drill workflow offers the AWS target's failover
// scenarios (the degradation drills take a --dependency it has no input
// for, and staging declares none), drills staging and uploads the report
// folder it names.
func TestDrillWorkflow(t *testing.T) {
	wf, _ := loadWorkflow(t, "drill.yml")
	if len(wf.On.Schedule) == 0 {
		t.Error("no schedule")
	}
	var onAWS []string
	for _, s := range targetNamed(topology.TargetAWS, target.Options{}).Scenarios() {
		if !slices.Contains(drill.DegradationNames, s) {
			onAWS = append(onAWS, string(s))
		}
	}
	if got := wf.On.WorkflowDispatch.Inputs["scenario"].Options; !sameSet(got, onAWS) {
		t.Errorf("workflow scenarios %v, the CLI's on aws %v", got, onAWS)
	}
	var drills, uploads bool
	for _, s := range wf.Jobs["drill"].Steps {
		if regexp.MustCompile(`--deadline[ =]+[0-9]`).MatchString(s.Run) {
			t.Errorf("the workflow fixes the drill's deadline (%s): a fixed one cannot observe an AWS recovery; leave it derived", s.Run)
		}
		drills = drills || strings.Contains(s.Run, "drill --env staging") && strings.Contains(s.Run, "--report-dir drill-report")
		uploads = uploads || strings.HasPrefix(s.Uses, "actions/upload-artifact") && s.With["path"] == "drill-report/"
	}
	if !drills || !uploads {
		t.Errorf("the job drills staging: %t; uploads drill-report/: %t", drills, uploads)
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}

// workflow is what the tests read of a GitHub Actions workflow.
type workflow struct {
	On struct {
		Schedule         []map[string]string `yaml:"schedule"`
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Options []string `yaml:"options"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return wf, string(b)
}

// awsProject is a scratch project whose prod (aws) has an image manifest
// for every region, fake credentials, and a fake of AWS's APIs on loopback
// (awsfake.Cloud), closed with the test.
func awsProject(t *testing.T) (*awsfake.Cloud, string, func(args ...string) (int, string, string)) {
	t.Helper()
	fakeAWSCredentials(t)
	cloud := awsfake.NewCloud()
	t.Cleanup(cloud.Close)
	dir, bulwark := scratchProject(t)
	// prod's state bucket is a placeholder nobody reaches from here, and a
	// drill takes the environment's lease in it: state in the project instead
	hcl := filepath.Join(dir, "environments", "prod.hcl")
	src, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(string(src), `"s3://example-bulwark-state?region=us-east-1"`, `"file://`+filepath.Join(dir, "backend")+`"`, 1)
	if err := os.WriteFile(hcl, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := `{"image": "shop", "build": "shop-b1", "source_region": "us-east-1", "source_image": "ami-0a1b2c3d4e5f60718",
  "regions": {"us-east-1": "ami-0a1b2c3d4e5f60718", "us-west-2": "ami-0b2c3d4e5f6071829", "eu-west-1": "ami-0c2c3d4e5f6071829"}}`
	if err := os.WriteFile(filepath.Join(dir, "images", "shop", "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return cloud, dir, bulwark
}

// The degradation scenarios' flags are checked against the environment
// before anything is asked of the target: a bad combination exits 2 with
// what to change, and nothing is written to the state folder; a good one
// gets as far as the local target, which runs nothing here (exit 1).
func TestDrillDegradationFlags(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	drillDegrade := []string{"drill", "--env", "dev-degrade"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "dependency-loss", "--service", "shop"}, "dependency-loss needs --dependency: one of [reviews database]"},
		{[]string{"--scenario", "dependency-loss", "--service", "shop", "--dependency", "payments"}, `unknown dependency "payments"`},
		{[]string{"--scenario", "dependency-loss", "--service", "reviews", "--dependency", "shop"}, "service reviews does not declare a dependency on shop"},
		{[]string{"--scenario", "dependency-loss", "--service", "reviews", "--dependency", "database"}, "service reviews has no database to lose"},
		{[]string{"--scenario", "latency", "--service", "shop", "--dependency", "database"}, "the database has none"},
		{[]string{"--scenario", "latency", "--service", "shop", "--dependency", "reviews", "--latency", "1s", "--jitter", "2s"}, "--jitter (2s) must not exceed --latency (1s)"},
		{[]string{"--scenario", "dependency-loss", "--service", "shop", "--dependency", "reviews", "--ramp", "4s"}, "--latency, --jitter and --ramp are for the latency scenario"},
		{[]string{"--scenario", "dependency-loss", "--service", "shop", "--dependency", "reviews", "--region", "east,north"}, `does not run in region "north"`},
		{[]string{"--scenario", "origin-loss", "--service", "reviews"}, "service reviews has no cache block"},
		{[]string{"--scenario", "origin-loss", "--service", "shop", "--dependency", "reviews"}, "--dependency is for dependency-loss and latency"},
		{[]string{"--scenario", "origin-loss", "--service", "shop", "--no-restore"}, "--no-restore is for failovers"},
		{[]string{"--scenario", "zone-loss", "--service", "shop", "--dependency", "reviews"}, "are for [dependency-loss latency origin-loss], not zone-loss"},
		{[]string{"--scenario", "latency", "--service", "shop", "--dependency", "reviews", "--hold", "-1s"}, "must not be negative"},
	} {
		code, out, errOut := inProject(t, append(drillDegrade, c.args...)...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	// on aws too, before anything is asked of the account
	if code, _, errOut := inProject(t, "drill", "--env", "prod", "--scenario", "latency", "--dependency", "reviews"); code != exitBadInput || !strings.Contains(errOut, `unknown dependency "reviews"`) {
		t.Errorf("latency on aws: exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("refused drills wrote into the state directory: %v", entries)
	}
	for _, args := range [][]string{
		{"--scenario", "dependency-loss", "--service", "shop", "--dependency", "reviews"},
		{"--scenario", "dependency-loss", "--service", "shop", "--dependency", "database"},
		{"--scenario", "latency", "--service", "shop", "--dependency", "reviews", "--latency", "1s", "--jitter", "100ms", "--ramp", "4s", "--region", "west"},
		{"--scenario", "origin-loss", "--service", "shop"},
	} {
		code, out, errOut := inProject(t, append(drillDegrade, args...)...)
		if code != exitFailed || !strings.Contains(errOut, "deploy it first") {
			t.Errorf("%v: exit %d, want 1 from the local target that runs nothing\n%s%s", args, code, out, errOut)
		}
	}
}
