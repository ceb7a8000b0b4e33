package policies

import (
	"strings"
	"testing"
)

// TestBudget: the budget policy fails above monthly_usd and says by how
// much, passes at or below it, finds nothing without a budget or a bill,
// and is advisory unless the environment says mandatory.
func TestBudget(t *testing.T) {
	withBudget := func(block string) string { return good + block }
	cases := []struct {
		name, block string
		spend       *Spend
		want        string // a finding's text; "" for none
		enforcement Enforcement
	}{
		// 1,464.40 - 1,000 = 464.40 over; 464.40 / 1,000 = 46.44% → "46%"
		{"over", "policy \"budget\" {\n  monthly_usd = 1000\n}\n", &Spend{MonthlyUSD: 1464.40, Basis: "on AWS"},
			"the plan costs $1464.40 a month on AWS, $464.40 over the budget of $1000 (46% over)", Advisory},
		{"over, mandatory", "policy \"budget\" {\n  enforcement = \"mandatory\"\n  monthly_usd = 1400\n}\n", &Spend{MonthlyUSD: 1464.40, Basis: "on AWS"},
			"$64.40 over the budget of $1400", Mandatory},
		{"at the budget", "policy \"budget\" {\n  monthly_usd = 1500\n}\n", &Spend{MonthlyUSD: 1500}, "", Advisory},
		{"under", "policy \"budget\" {\n  monthly_usd = 2000\n}\n", &Spend{MonthlyUSD: 1464.40}, "", Advisory},
		{"no budget", "", &Spend{MonthlyUSD: 1e6}, "", Advisory},
		{"not priced", "policy \"budget\" {\n  monthly_usd = 10\n}\n", nil, "", Advisory},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, cfg := model(t, "budget.hcl", withBudget(c.block))
			m.Spend = c.spend
			results := Evaluate(m, cfg)
			var r Result
			for _, x := range results {
				if x.Policy == "budget" {
					r = x
				}
			}
			if r.Enforcement != c.enforcement {
				t.Errorf("enforcement %s, want %s", r.Enforcement, c.enforcement)
			}
			switch {
			case c.want == "" && len(r.Findings) > 0:
				t.Errorf("findings %+v, want none", r.Findings)
			case c.want != "" && (len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, c.want)):
				t.Errorf("findings %+v, want %q", r.Findings, c.want)
			case c.want != "" && r.Findings[0].Range.Start.Line == 0:
				t.Errorf("finding has no line: %+v", r.Findings[0])
			}
			if c.enforcement == Mandatory && len(MandatoryFindings(results)) == 0 {
				t.Errorf("a mandatory budget's finding does not stop a deployment")
			}
		})
	}
}
