package review

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Marker starts every review comment, so a workflow finds and updates its
// own comment instead of adding another.
const Marker = "<!-- bulwark-review -->"

var actionMark = map[string]string{Create: "+ create", Update: "~ update", Replace: "± replace", Delete: "- delete"}

// Markdown renders reviews of one or more environments as one comment.
func Markdown(reviews []*Review) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	if len(reviews) == 0 {
		b.WriteString("### bulwark review\n\nNo environment is touched by this change.\n")
		return b.String()
	}
	for i, r := range reviews {
		if i > 0 {
			b.WriteString("\n---\n\n")
		}
		r.markdown(&b)
	}
	return b.String()
}

func (r *Review) summary() string {
	n := r.Counts()
	parts := []string{fmt.Sprintf("**%d to create, %d to update, %d to replace, %d to delete**", n[Create], n[Update], n[Replace], n[Delete])}
	parts = append(parts, fmt.Sprintf("policies: %d new %s, %d fixed", len(r.Policies.New), plural(len(r.Policies.New), "violation"), len(r.Policies.Fixed)))
	parts = append(parts, fmt.Sprintf("RTO/RPO: %d %s changed", len(r.Estimates), plural(len(r.Estimates), "estimate")))
	if len(r.Images) > 0 {
		parts = append(parts, fmt.Sprintf("images: %d changed", len(r.Images)))
	}
	if r.Cost != nil {
		parts = append(parts, r.Cost.summary())
	}
	return strings.Join(parts, " · ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func (r *Review) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "### bulwark review: `%s` (%s), %s → %s\n\n", r.Environment, r.Target, r.Base, r.Head)
	if r.Empty() {
		b.WriteString("No change to the infrastructure, the policies or the RTO/RPO assessment.\n")
		for _, n := range r.Notes {
			fmt.Fprintf(b, "\n> %s\n", n)
		}
		r.writeLive(b)
		return
	}
	b.WriteString(r.summary() + "\n")
	for _, n := range r.Notes {
		fmt.Fprintf(b, "\n> %s\n", n)
	}
	for _, s := range r.Stacks {
		if len(s.Changes) == 0 && s.Status == "" {
			continue
		}
		n := map[string]int{}
		for _, c := range s.Changes {
			n[c.Action]++
		}
		var counts []string
		for _, a := range []string{Create, Update, Replace, Delete} {
			if n[a] > 0 {
				counts = append(counts, fmt.Sprintf("%d to %s", n[a], a))
			}
		}
		status := ""
		if s.Status != "" {
			status = fmt.Sprintf(" (stack %s)", s.Status)
		}
		fmt.Fprintf(b, "\n#### `%s`%s: %s, %d unchanged\n\n", s.Stack, status, strings.Join(counts, ", "), s.Unchanged)
		b.WriteString("| change | resource | type | inputs |\n| --- | --- | --- | --- |\n")
		for _, c := range s.Changes {
			fmt.Fprintf(b, "| %s | `%s` | `%s` | %s |\n", actionMark[c.Action], c.Name, c.Type, inputSummary(c))
		}
		var detailed []Change
		for _, c := range s.Changes {
			if len(c.Inputs) > 0 {
				detailed = append(detailed, c)
			}
		}
		if len(detailed) == 0 {
			continue
		}
		b.WriteString("\n<details><summary>Input changes</summary>\n\n")
		for _, c := range detailed {
			fmt.Fprintf(b, "`%s` (`%s`), %s\n\n| input | before | after |\n| --- | --- | --- |\n", c.Name, c.Type, c.Action)
			for _, in := range c.Inputs {
				before, after := "`"+escape(compact(in.Before))+"`", "`"+escape(compact(in.After))+"`"
				if in.Secret {
					before, after = "*(secret)*", "*(secret, changed)*"
				}
				path := "`" + in.Path + "`"
				if in.ForcesReplacement {
					path += " (forces replacement)"
				}
				fmt.Fprintf(b, "| %s | %s | %s |\n", path, before, after)
			}
			b.WriteString("\n")
		}
		b.WriteString("</details>\n")
	}
	if len(r.Policies.New)+len(r.Policies.Fixed) > 0 {
		b.WriteString("\n#### Policies\n\n| | enforcement | policy | finding |\n| --- | --- | --- | --- |\n")
		for _, v := range r.Policies.New {
			fmt.Fprintf(b, "| new | %s | `%s` | %s |\n", v.Enforcement, v.Policy, escape(v.Message))
		}
		for _, v := range r.Policies.Fixed {
			fmt.Fprintf(b, "| fixed | %s | `%s` | %s |\n", v.Enforcement, v.Policy, escape(v.Message))
		}
	}
	if len(r.Estimates) > 0 {
		b.WriteString("\n#### RTO/RPO\n\n| service | disruption | RTO | RPO | target | meets it | service's monthly cost |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, e := range r.Estimates {
			target, met := "none", "yes"
			if e.After != nil && e.After.Target != nil {
				target = fmt.Sprintf("%s / %s", seconds(e.After.Target.RTOSeconds, false), seconds(e.After.Target.RPOSeconds, false))
			}
			if e.After != nil && !e.After.Met {
				met = "**no**"
			}
			if e.After == nil {
				met = "(gone)"
			}
			fmt.Fprintf(b, "| %s | %s | %s → %s | %s → %s | %s | %s | %s |\n", e.Service, e.Disruption,
				rto(e.Before), rto(e.After), rpo(e.Before), rpo(e.After), target, met, r.costOf(e.Service))
		}
	}
	if r.Cost != nil {
		r.Cost.markdown(b)
	}
	for _, img := range r.Images {
		fmt.Fprintf(b, "\n#### Image `%s`: build %s → %s\n\n", img.Image, orNone(img.BuildBefore), orNone(img.BuildAfter))
		if !img.SameBuild {
			b.WriteString("**Not every region gets the same build:** a region keeps its image while the build changes.\n\n")
		}
		b.WriteString("| region | before | after |\n| --- | --- | --- |\n")
		for _, ri := range img.Regions {
			mark := ""
			if ri.Before == ri.After {
				mark = " (unchanged)"
			}
			fmt.Fprintf(b, "| %s | `%s` | `%s`%s |\n", ri.Region, orNone(ri.Before), orNone(ri.After), mark)
		}
	}
	r.writeLive(b)
}

func (r *Review) writeLive(b *strings.Builder) {
	for _, stack := range slices.Sorted(maps.Keys(r.Live)) {
		text := r.Live[stack]
		fmt.Fprintf(b, "\n<details><summary>Engine preview of <code>%s</code> against its state</summary>\n\n```\n%s\n```\n</details>\n", stack, strings.TrimSpace(text))
	}
}

// inputSummary names the changed inputs in a table cell.
func inputSummary(c Change) string {
	if len(c.Inputs) == 0 {
		return ""
	}
	seen := map[string]bool{}
	var names []string
	for _, in := range c.Inputs {
		k := topKey(in.Path)
		if seen[k] {
			continue
		}
		seen[k] = true
		name := "`" + k + "`"
		if in.ForcesReplacement {
			name += " (forces replacement)"
		}
		names = append(names, name)
	}
	if len(names) > 6 {
		names = append(names[:6], fmt.Sprintf("and %d more", len(names)-6))
	}
	if c.ReplacementUnknown && c.Action == Update {
		names = append(names, "(whether it replaces is unknown for this type)")
	}
	return strings.Join(names, ", ")
}

func rto(e *Estimate) string {
	if e == nil {
		return "–"
	}
	return seconds(e.RTOSeconds, e.Unrecoverable)
}

func rpo(e *Estimate) string {
	if e == nil {
		return "–"
	}
	return seconds(e.RPOSeconds, e.Unrecoverable)
}

func seconds(s float64, unrecoverable bool) string {
	if unrecoverable {
		return "unrecoverable"
	}
	if s >= 120 {
		return fmt.Sprintf("%gm", s/60)
	}
	return fmt.Sprintf("%gs", s)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// escape keeps a value from breaking a table row.
func escape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}
