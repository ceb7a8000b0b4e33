package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/review"
)

// allowDataLossFlag is the flag of `up` that applies a change that would
// destroy data.
const allowDataLossFlag = "allow-data-loss"

// reviewDataLoss is what the change a review compares would destroy: each
// deleted, replaced or updated resource of the review as a step from the
// base side's resource to the head side's (plan.DataLosses).
func reviewDataLoss(base, head *review.Side, rv *review.Review) []plan.DataLoss {
	before, after := resourcesByStack(base), resourcesByStack(head)
	var steps []plan.Step
	for _, s := range rv.Stacks {
		for _, c := range s.Changes {
			was, will := before[s.Stack][c.URN], after[s.Stack][c.URN]
			region := was.Region
			if region == "" {
				region = will.Region
			}
			steps = append(steps, plan.Step{Stack: s.Stack, Op: c.Action, URN: c.URN, Type: c.Type, Name: c.Name, Region: region, Old: was.Inputs, New: will.Inputs})
		}
	}
	return plan.DataLosses(steps)
}

func resourcesByStack(s *review.Side) map[string]map[string]plan.Resource {
	out := map[string]map[string]plan.Resource{}
	for _, g := range s.Stacks {
		out[g.Stack] = map[string]plan.Resource{}
		for _, r := range g.Resources {
			out[g.Stack][r.URN] = r
		}
	}
	return out
}

// reviewed is one environment's review and the data its change would
// destroy, as `review --format json` writes it.
type reviewed struct {
	*review.Review
	DataLoss []plan.DataLoss `json:"data_loss"`
}

// reviewMarkdown is the review comment: the data the change would destroy
// first, then each environment's review.
func reviewMarkdown(reviews []reviewed) string {
	var losses []plan.DataLoss
	plain := make([]*review.Review, len(reviews))
	for i, r := range reviews {
		losses = append(losses, r.DataLoss...)
		plain[i] = r.Review
	}
	md := review.Markdown(plain)
	if len(losses) == 0 {
		return md
	}
	return review.Marker + "\n" + dataLossMarkdown(losses) + "\n" + strings.TrimPrefix(md, review.Marker+"\n")
}

var lossMark = map[string]string{plan.LossDelete: "- delete", plan.LossReplace: "± replace", plan.LossUpdate: "~ update"}

// dataLossMarkdown is the warning block of a review comment.
func dataLossMarkdown(losses []plan.DataLoss) string {
	var b strings.Builder
	b.WriteString("### Data that this change would destroy\n\n")
	fmt.Fprintf(&b, "> [!WARNING]\n> This change deletes or replaces %s holding data. `bulwark up` refuses to apply it unless run with `--%s`.\n\n",
		resources(len(losses)), allowDataLossFlag)
	b.WriteString("| stack | change | resource | type | what would be lost |\n| --- | --- | --- | --- | --- |\n")
	for _, l := range losses {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | `%s` | %s |\n", l.Stack, lossMark[l.Op], l.Name, l.Type, markdownCell(l.Lost))
	}
	return b.String()
}

// writeDataLossText lists the losses as text, a line each.
func writeDataLossText(w io.Writer, losses []plan.DataLoss) {
	for _, l := range losses {
		fmt.Fprintf(w, "  %-16s %-8s %s %s: %s\n", l.Stack, l.Op, l.Type, l.Name, l.Lost)
	}
}

// resources counts resources in words: "1 resource", "3 resources".
func resources(n int) string {
	if n == 1 {
		return "1 resource"
	}
	return fmt.Sprintf("%d resources", n)
}

// markdownCell keeps a value from breaking a table row.
func markdownCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
