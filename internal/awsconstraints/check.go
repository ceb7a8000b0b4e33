package awsconstraints

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// Violation is one rule a planned resource breaks.
type Violation struct {
	Stack string `json:"stack"`
	// URN and Type are the resource's; for a data source read, URN is
	// empty and Type is the data source's token.
	URN     string `json:"urn,omitempty"`
	Type    string `json:"type"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Source is the AWS page that states the rule.
	Source string `json:"source"`
}

func (v Violation) String() string {
	where := v.URN
	if where == "" {
		where = v.Type
	}
	return fmt.Sprintf("%s %s: [%s] %s (%s)", v.Stack, where, v.Rule, v.Message, v.Source)
}

// Rule is one constraint AWS states.
type Rule struct {
	ID      string
	Summary string
	// Source is the page that states it.
	Source string
	// Types are the resource types it judges; none: it judges the plan
	// as a whole (plan).
	Types []string
	check func(ix *index, r subject) []string
	plan  func(ix *index) []Violation
}

// Rules are every rule, in ID order.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Check runs every rule over a plan's pulumi-aws resources, in the order
// of stacks, resources and rules.
func Check(p *plan.Plan) []Violation {
	ix := newIndex(p)
	var out []Violation
	for _, rule := range Rules() {
		types := map[string]bool{}
		for _, t := range rule.Types {
			types[t] = true
		}
		if rule.check != nil {
			for _, r := range ix.all {
				if !types[r.Type] && !(len(types) == 0 && strings.HasPrefix(r.Type, "aws:")) {
					continue
				}
				for _, msg := range rule.check(ix, r) {
					out = append(out, Violation{Stack: r.Stack, URN: r.URN, Type: r.Type, Rule: rule.ID, Message: msg, Source: rule.Source})
				}
			}
		}
		if rule.plan != nil {
			for _, v := range rule.plan(ix) {
				v.Rule, v.Source = rule.ID, rule.Source
				out = append(out, v)
			}
		}
	}
	order := map[string]int{}
	for i, s := range p.Stacks {
		order[s.Stack] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Stack != b.Stack {
			return order[a.Stack] < order[b.Stack]
		}
		if a.URN != b.URN {
			return a.URN < b.URN
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
	return out
}

// subject is a resource of a stack.
type subject struct {
	Stack string
	plan.Resource
}

// index finds resources and data-source answers across the whole plan (a
// global stack names regional resources by value).
type index struct {
	all     []subject
	byValue map[string]subject // a resource's ID, ARN and DNS name
	// zoneNames maps a hosted zone ID to its name, from the getZone reads.
	zoneNames map[string]string
	invokes   []invokeAt
}

type invokeAt struct {
	Stack string
	plan.Invoke
}

func newIndex(p *plan.Plan) *index {
	ix := &index{byValue: map[string]subject{}, zoneNames: map[string]string{}}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			sub := subject{Stack: s.Stack, Resource: r}
			ix.all = append(ix.all, sub)
			if !strings.HasPrefix(r.Type, "aws:") {
				continue
			}
			for _, v := range []string{r.ID, sub.out("arn"), sub.out("dnsName")} {
				if v != "" {
					ix.byValue[v] = sub
				}
			}
		}
		for _, inv := range s.Invokes {
			ix.invokes = append(ix.invokes, invokeAt{Stack: s.Stack, Invoke: inv})
			if inv.Token == "aws:route53/getZone:getZone" {
				if id, name := str(inv.Result, "zoneId"), str(inv.Result, "name"); id != "" {
					ix.zoneNames[id] = strings.TrimSuffix(name, ".")
				}
			}
		}
	}
	return ix
}

// lookup is the planned resource a value (an ID, an ARN) names.
func (ix *index) lookup(v string) (subject, bool) {
	s, ok := ix.byValue[v]
	return s, ok
}

// ofType are the plan's resources of a type.
func (ix *index) ofType(t string) []subject {
	var out []subject
	for _, r := range ix.all {
		if r.Type == t {
			out = append(out, r)
		}
	}
	return out
}

// in is an input by path ("healthCheck", "interval").
func (r subject) in(path ...string) any { return get(r.Inputs, path...) }

// out is a computed output string.
func (r subject) out(k string) string { return str(r.Outputs, k) }

// name is the resource's physical name: its input, else what AWS or
// Terraform generated (from a name prefix).
func (r subject) name(field string) string {
	if v := str(r.Inputs, field); v != "" {
		return v
	}
	return str(r.Outputs, field)
}

func get(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	if s == plan.Unknown || s == plan.Secret {
		return ""
	}
	return s
}

// num is a number input; ok is false when it is unset or not a number.
func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func list(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func strs(v any) []string {
	var out []string
	for _, e := range list(v) {
		if s, ok := e.(string); ok && s != plan.Unknown && s != plan.Secret {
			out = append(out, s)
		}
	}
	return out
}

func truthy(v any) bool { return v == true || v == "true" }

// inRange reports a number outside [min, max] ("" when it is inside or unset).
func inRange(what string, v any, min, max float64) string {
	f, ok := num(v)
	if !ok || (f >= min && f <= max) {
		return ""
	}
	return fmt.Sprintf("%s is %s; AWS accepts %s to %s", what, fmtNum(f), fmtNum(min), fmtNum(max))
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(f)
}

// msgs drops the empty messages.
func msgs(ms ...string) []string {
	var out []string
	for _, m := range ms {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

// nameRule checks a name against a length range and a pattern described
// in words.
func nameRule(what, name string, min, max int, pattern *regexp.Regexp, describe string) string {
	switch {
	case name == "":
		return ""
	case len(name) < min || len(name) > max:
		return fmt.Sprintf("%s %q has %d characters; AWS accepts %d to %d", what, name, len(name), min, max)
	case pattern != nil && !pattern.MatchString(name):
		return fmt.Sprintf("%s %q: %s", what, name, describe)
	}
	return ""
}

// arnRE finds ARNs in any string (an ID, a policy document, a JSON body).
var arnRE = regexp.MustCompile(`arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}|aws)?:[A-Za-z0-9_+=,.@:/!*#$%&'()\-]+`)

// regionalHostRE finds DNS names that carry a region
// (<...>.<region>.amazonaws.com, <...>.elb.<region>.amazonaws.com,
// <...>.dkr.ecr.<region>.amazonaws.com).
var regionalHostRE = regexp.MustCompile(`[a-z0-9-]+(?:\.[a-z0-9-]+)*?\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9])(?:\.[a-z0-9-]+)*\.amazonaws\.com`)

// arnRegion is an ARN's region ("" for a global one or no ARN).
func arnRegion(arn string) string {
	m := arnRE.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[2]
}

// hostRegion is the region a DNS name carries ("" for none).
func hostRegion(host string) string {
	m := regionalHostRE.FindStringSubmatch(host)
	if m == nil {
		return ""
	}
	return m[1]
}
