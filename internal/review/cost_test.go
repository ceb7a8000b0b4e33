package review

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/pricing"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

// side plans, prices (from the shipped extract) and judges an
// environment's source as `bulwark plan --format json` would.
func pricedSide(t *testing.T, label, src string, c *pricing.Catalog) *Side {
	t.Helper()
	topo, err := (&topology.Loader{Root: "../.."}).Load("dev-standby.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := policies.Configure(topo)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := policies.FromPlan(topo, p)
	s, err := NewSide(label, p, policies.Evaluate(m, cfg), policies.Assess(m), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cost.Of(context.Background(), topo, p, plan.Options{}, c)
	if err != nil {
		t.Fatal(err)
	}
	s.Cost = &b
	return s
}

// TestHotStandbyToActiveActive: the review of a change of a service from
// hot-standby to active-active shows its monthly delta beside its
// availability and RTO/RPO, with the lines that cause it. From the
// shipped extract (pricing/aws):
//
//	internet-out us-east-1: 100 GB × $0.09 (AWSDataTransfer, DataTransfer-Out-Bytes
//	  first tier) = $9.00 → 50 GB × $0.09 = $4.50            -$4.50
//	internet-out us-west-2: added, 50 GB × $0.09 (USW2-...)  +$4.50
//	route53-queries: 1M × $0.40 (DNS-Queries: failover records) →
//	  1M × $0.60 (LBR-Queries: latency records)              +$0.20
//	route53-health-check-latency: 2 health checks × $1.00
//	  (Health-Check-Option-AWS), added                      +$2.00
//	                                                          = +$2.20
func TestHotStandbyToActiveActive(t *testing.T) {
	src, err := os.ReadFile("../cost/testdata/small.hcl")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pricing.Load("../../pricing/aws")
	if err != nil {
		t.Fatal(err)
	}
	base := pricedSide(t, "main", string(src), c)
	head := pricedSide(t, "change", strings.Replace(string(src), `mode  = "hot-standby"`, `mode  = "active-active"`, 1), c)
	r := Diff(base, head, nil)
	if r.Cost == nil || len(r.Cost.Lines) != 5 {
		t.Fatalf("cost change = %+v", r.Cost)
	}
	if d := r.Cost.ChangeUSD; d < 2.195 || d > 2.205 {
		t.Errorf("change = %.4f, want +2.20", d)
	}
	if len(r.Cost.Resilience) != 1 || r.Cost.Resilience[0].Service != "shop" || r.Cost.Resilience[0].Region.Before == nil ||
		r.Cost.Resilience[0].AvailabilityAfter == 0 {
		t.Fatalf("resilience = %+v", r.Cost.Resilience)
	}
	md := Markdown([]*Review{r})
	for _, want := range []string{
		"cost: $",            // in the summary line
		"**+$2.20**, +0.2%",  // the heading's change
		"| shop | $",         // the service's row: its cost, change, availability and RTO together
		"| **+$2.20** | 99.", // change beside the availability
		"| changed | `small.us-east-1` | internet-out | `traffic shop → internet` | $9.00 (100 GB × $0.09) | $4.50 (50 GB × $0.09) | -$4.50 |",
		"| added | `small.us-west-2` | internet-out |",
		"| changed | `small.global` | route53-queries | `queries shop.example.com` | $0.40 (1 million queries × $0.4) | $0.60 (1 million queries × $0.6) | +$0.20 |",
		"| added | `small.global` | route53-health-check-latency | `route53/healthCheck shop-us-east-1` | – | $1.00 (1 health-check-months × $1) | +$1.00 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
	row := md[strings.Index(md, "| shop | $"):]
	row = row[:strings.IndexByte(row, '\n')]
	if !strings.Contains(row, " → ") || strings.Count(row, "|") != 7 {
		t.Errorf("service row = %s", row)
	}
}

// TestBaseWithoutBill: a base planned by a bulwark that did not price
// plans counts every line as added, and says so.
func TestBaseWithoutBill(t *testing.T) {
	head := &Side{Label: "head", Cost: &cost.Bill{Lines: []cost.Line{{Stack: "e.r", Kind: "alb", Resource: "lb", MonthlyUSD: 16.425}}}}
	head.Environment, head.Target = "e", "aws"
	base := &Side{Label: "base"}
	base.Environment, base.Stacks = "e", []plan.StackGraph{{Stack: "e.r"}}
	r := Diff(base, head, nil)
	md := Markdown([]*Review{r})
	if r.Cost.BasePriced || !strings.Contains(md, "every line counts as added") || !strings.Contains(md, "$0.00 → $16.43") {
		t.Errorf("%+v\n%s", r.Cost, md)
	}
}
