package cost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func loadSmall(t testing.TB, edit func(string) string) *topology.Topology {
	t.Helper()
	src, err := os.ReadFile("testdata/small.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		src = []byte(edit(string(src)))
	}
	topo, err := (&topology.Loader{Root: "../.."}).Load("testdata/small.hcl", src)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func billOf(t testing.TB, topo *topology.Topology, prices Prices) Bill {
	t.Helper()
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Of(context.Background(), topo, p, plan.Options{}, prices)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.0005 }

// find returns the lines of a stack and kind.
func find(b Bill, stack, kind string) []Line {
	var out []Line
	for _, l := range b.Lines {
		if l.Stack == stack && l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// TestSmallBill prices testdata/small.hcl line by line from testPrices.
//
// us-east-1 (primary; 2 zones, a NAT gateway each; shop desired 2):
//
//	nat-gateway        2 × 730 h × $0.045            = 65.70
//	cloudwatch-alarm   4 × $0.10                      =  0.40
//	backup-copy        40 GB (default) × $0.02        =  0.80
//	backup-storage     40 GB × $0.05                  =  2.00
//	aurora-storage     50 GB (service) × $0.10        =  5.00
//	aurora-io          3M writes (service) × $0.20/M  =  0.60
//	aurora-instance    2 × 730 h × $0.26              = 379.60
//	ec2-instance       2 × 730 h × $0.02              = 29.20
//	ebs-volume         2 × 20 GB × $0.08              =  3.20
//	alb                730 h × $0.0225                = 16.425
//	alb-lcu            1 LCU × 730 h × $0.008         =  5.84
//	internet-out       100 GB (environment) × $0.09   =  9.00  (hot-standby: the primary serves all)
//	nat-gateway-data   5 GB (default) × $0.045        =  0.225
//	                                                   = 517.99
//
// us-west-2 (standby; nat = "single"): one NAT gateway 32.85, 5 alarms
// 0.50, backup-storage 2.00, aurora-storage 5.00, aurora-replicated-write
// 3M × $0.20 = 0.60, inter-region-replication 20 GB × $0.02 = 0.40, aurora
// instances 379.60, ec2 29.20, ebs 3.20, alb 16.425, alb-lcu 5.84,
// nat-gateway-data 0.225                              = 475.84
//
// global: 2 health-check alarms 0.20, 2 health checks of AWS endpoints
// 2 × $0.50 = 1.00, 1M queries (default) of failover records × $0.60 =
// 0.40 (failover records: the standard rate), the hosted zone 0.50
//
//	=   2.10
//
// total 517.99 + 475.84 + 2.10                        = 995.93
func TestSmallBill(t *testing.T) {
	b := billOf(t, loadSmall(t, nil), testPrices)
	if b.HoursPerMonth != 730 || b.Target != "aws" || b.Mapping["us-east-1"] != "us-east-1" {
		t.Errorf("bill header = %+v", b)
	}
	want := map[string]float64{"small.us-east-1": 517.99, "small.us-west-2": 475.84, "small.global": 2.10}
	for _, s := range b.ByStack() {
		if !near(s.MonthlyUSD, want[s.Name]) {
			t.Errorf("stack %s = %.4f, want %.2f", s.Name, s.MonthlyUSD, want[s.Name])
		}
	}
	if !near(b.Total(), 995.93) {
		t.Errorf("total = %.4f, want 995.93", b.Total())
	}
	type exp struct {
		stack, kind string
		n           int
		qty, usd    float64 // each line's
		basis       string
	}
	for _, e := range []exp{
		{"small.us-east-1", "nat-gateway", 2, 730, 32.85, "1 NAT gateway × 730 h"},
		{"small.us-west-2", "nat-gateway", 1, 730, 32.85, "1 NAT gateway × 730 h"},
		{"small.us-east-1", "cloudwatch-alarm", 4, 1, 0.10, "1 standard-resolution alarm"},
		{"small.us-west-2", "cloudwatch-alarm", 5, 1, 0.10, "1 standard-resolution alarm"},
		{"small.us-east-1", "backup-copy", 1, 40, 0.80, "usage.backup_gb 40 (default) copied us-east-1 → us-west-2 a month"},
		{"small.us-west-2", "backup-storage", 1, 40, 2.00, "usage.backup_gb 40 (default) in this vault"},
		{"small.us-east-1", "aurora-storage", 1, 50, 5.00, "usage.database_gb 50 (service) in this region's cluster"},
		{"small.us-east-1", "aurora-io", 1, 3, 0.60, "usage.writes_per_month 3M (service), one I/O a write (reads from the buffer cache)"},
		{"small.us-west-2", "aurora-io", 0, 0, 0, ""},
		{"small.us-west-2", "aurora-replicated-write", 1, 3, 0.60, "usage.writes_per_month 3M (service) replicated from us-east-1"},
		{"small.us-west-2", "inter-region-replication", 1, 20, 0.40, "usage.gb_between_regions_per_month 20 (default) us-east-1 → us-west-2"},
		{"small.us-east-1", "aurora-instance", 2, 730, 189.80, "1 instance × 730 h (db.r6g.large)"},
		{"small.us-west-2", "ec2-instance", 1, 1460, 29.20, "desired 2 instances × 730 h (t3.small)"},
		{"small.us-west-2", "ebs-volume", 1, 40, 3.20, "2 instances × 20 GB gp3 (/dev/xvda)"},
		{"small.us-east-1", "alb", 1, 730, 16.425, "1 load balancer × 730 h"},
		{"small.us-east-1", "alb-lcu", 1, 730, 5.84, "usage.lcu 1 (default) × 730 h"},
		{"small.us-east-1", "internet-out", 1, 100, 9.00, "usage.gb_out_per_month 100 (environment) over 1 serving region(s)"},
		{"small.us-west-2", "internet-out", 0, 0, 0, ""},
		{"small.us-west-2", "nat-gateway-data", 1, 5, 0.225, "usage.nat_gb_per_month 5 (default) in us-west-2"},
		{"small.global", "route53-health-check", 2, 1, 0.50, "1 health check of an AWS endpoint"},
		{"small.global", "route53-queries", 1, 1, 0.40, "usage.dns_queries_per_month 1M (default), failover records, standard rate"},
		{"small.global", "route53-health-check-latency", 0, 0, 0, ""},
		{"small.global", "route53-hosted-zone", 1, 1, 0.50, "1 hosted zone"},
	} {
		got := find(b, e.stack, e.kind)
		if len(got) != e.n {
			t.Errorf("%s %s: %d lines, want %d: %+v", e.stack, e.kind, len(got), e.n, got)
			continue
		}
		for _, l := range got {
			if !near(l.Quantity, e.qty) || !near(l.MonthlyUSD, e.usd) || !strings.HasPrefix(l.Basis, e.basis) || l.Service != "shop" && l.Kind != "nat-gateway" {
				t.Errorf("%s %s: %+v; want quantity %g, $%g, basis %q", e.stack, e.kind, l, e.qty, e.usd, e.basis)
			}
			if l.SKU == "" {
				t.Errorf("%s %s: no SKU", e.stack, e.kind)
			}
		}
	}
	// the network's NAT gateways are the environment's, not a service's
	var shared float64
	for _, s := range b.ByService() {
		if s.Name == Shared {
			shared = s.MonthlyUSD
		}
	}
	if !near(shared, 3*32.85) {
		t.Errorf("shared = %.4f, want 3 NAT gateways × 32.85 = 98.55", shared)
	}
}

// TestUsageDefaultsAndOverrides: a figure the file does not set is the
// default, one the environment sets applies to every service, one a
// service sets overrides the environment's.
func TestUsageDefaultsAndOverrides(t *testing.T) {
	topo := loadSmall(t, func(s string) string {
		return strings.Replace(s, "    database_gb      = 50\n", "    database_gb      = 50\n    gb_out_per_month = 10\n", 1)
	})
	u := topo.Services[0].Usage
	for name, want := range map[string]struct {
		v    float64
		from string
	}{
		"requests_per_month": {20e6, "environment"}, "gb_out_per_month": {10, "service"}, "writes_per_month": {3e6, "service"},
		"database_gb": {50, "service"}, "backup_gb": {40, "default"}, "lcu": {1, "default"}, "nat_gb_per_month": {5, "default"},
		"gb_between_regions_per_month": {20, "default"}, "dns_queries_per_month": {1e6, "default"},
	} {
		if v, _ := u.Value(name); v != want.v || u.Source(name) != want.from {
			t.Errorf("%s = %g (%s), want %g (%s)", name, v, u.Source(name), want.v, want.from)
		}
	}
	b := billOf(t, topo, testPrices)
	// 10 GB (service) × $0.09 = 0.90
	if l := find(b, "small.us-east-1", "internet-out"); len(l) != 1 || !near(l[0].MonthlyUSD, 0.90) ||
		l[0].Basis != "usage.gb_out_per_month 10 (service) over 1 serving region(s)" {
		t.Errorf("internet-out = %+v", l)
	}
	// no usage block anywhere: every default; 50 GB × $0.09 = 4.50
	bare := loadSmall(t, func(s string) string {
		s = strings.Replace(s, "  usage {\n    requests_per_month = 20000000\n    gb_out_per_month   = 100\n  }\n", "", 1)
		return strings.Replace(s, "  usage {\n    writes_per_month = 3000000\n    database_gb      = 50\n  }\n", "", 1)
	})
	b = billOf(t, bare, testPrices)
	if l := find(b, "small.us-east-1", "internet-out"); len(l) != 1 || !near(l[0].MonthlyUSD, 4.50) || !strings.Contains(l[0].Basis, "50 (default)") {
		t.Errorf("internet-out with defaults = %+v", l)
	}
	// 1M writes (default) × $0.20 = 0.20; 20 GB (default) × $0.10 = 2.00
	if l := find(b, "small.us-east-1", "aurora-io"); len(l) != 1 || !near(l[0].MonthlyUSD, 0.20) {
		t.Errorf("aurora-io with defaults = %+v", l)
	}
	if l := find(b, "small.us-east-1", "aurora-storage"); len(l) != 1 || !near(l[0].MonthlyUSD, 2.00) {
		t.Errorf("aurora-storage with defaults = %+v", l)
	}
}

// TestUnpricedListed: a kind the bill does not price, and a rate the
// prices lack, are listed with their count, never counted as zero.
func TestUnpricedListed(t *testing.T) {
	prices := fakePrices{}
	for k, v := range testPrices {
		if k != "r53 zone" {
			prices[k] = v
		}
	}
	b := billOf(t, loadSmall(t, nil), prices)
	got := map[string]Unpriced{}
	for _, u := range b.Unpriced {
		got[u.Kind] = u
	}
	if u := got["route53-hosted-zone"]; u.Count != 1 || !strings.Contains(u.Why, "no price") {
		t.Errorf("hosted zone without a rate: %+v", u)
	}
	// one EIP per NAT gateway: 2 in us-east-1, 1 in us-west-2
	if u := got["ec2/eip"]; u.Count != 3 || !strings.Contains(u.Why, "not read") {
		t.Errorf("EIPs: %+v", u)
	}
	if u := got["kms/key"]; u.Count == 0 {
		t.Errorf("KMS keys not listed: %+v", b.Unpriced)
	}
	if len(find(b, "small.global", "route53-hosted-zone")) != 0 {
		t.Errorf("a hosted zone line without a rate")
	}
	// 995.93 less the zone's 0.50
	if !near(b.Total(), 995.43) {
		t.Errorf("total = %.4f, want 995.43", b.Total())
	}
}

// TestBadPrices: an error of the prices other than a missing rate stops the bill.
func TestBadPrices(t *testing.T) {
	topo := loadSmall(t, nil)
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Estimate(topo, p, brokenPrices{testPrices})
	if !errors.Is(err, pricing.ErrPriceFile) || !strings.Contains(err.Error(), "AmazonEC2/us-east-1.json") {
		t.Errorf("err = %v", err)
	}
}

type brokenPrices struct{ fakePrices }

func (brokenPrices) EC2Instance(string, string) (pricing.Rate, error) {
	return pricing.Rate{}, fmt.Errorf("prices/AmazonEC2/us-east-1.json: %w", pricing.ErrPriceFile)
}

// TestLocalPricedAsAWS: the local dev environment is priced as its
// topology on AWS, east → us-east-1 and west → us-west-2, said in the bill.
//
// dev: shop active-active in east and west, desired 2 each, 3 zones each:
// ec2-instance per region 2 × 730 h × $0.02 = 29.20; aurora-instance 3 a
// region (one a zone) × 730 h × $0.26 = 569.40 a region; nat-gateway 3 a
// region × 32.85 = 98.55.
func TestLocalPricedAsAWS(t *testing.T) {
	topo := shipped(t, "dev")
	b := billOf(t, topo, testPrices)
	if b.Target != "local" || b.Mapping["east"] != "us-east-1" || b.Mapping["west"] != "us-west-2" || len(b.Mapping) != 2 {
		t.Errorf("target %s, mapping %v", b.Target, b.Mapping)
	}
	if b.On() != "on AWS as east → us-east-1, west → us-west-2" {
		t.Errorf("On = %q", b.On())
	}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		stack := "dev." + region
		sum := func(kind string) float64 {
			s := 0.0
			for _, l := range find(b, stack, kind) {
				s += l.MonthlyUSD
				if l.Region != region {
					t.Errorf("%s line in region %q", kind, l.Region)
				}
			}
			return s
		}
		for kind, want := range map[string]float64{"ec2-instance": 29.20, "aurora-instance": 569.40, "nat-gateway": 98.55} {
			if got := sum(kind); !near(got, want) {
				t.Errorf("%s %s = %.4f, want %.2f", stack, kind, got, want)
			}
		}
	}
}

func TestAsAWSMapping(t *testing.T) {
	topo := &topology.Topology{
		Environment: topology.Environment{Name: "x", Target: topology.TargetLocal},
		Regions:     []topology.Region{{Name: "central", Zones: 1}, {Name: "west", Zones: 3, Primary: true}, {Name: "east", Zones: 2}, {Name: "north", Zones: 2}},
		Services: []topology.Service{{Name: "s", Regions: []string{"central", "west", "east"},
			Backup: &topology.Backup{CopyTo: []string{"east"}}, Rollout: topology.Rollout{Canary: "central"}}},
	}
	a, m, err := AsAWS(topo)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"central": "eu-west-1", "west": "us-west-2", "east": "us-east-1", "north": "eu-central-1"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("mapping %v, want %v", m, want)
		}
	}
	s := a.Services[0]
	if a.Environment.Target != topology.TargetAWS || a.Regions[0].Name != "eu-west-1" || a.Regions[0].Zones != 2 ||
		strings.Join(s.Regions, ",") != "eu-west-1,us-west-2,us-east-1" || s.Backup.CopyTo[0] != "us-east-1" || s.Rollout.Canary != "eu-west-1" {
		t.Errorf("AsAWS = %+v", a)
	}
	if topo.Regions[0].Name != "central" || topo.Services[0].Backup.CopyTo[0] != "east" || topo.Regions[0].Zones != 1 {
		t.Errorf("AsAWS changed its argument: %+v", topo)
	}
	if note := AWSNote(topo); note != "AWS needs two zones a region: central: 1 zone(s) → 2" {
		t.Errorf("note = %q", note)
	}
}

// TestDiff: a line changed, one added, one removed; the delta is theirs.
func TestDiff(t *testing.T) {
	base := Bill{Lines: []Line{
		{Stack: "a", Service: "s", Kind: "ec2-instance", Resource: "g", Quantity: 1460, MonthlyUSD: 29.20},
		{Stack: "a", Service: "s", Kind: "alb", Resource: "lb", Quantity: 730, MonthlyUSD: 16.425},
		{Stack: "a", Kind: "nat-gateway", Resource: "n", Quantity: 730, MonthlyUSD: 32.85},
	}}
	head := Bill{Lines: []Line{
		{Stack: "a", Service: "s", Kind: "ec2-instance", Resource: "g", Quantity: 2920, MonthlyUSD: 58.40},
		{Stack: "a", Service: "s", Kind: "alb", Resource: "lb", Quantity: 730, MonthlyUSD: 16.425},
		{Stack: "b", Service: "s", Kind: "alb", Resource: "lb", Quantity: 730, MonthlyUSD: 16.425},
	}}
	d := Diff(base, head)
	// before 29.20 + 16.425 + 32.85 = 78.475; after 58.40 + 2 × 16.425 = 91.25; change +12.775
	if !near(d.BeforeUSD, 78.475) || !near(d.AfterUSD, 91.25) || !near(d.ChangeUSD, 12.775) {
		t.Errorf("delta = %+v", d)
	}
	if len(d.Lines) != 3 || d.Lines[0].Action() != "removed" || d.Lines[1].Action() != "changed" || d.Lines[2].Action() != "added" {
		t.Errorf("lines = %+v", d.Lines)
	}
	// s: 45.625 → 91.25 (+45.625); shared: 32.85 → 0
	if s, ok := d.Service("s"); !ok || !near(s.ChangeUSD, 45.625) {
		t.Errorf("service s = %+v", s)
	}
	if s, ok := d.Service(Shared); !ok || !near(s.ChangeUSD, -32.85) {
		t.Errorf("shared = %+v", s)
	}
}

func TestUSD(t *testing.T) {
	for x, want := range map[float64]string{0: "$0.00", 1234.567: "$1,234.57", 1234567.8: "$1,234,567.80", -12.5: "-$12.50"} {
		if got := USD(x); got != want {
			t.Errorf("USD(%v) = %s, want %s", x, got, want)
		}
	}
	if SignedUSD(3) != "+$3.00" || SignedUSD(-0.001) != "$0.00" {
		t.Errorf("SignedUSD")
	}
}
