package policies

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// Spend is what the plan would cost a month, as the caller's bill
// (internal/cost) says: the policies take the figure, not the bill.
type Spend struct {
	MonthlyUSD float64
	// Basis says what the figure is of ("on AWS", "on AWS as east → us-east-1, ...").
	Basis string
}

// budgetPolicy fails when the plan's monthly cost exceeds monthly_usd.
func budgetPolicy() Policy {
	return Policy{
		ID: "budget", Description: "the plan's monthly cost stays within the environment's budget (monthly_usd; 0: no budget)",
		Enforcement: Advisory, Remediation: "lower the plan's cost (capacity, instance sizes, regions) or raise monthly_usd; enforcement = \"mandatory\" makes up refuse it",
		Params: []Param{{Name: "monthly_usd", Default: cty.NumberIntVal(0), Description: "the most the environment may cost a month, in US dollars (0: no budget)"}},
		Check:  checkBudget, ResourceLevel: true,
	}
}

func checkBudget(m *Model, p Params) []Finding {
	budget := float64(p.Int("monthly_usd"))
	if budget <= 0 || m.Spend == nil || m.Spend.MonthlyUSD <= budget {
		return nil
	}
	over := m.Spend.MonthlyUSD - budget
	f := Finding{Message: fmt.Sprintf("the plan costs $%.2f a month %s, $%.2f over the budget of $%.0f (%.0f%% over)",
		m.Spend.MonthlyUSD, m.Spend.Basis, over, budget, 100*over/budget)}
	for _, pc := range m.Topology.Policies {
		if pc.ID == "budget" {
			f.Range = pc.DeclRange
			if v, ok := pc.Params["monthly_usd"]; ok {
				f.Range = v.Range
			}
		}
	}
	return f.only()
}

func (f Finding) only() []Finding { return []Finding{f} }
