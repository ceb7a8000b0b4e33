package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/plan"
)

// Actions a change takes, as the engine would name them.
const (
	Create  = "create"
	Update  = "update"
	Replace = "replace"
	Delete  = "delete"
)

// Review is the difference between two sides of one environment.
type Review struct {
	Environment string            `json:"environment"`
	Target      string            `json:"target"`
	Base        string            `json:"base"`
	Head        string            `json:"head"`
	Stacks      []StackDiff       `json:"stacks"`
	Policies    PolicyDiff        `json:"policies"`
	Estimates   []EstimateChange  `json:"estimates"`
	Images      []ImageChange     `json:"images,omitempty"`
	Cost        *CostChange       `json:"cost,omitempty"`
	Notes       []string          `json:"notes,omitempty"` // what the head could not plan
	Live        map[string]string `json:"live,omitempty"`  // stack -> the engine's preview, when asked for
}

// StackDiff is one stack's changes.
type StackDiff struct {
	Stack string `json:"stack"`
	// Status is "added" or "removed" for a whole stack, else empty.
	Status    string   `json:"status,omitempty"`
	Changes   []Change `json:"changes"`
	Unchanged int      `json:"unchanged"`
}

// Change is what happens to one resource.
type Change struct {
	Action string        `json:"action"`
	URN    string        `json:"urn"`
	Type   string        `json:"type"`
	Name   string        `json:"name"`
	Inputs []InputChange `json:"inputs,omitempty"`
	// ReplacementUnknown says the review does not know which inputs
	// replace a resource of the type (an update may be a replacement).
	ReplacementUnknown bool `json:"-"`
}

// ReplaceKeys are, for a resource type, the inputs whose change makes its
// provider replace the resource; known is false for a type the target
// does not know (each target says: target.Target.ReplaceKeys).
type ReplaceKeys func(typ string) (keys []string, known bool)

// InputChange is one changed input path. Before and After are absent for
// secrets and when the path is new or gone.
type InputChange struct {
	Path              string `json:"path"`
	Before            any    `json:"before,omitempty"`
	After             any    `json:"after,omitempty"`
	Secret            bool   `json:"secret,omitempty"`
	ForcesReplacement bool   `json:"forces_replacement,omitempty"`
}

// PolicyDiff lists the findings the head adds and those it fixes.
type PolicyDiff struct {
	New   []Violation `json:"new"`
	Fixed []Violation `json:"fixed"`
	// Remaining counts findings both sides have.
	Remaining int `json:"remaining"`
}

// Violation is one policy finding.
type Violation struct {
	Policy      string `json:"policy"`
	Enforcement string `json:"enforcement"`
	Message     string `json:"message"`
}

// EstimateChange is an RTO/RPO estimate that differs between the sides;
// Before or After is nil when the service or disruption is new or gone.
type EstimateChange struct {
	Service    string    `json:"service"`
	Disruption string    `json:"disruption"`
	Before     *Estimate `json:"before"`
	After      *Estimate `json:"after"`
}

// ImageChange is an image manifest that differs between the sides.
type ImageChange struct {
	Image       string        `json:"image"`
	BuildBefore string        `json:"build_before"`
	BuildAfter  string        `json:"build_after"`
	Regions     []RegionImage `json:"regions"`
	// SameBuild is false when a region keeps an image of another build.
	SameBuild bool `json:"same_build"`
}

// RegionImage is one region's image before and after.
type RegionImage struct {
	Region string `json:"region"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Counts sums the changes of every stack by action.
func (r *Review) Counts() map[string]int {
	n := map[string]int{}
	for _, s := range r.Stacks {
		for _, c := range s.Changes {
			n[c.Action]++
		}
	}
	return n
}

// Empty reports whether nothing differs.
func (r *Review) Empty() bool {
	for _, s := range r.Stacks {
		if len(s.Changes) > 0 || s.Status != "" {
			return false
		}
	}
	return len(r.Policies.New) == 0 && len(r.Policies.Fixed) == 0 && len(r.Estimates) == 0 && len(r.Images) == 0 &&
		(r.Cost == nil || len(r.Cost.Lines) == 0)
}

// Diff compares the base side with the head side; replace says which
// inputs replace a resource of a type (nil: none is known).
func Diff(base, head *Side, replace ReplaceKeys) *Review {
	if replace == nil {
		replace = func(string) ([]string, bool) { return nil, false }
	}
	r := &Review{Environment: head.Environment, Target: head.Target, Base: base.Label, Head: head.Label}
	r.Stacks = diffStacks(base.Stacks, head.Stacks, replace)
	r.Policies = diffPolicies(base, head)
	r.Estimates = diffEstimates(base, head)
	r.Images = diffImages(base.Images, head.Images)
	r.Cost = diffCost(base, head)
	r.Notes = head.Notes
	return r
}

func diffStacks(base, head []plan.StackGraph, replace ReplaceKeys) []StackDiff {
	before := map[string]plan.StackGraph{}
	for _, s := range base {
		before[s.Stack] = s
	}
	var out []StackDiff
	seen := map[string]bool{}
	for _, h := range head {
		seen[h.Stack] = true
		b, had := before[h.Stack]
		d := diffResources(h.Stack, b.Resources, h.Resources, replace)
		if !had {
			d.Status = "added"
		}
		out = append(out, d)
	}
	for _, b := range base {
		if !seen[b.Stack] {
			d := diffResources(b.Stack, b.Resources, nil, replace)
			d.Status = "removed"
			out = append(out, d)
		}
	}
	return out
}

func diffResources(stack string, base, head []plan.Resource, replace ReplaceKeys) StackDiff {
	d := StackDiff{Stack: stack, Changes: []Change{}}
	before := map[string]plan.Resource{}
	for _, r := range base {
		before[r.URN] = r
	}
	seen := map[string]bool{}
	for _, h := range head {
		seen[h.URN] = true
		b, had := before[h.URN]
		if !had {
			d.Changes = append(d.Changes, Change{Action: Create, URN: h.URN, Type: h.Type, Name: h.Name})
			continue
		}
		keys, known := replace(h.Type)
		inputs := diffInputs(keys, b.Inputs, h.Inputs)
		if len(inputs) == 0 {
			d.Unchanged++
			continue
		}
		action := Update
		if slices.ContainsFunc(inputs, func(c InputChange) bool { return c.ForcesReplacement }) {
			action = Replace
		}
		d.Changes = append(d.Changes, Change{Action: action, URN: h.URN, Type: h.Type, Name: h.Name, Inputs: inputs, ReplacementUnknown: !known})
	}
	for _, b := range base {
		if !seen[b.URN] {
			d.Changes = append(d.Changes, Change{Action: Delete, URN: b.URN, Type: b.Type, Name: b.Name})
		}
	}
	return d
}

// secretName matches input names that hold secrets whatever their value.
var secretName = regexp.MustCompile(`(?i)(password|passwd|secret|token|private_?key|credential)`)

// secretValue is how a plan shows a value Pulumi marks secret.
const secretValue = "[secret]"

// diffInputs compares two input maps path by path; a change under one of
// replaceKeys forces a replacement.
func diffInputs(replaceKeys []string, base, head map[string]any) []InputChange {
	before, after := map[string]any{}, map[string]any{}
	flatten("", base, before)
	flatten("", head, after)
	paths := map[string]bool{}
	for p := range before {
		paths[p] = true
	}
	for p := range after {
		paths[p] = true
	}
	replaces := map[string]bool{}
	for _, k := range replaceKeys {
		replaces[k] = true
	}
	var out []InputChange
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		b, hadB := before[p]
		a, hadA := after[p]
		if hadA == hadB && reflect.DeepEqual(a, b) {
			continue
		}
		c := InputChange{Path: p, ForcesReplacement: replaces[topKey(p)]}
		if b == secretValue || a == secretValue || secretName.MatchString(p) {
			c.Secret = true
		} else {
			c.Before, c.After = b, a
		}
		out = append(out, c)
	}
	return out
}

// flatten writes each leaf of v under its path: a.b, a[0].c.
func flatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 && prefix != "" {
			out[prefix] = x
		}
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		if len(x) == 0 {
			out[prefix] = x
		}
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	default:
		out[prefix] = v
	}
}

// topKey is a path's first segment: the resource's own input name.
func topKey(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

func violations(s *Side) map[string]Violation {
	out := map[string]Violation{}
	for _, r := range s.Policies {
		for _, f := range r.Findings {
			v := Violation{Policy: r.Policy, Enforcement: string(f.Enforcement), Message: f.Message}
			out[v.Policy+"\x00"+v.Message] = v
		}
	}
	return out
}

func diffPolicies(base, head *Side) PolicyDiff {
	before, after := violations(base), violations(head)
	d := PolicyDiff{New: []Violation{}, Fixed: []Violation{}}
	for k, v := range after {
		if _, ok := before[k]; ok {
			d.Remaining++
		} else {
			d.New = append(d.New, v)
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			d.Fixed = append(d.Fixed, v)
		}
	}
	byPolicy := func(s []Violation) {
		sort.Slice(s, func(i, j int) bool {
			return s[i].Policy < s[j].Policy || s[i].Policy == s[j].Policy && s[i].Message < s[j].Message
		})
	}
	byPolicy(d.New)
	byPolicy(d.Fixed)
	return d
}

func diffEstimates(base, head *Side) []EstimateChange {
	key := func(e Estimate) string { return e.Service + "\x00" + e.Disruption }
	before := map[string]*Estimate{}
	for i := range base.Assessment.Estimates {
		before[key(base.Assessment.Estimates[i])] = &base.Assessment.Estimates[i]
	}
	var out []EstimateChange
	seen := map[string]bool{}
	for i := range head.Assessment.Estimates {
		a := &head.Assessment.Estimates[i]
		seen[key(*a)] = true
		b := before[key(*a)]
		if b != nil && reflect.DeepEqual(*a, *b) {
			continue
		}
		out = append(out, EstimateChange{Service: a.Service, Disruption: a.Disruption, Before: b, After: a})
	}
	for i := range base.Assessment.Estimates {
		b := &base.Assessment.Estimates[i]
		if !seen[key(*b)] {
			out = append(out, EstimateChange{Service: b.Service, Disruption: b.Disruption, Before: b})
		}
	}
	return out
}

func diffImages(base, head map[string]*imagemanifest.Manifest) []ImageChange {
	names := map[string]bool{}
	for n := range base {
		names[n] = true
	}
	for n := range head {
		names[n] = true
	}
	var out []ImageChange
	for _, name := range slices.Sorted(maps.Keys(names)) {
		b, h := base[name], head[name]
		if b == nil {
			b = &imagemanifest.Manifest{}
		}
		if h == nil {
			h = &imagemanifest.Manifest{}
		}
		if reflect.DeepEqual(b, h) {
			continue
		}
		c := ImageChange{Image: name, BuildBefore: b.Build, BuildAfter: h.Build, SameBuild: true}
		regions := map[string]bool{}
		for r := range b.Regions {
			regions[r] = true
		}
		for r := range h.Regions {
			regions[r] = true
		}
		for _, r := range slices.Sorted(maps.Keys(regions)) {
			c.Regions = append(c.Regions, RegionImage{Region: r, Before: b.Regions[r], After: h.Regions[r]})
			// a new build that leaves a region's image as it was leaves that region on the old build
			if h.Build != b.Build && b.Build != "" && h.Regions[r] != "" && h.Regions[r] == b.Regions[r] {
				c.SameBuild = false
			}
		}
		if b.Container != h.Container {
			c.Regions = append(c.Regions, RegionImage{Region: "container", Before: b.Container, After: h.Container})
		}
		out = append(out, c)
	}
	return out
}

// compact renders a value for a table cell.
func compact(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
