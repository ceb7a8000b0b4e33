package policies

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// good is an environment every policy accepts; each failing case edits it.
const good = `
environment "pol" {
  target = "local"
  targets {
    region {
      rto = "10s"
      rpo = "0s"
    }
  }
}
region "east" {
  primary = true
}
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    interval        = "1s"
    unhealthy_after = 2
  }
  dns {
    zone = "shop.test"
    ttl  = 1
  }
  database {
    engine      = "postgres"
    replication = "sync"
  }
  backup {
    every   = "1h"
    keep    = "7d"
    copy_to = ["west"]
  }
}
`

// model loads source as if it were environments/<name>.hcl of this
// repository, plans it under mocks and reads the graph.
func model(t *testing.T, name, src string) (*Model, []Configured) {
	t.Helper()
	l := &topology.Loader{}
	topo, err := l.Load("../environments/"+name+".hcl", []byte(src))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := FromPlan(topo, p)
	cfg, diags := Configure(topo)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return m, cfg
}

func findings(results []Result, id string) []Finding {
	for _, r := range results {
		if r.Policy == id {
			return r.Findings
		}
	}
	return nil
}

func TestGoodEnvironmentPassesEveryPolicy(t *testing.T) {
	m, cfg := model(t, "pol", good)
	for _, r := range Evaluate(m, cfg) {
		if !r.Passed() {
			t.Errorf("%s: %+v", r.Policy, r.Findings)
		}
	}
}

func TestExampleDevEnvironmentPasses(t *testing.T) {
	src, err := os.ReadFile("../environments/dev.hcl")
	if err != nil {
		t.Fatal(err)
	}
	m, cfg := model(t, "dev", string(src))
	if f := MandatoryFindings(Evaluate(m, cfg)); len(f) != 0 {
		t.Errorf("environments/dev.hcl violates mandatory policies: %+v", f)
	}
}

func TestEachPolicyFails(t *testing.T) {
	cases := []struct {
		policy   string
		old, new string
		line     string // text on the line the finding points at
	}{
		{"region-count", `region "west" {}`, `region "west" {}
policy "data-replicated" {
  enforcement = "disabled"
}`, `service "shop" {`},
		{"zone-spread", "min     = 2\n    desired = 2", "min     = 1\n    desired = 1", "capacity {"},
		{"min-capacity", "min     = 2", "min     = 1", "capacity {"},
		{"n-plus-one", "max     = 4", "max     = 3", "capacity {"},
		{"backup-offsite", `copy_to = ["west"]`, `copy_to = ["east"]`, "backup {"},
		{"backup-retention", `keep    = "7d"`, `keep    = "2d"`, "backup {"},
		{"recovery-targets", `rto = "10s"`, `rto = "1s"`, "region {"},
		{"recovery-targets", `replication = "sync"`, `replication = "async"`, "region {"},
		{"deletion-protection", `environment "pol" {`, `environment "prod" {`, "database {"},
	}
	for _, c := range cases {
		t.Run(c.policy+"/"+strings.Fields(c.new)[0], func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			src := strings.Replace(good, c.old, c.new, 1)
			name := "pol"
			if strings.Contains(c.new, `"prod"`) {
				name = "prod"
			}
			if c.policy == "region-count" {
				src = strings.Replace(src, "  mode  = \"active-active\"\n", "  mode  = \"active-active\"\n  regions = [\"east\"]\n", 1)
			}
			m, cfg := model(t, name, src)
			results := Evaluate(m, cfg)
			got := findings(results, c.policy)
			if len(got) == 0 {
				t.Fatalf("%s found nothing; all results: %+v", c.policy, results)
			}
			lines := strings.Split(src, "\n")
			f := got[0]
			if f.Range.Start.Line < 1 || !strings.Contains(lines[f.Range.Start.Line-1], c.line) {
				t.Errorf("finding points at line %d %q, want the line with %q", f.Range.Start.Line, lines[max(f.Range.Start.Line-1, 0)], c.line)
			}
			if f.Enforcement != Mandatory || len(MandatoryFindings(results)) == 0 {
				t.Errorf("%s is not mandatory by default", c.policy)
			}
		})
	}
}

func TestHotStandbyPolicies(t *testing.T) {
	src := strings.Replace(good, `mode  = "active-active"`, `mode  = "hot-standby"`, 1)
	src = strings.Replace(src, "min     = 2", "min     = 1", 1)
	src = strings.Replace(src, "desired = 2", "desired = 1", 1)
	src = strings.Replace(src, "max     = 4", "max     = 2", 1)
	m, cfg := model(t, "pol", src)
	results := Evaluate(m, cfg)
	// the standby region's minimum of 1 is advisory; the primary's is mandatory
	if f := findings(results, "warm-standby"); len(f) != 1 || f[0].Region != "west" || f[0].Enforcement != Advisory {
		t.Errorf("warm-standby = %+v", f)
	}
	if f := findings(results, "min-capacity"); len(f) != 1 || f[0].Region != "east" {
		t.Errorf("min-capacity = %+v", f)
	}
	if f := findings(results, "n-plus-one"); len(f) != 0 {
		t.Errorf("n-plus-one judged a hot standby: %+v", f)
	}
	if f := findings(results, "dns-health-checked"); len(f) != 0 {
		t.Errorf("failover record with the primary first was flagged: %+v", f)
	}
}

func TestConfigure(t *testing.T) {
	src := good + `
policy "backup-retention" {
  enforcement = "advisory"
  min_keep    = "30d"
}
policy "zone-spread" {
  min_zones = 3
}
`
	m, cfg := model(t, "pol", src)
	results := Evaluate(m, cfg)
	for _, r := range results {
		switch r.Policy {
		case "backup-retention":
			if r.Enforcement != Advisory || !r.Lowered || len(r.Findings) != 1 {
				t.Errorf("backup-retention = %+v", r)
			}
		case "zone-spread": // desired 2 spreads over 2 zones, not 3
			if len(r.Findings) != 2 {
				t.Errorf("zone-spread with min_zones 3 = %+v", r.Findings)
			}
		}
	}
	bad := good + `
policy "no-such-policy" {
  enforcement = "advisory"
}
policy "zone-spread" {
  min_zonez = 3
}
policy "region-count" {
  min_regions = "two"
}
`
	l := &topology.Loader{}
	topo, err := l.Load("../environments/bad.hcl", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, diags := Configure(topo)
	want := map[string]bool{"Unknown policy": false, "Unknown policy parameter": false, "Invalid policy parameter": false}
	for _, d := range diags {
		want[d.Summary] = true
		if d.Subject == nil || d.Subject.Start.Line == 0 {
			t.Errorf("%s has no line", d.Summary)
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no %q diagnostic in %v", k, diags)
		}
	}
}

func TestAssessmentNumbers(t *testing.T) {
	m, _ := model(t, "pol", good)
	got := map[topology.Disruption]Estimate{}
	for _, e := range Assess(m).Estimates {
		got[e.Disruption] = e
	}
	// by hand, typical figures: two instances behind HAProxy, which retries
	// a refused connection elsewhere; PowerDNS checks every 1s and drops a
	// region at the first failure (half an interval to the next check),
	// 1s more when the check times out (a partition); TTL 1s (half of it
	// kept); the runbook acts within 50ms; promotion 110ms
	want := map[topology.Disruption][2]time.Duration{
		topology.DisruptionInstance: {0, 0},
		topology.DisruptionZone:     {0, 0},
		topology.DisruptionRegion:   {2 * time.Second, 0}, // a partition: 0.5s + 1s + 0.5s
		topology.DisruptionDatabase: {160 * time.Millisecond, 0},
	}
	for d, w := range want {
		e, ok := got[d]
		if !ok || e.RTO != w[0] || e.RPO != w[1] || e.Unrecoverable {
			t.Errorf("%s: RTO %s RPO %s (%s / %s), want %s / %s", d, e.RTO, e.RPO, e.RTOTerms, e.RPOTerms, w[0], w[1])
		}
	}
	if e := got[topology.DisruptionRegion]; e.Target == nil || !e.Met() {
		t.Errorf("region target not met: %+v", e)
	}
	// each scenario, region by region
	a := Assess(m)
	for _, c := range []struct {
		scenario, region string
		rto              time.Duration
		how              string
	}{
		{ScenarioRegionLoss, "east", time.Second, "DNS: "},                // max(DNS 0.5s + 0.5s, writes 0.05s + 0.11s)
		{ScenarioRegionLoss, "west", time.Second, "writes back in 200ms"}, // a write hangs on west's standby until the client gives up
		{ScenarioRegionPartition, "west", 2 * time.Second, "a check's timeout 1s"},
		{ScenarioDatabasePrimaryLoss, "east", 160 * time.Millisecond, "promotion 110ms"},
		{ScenarioInstanceLoss, "east", 0, "retried on another instance"},
	} {
		e, ok := a.For("shop", c.scenario, c.region)
		if !ok || e.RTO != c.rto || e.RPO != 0 || !strings.Contains(e.RTOHow, c.how) {
			t.Errorf("%s of %s: %v RTO %s (%s), want %s with %q", c.scenario, c.region, ok, e.RTO, e.RTOHow, c.rto, c.how)
		}
	}

	// a hot standby in west: clients never reach it, so its loss only
	// holds the writes that wait for its synchronous standby (200ms, until
	// the client gives up and the runbook acts); east's loss moves clients
	// by DNS (0.5s + 0.5s)
	hot := strings.Replace(good, `mode  = "active-active"`, `mode  = "hot-standby"`, 1)
	m, _ = model(t, "pol", hot)
	a = Assess(m)
	if e, ok := a.For("shop", ScenarioRegionLoss, "west"); !ok || e.RTO != 200*time.Millisecond || strings.Contains(e.RTOHow, "DNS") {
		t.Errorf("hot standby's loss: %v %s (%s)", ok, e.RTO, e.RTOHow)
	}
	if e, ok := a.For("shop", ScenarioRegionLoss, "east"); !ok || e.RTO != time.Second {
		t.Errorf("hot-standby primary's loss: %v %s (%s)", ok, e.RTO, e.RTOHow)
	}

	// one instance per region: an instance loss waits for a replacement;
	// asynchronous replication loses the lag
	src := strings.Replace(good, "min     = 2\n    desired = 2", "min     = 1\n    desired = 1", 1)
	src = strings.Replace(src, `replication = "sync"`, `replication = "async"`, 1)
	m, _ = model(t, "pol", src)
	for _, e := range Assess(m).Estimates {
		switch e.Disruption {
		case topology.DisruptionInstance:
			if e.RTO != 3*time.Second { // 1s x 2 less half an interval + replacement 1.5s
				t.Errorf("single instance: RTO %s (%s)", e.RTO, e.RTOTerms)
			}
		case topology.DisruptionZone: // one instance: a zone loss is a region loss
			if e.RTO != time.Second || !strings.Contains(e.RTOTerms, "as the region's loss") { // DNS 0.5s + 0.5s
				t.Errorf("zone with one instance: %s (%s)", e.RTO, e.RTOTerms)
			}
		case topology.DisruptionRegion:
			if e.RPO != 100*time.Millisecond || e.Met() {
				t.Errorf("async region loss: RPO %s met=%v", e.RPO, e.Met())
			}
		}
	}

	// one region, no backup: a region loss is not recovered
	src = strings.Replace(good, "  mode  = \"active-active\"\n", "  mode  = \"active-active\"\n  regions = [\"east\"]\n", 1)
	src = strings.Replace(src, "  backup {\n    every   = \"1h\"\n    keep    = \"7d\"\n    copy_to = [\"west\"]\n  }\n", "", 1)
	m, _ = model(t, "pol", src)
	for _, e := range Assess(m).Estimates {
		if e.Disruption == topology.DisruptionRegion && !e.Unrecoverable {
			t.Errorf("one region: %+v", e)
		}
	}
}

// exampleEnvironment loads one of the repository's environments/<name>.hcl.
func exampleEnvironment(t *testing.T, name string) *topology.Topology {
	t.Helper()
	l := &topology.Loader{}
	topo, err := l.LoadFile("../environments/" + name + ".hcl")
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// awsEnvModel plans one of the repository's aws environments under mocks and
// reads it through the aws adapter.
func awsEnvModel(t *testing.T, env string) (*Model, []Configured) {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../images")}
	topo, err := l.LoadFile("../environments/" + env + ".hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := Configure(topo)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return FromPlan(topo, p), cfg
}

func TestAWSAdapter(t *testing.T) {
	m, cfg := awsEnvModel(t, "prod")
	// shop, and payments which it needs
	if !m.Adapted || len(m.Services) != 2 || m.Services[1].Decl.Name != "payments" {
		t.Fatalf("adapted %v, %d services", m.Adapted, len(m.Services))
	}
	svc := m.Services[0]
	if len(svc.Regions) != 3 {
		t.Fatalf("%d regions", len(svc.Regions))
	}
	for _, d := range svc.Regions {
		if d.Group == nil || d.Group.Min != 3 || d.Group.Desired != 4 || d.Group.Max != 12 || d.Group.Zones != 3 {
			t.Errorf("%s: group %+v", d.Region, d.Group)
		}
		if d.Balancer == nil || d.Balancer.Interval != 10*time.Second || d.Balancer.UnhealthyAfter != 3 {
			t.Errorf("%s: balancer %+v", d.Region, d.Balancer)
		}
		if d.Image == nil || !strings.HasPrefix(d.Image.Digest, "ami-") || d.Image.Build != "shop-2026.11.20-1" {
			t.Errorf("%s: image %+v", d.Region, d.Image)
		}
		if d.Database == nil || d.Database.Primary != "us-east-1" || len(d.Database.Replicas) != 2 || d.Database.Replication != topology.Asynchronous || !d.Database.DeletionProtection {
			t.Errorf("%s: database %+v", d.Region, d.Database)
		}
	}
	if b := svc.Backup; b == nil || b.Every != time.Hour || b.Keep != 35*24*time.Hour || strings.Join(b.Vaults, " ") != "us-east-1 us-west-2 eu-west-1" {
		t.Errorf("backup %+v", svc.Backup)
	}
	if d := svc.DNS; d == nil || !d.HealthChecked || d.TTL != 30*time.Second || len(d.Sets) != 1 || len(d.Sets[0]) != 3 || d.CheckInterval != 10*time.Second || d.Threshold != 3 {
		t.Errorf("dns %+v", svc.DNS)
	}
	for _, r := range Evaluate(m, cfg) {
		if r.NotEvaluated != "" || !r.Passed() {
			t.Errorf("prod: %s: not evaluated %q, findings %v", r.Policy, r.NotEvaluated, r.Findings)
		}
	}

	// staging: containers, one NAT gateway in the standby region, failover records
	m, cfg = awsEnvModel(t, "staging")
	svc = m.Services[0]
	for _, d := range svc.Regions {
		if d.Group == nil || d.Group.Min != 2 || d.Group.Max != 6 || d.Group.Zones != 3 || d.Image == nil || !strings.HasPrefix(d.Image.Digest, "sha256:") {
			t.Errorf("staging %s: group %+v image %+v", d.Region, d.Group, d.Image)
		}
	}
	if d := svc.DNS; d == nil || len(d.Sets) != 2 || d.Sets[0][0] != "us-east-1" || d.Sets[1][0] != "us-west-2" {
		t.Errorf("staging dns %+v", svc.DNS)
	}
	for _, r := range Evaluate(m, cfg) {
		if !r.Passed() && r.Policy != "nat-per-zone" {
			t.Errorf("staging: %s fails: %v", r.Policy, r.Findings)
		}
	}
}

// A region's group squeezed into one zone, as a hand-edited module could
// declare it: zone-spread fails at that group.
func TestAWSAdapterFindsOneZoneGroup(t *testing.T) {
	m, cfg := awsEnvModel(t, "prod")
	m.Services[0].Regions[1].Group.Zones = 1
	for _, r := range Evaluate(m, cfg) {
		if r.Policy == "zone-spread" && (r.Passed() || !strings.Contains(fmt.Sprint(r.Findings), "us-west-2")) {
			t.Errorf("zone-spread: %v", r.Findings)
		}
	}
}

// Failures the local module cannot produce from HCL (it always checks DNS
// health and pins images), made by editing the model as another target's
// adapter could read it.
func TestModelLevelFailures(t *testing.T) {
	m, cfg := model(t, "pol", good)
	svc := m.Services[0]
	svc.DNS.HealthChecked = false
	svc.Regions[1].Image.Digest = "sha256:" + strings.Repeat("0", 64)
	results := Evaluate(m, cfg)
	if f := findings(results, "dns-health-checked"); len(f) != 1 || !strings.Contains(f[0].Message, "not health-checked") {
		t.Errorf("dns-health-checked = %+v", f)
	}
	if f := findings(results, "images-pinned"); len(f) != 1 || !strings.Contains(f[0].Message, "2 different image builds") {
		t.Errorf("images-pinned = %+v", f)
	}
	svc.DNS = nil
	svc.Regions[0].Image.Digest = ""
	results = Evaluate(m, cfg)
	if f := findings(results, "dns-health-checked"); len(f) != 1 || !strings.Contains(f[0].Message, "no DNS record") {
		t.Errorf("dns-health-checked without a record = %+v", f)
	}
	if f := findings(results, "images-pinned"); len(f) == 0 || !strings.Contains(f[0].Message, "not pinned") {
		t.Errorf("images-pinned with an unpinned image = %+v", f)
	}
}

func TestDataReplicatedFails(t *testing.T) {
	src := strings.Replace(good, "  mode  = \"active-active\"\n", "  mode  = \"active-active\"\n  regions = [\"east\"]\n", 1)
	src = strings.Replace(src, `copy_to = ["west"]`, `copy_to = ["east"]`, 1)
	m, cfg := model(t, "pol", src)
	results := Evaluate(m, cfg)
	if f := findings(results, "data-replicated"); len(f) != 1 || f[0].Region != "east" {
		t.Errorf("data-replicated = %+v", f)
	}
	// a backup in another region is enough, with no replica
	src = strings.Replace(src, `copy_to = ["east"]`, `copy_to = ["west"]`, 1)
	m, cfg = model(t, "pol", src)
	if f := findings(Evaluate(m, cfg), "data-replicated"); len(f) != 0 {
		t.Errorf("backed up in west, yet: %+v", f)
	}
}

func TestAssessmentWithoutReplica(t *testing.T) {
	// one region, backups in another: a database loss restores the latest
	// backup (3s on the local target) once the runbook acts (50ms), losing
	// the writes not yet archived (archive_timeout 30s: half of it, typically)
	src := strings.Replace(good, "  mode  = \"active-active\"\n", "  mode  = \"active-active\"\n  regions = [\"east\"]\n", 1)
	m, _ := model(t, "pol", src)
	for _, e := range Assess(m).Estimates {
		if e.Disruption != topology.DisruptionDatabase {
			continue
		}
		if e.RTO != 3050*time.Millisecond || e.RPO != 15*time.Second || e.Unrecoverable || !strings.Contains(e.RTOTerms, "restore the latest backup") {
			t.Errorf("database loss without a replica: RTO %s RPO %s (%s; %s)", e.RTO, e.RPO, e.RTOTerms, e.RPOTerms)
		}
	}
}
