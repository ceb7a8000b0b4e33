package drift

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/bulwark-dev/bulwark/internal/engine"
)

// Kinds of drift.
const (
	Changed = "changed" // properties differ
	Gone    = "gone"    // the resource no longer exists
)

// Report is the drift of an environment.
type Report struct {
	Environment string  `json:"environment"`
	Stacks      []Stack `json:"stacks"`
}

// Stack is one stack's drifted resources.
type Stack struct {
	Stack     string     `json:"stack"`
	Resources []Resource `json:"resources"`
}

// Resource is one drifted resource.
type Resource struct {
	URN        string     `json:"urn"`
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Properties []Property `json:"properties,omitempty"`
}

// Property is one property that differs: as recorded, and as read now.
type Property struct {
	Name     string `json:"name"`
	Recorded any    `json:"recorded"`
	Actual   any    `json:"actual"`
}

// Drifted reports whether anything differs.
func (r *Report) Drifted() bool {
	for _, s := range r.Stacks {
		if len(s.Resources) > 0 {
			return true
		}
	}
	return false
}

// Collector gathers the engine's refresh steps; Progress may be called
// from several stacks' operations at once.
type Collector struct {
	mu    sync.Mutex
	steps map[string]map[string]engine.Event // stack -> URN -> the step's last event
}

// Progress records an event.
func (c *Collector) Progress(e engine.Event) {
	if e.Kind != engine.EventStep && e.Kind != engine.EventStepDone {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.steps == nil {
		c.steps = map[string]map[string]engine.Event{}
	}
	if c.steps[e.Stack] == nil {
		c.steps[e.Stack] = map[string]engine.Event{}
	}
	prev, seen := c.steps[e.Stack][e.URN]
	if seen && len(e.Diffs) == 0 && e.New == nil && e.Op == prev.Op {
		return // keep the event that carries the comparison
	}
	c.steps[e.Stack][e.URN] = e
}

// Report builds the report of the stacks in order.
func (c *Collector) Report(env string, stacks []string) *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Report{Environment: env, Stacks: []Stack{}}
	for _, name := range stacks {
		s := Stack{Stack: name, Resources: []Resource{}}
		steps := c.steps[name]
		for _, urn := range slices.Sorted(maps.Keys(steps)) {
			e := steps[urn]
			if !e.Custom {
				continue // a component: nothing of it runs to differ
			}
			switch {
			case e.Op == "delete" || e.Op == "refresh" && e.Old != nil && e.New == nil && len(e.Diffs) == 0 && e.Kind == engine.EventStepDone:
				s.Resources = append(s.Resources, Resource{URN: urn, Type: e.Type, Name: e.Name, Kind: Gone})
			case e.Op == "update" || len(e.Diffs) > 0:
				props := properties(e)
				if len(props) == 0 && len(e.Diffs) == 0 {
					continue
				}
				s.Resources = append(s.Resources, Resource{URN: urn, Type: e.Type, Name: e.Name, Kind: Changed, Properties: props})
			}
		}
		r.Stacks = append(r.Stacks, s)
	}
	return r
}

// properties compares the recorded and the read outputs, top-level
// properties named by the engine's diff first, else every differing one.
func properties(e engine.Event) []Property {
	names := e.Diffs
	if len(names) == 0 {
		keys := map[string]bool{}
		for k := range e.Old {
			keys[k] = true
		}
		for k := range e.New {
			keys[k] = true
		}
		names = slices.Sorted(maps.Keys(keys))
	}
	var out []Property
	for _, n := range names {
		if strings.HasPrefix(n, "__") {
			continue // the engine's bookkeeping
		}
		before, after := e.Old[n], e.New[n]
		if reflect.DeepEqual(before, after) {
			continue
		}
		out = append(out, Property{Name: n, Recorded: before, Actual: after})
	}
	return out
}

// Text renders the report for a terminal.
func (r *Report) Text() string {
	var b strings.Builder
	if !r.Drifted() {
		fmt.Fprintf(&b, "No drift: every resource of %s is as its stack's state records it.\n", r.Environment)
		return b.String()
	}
	fmt.Fprintf(&b, "Drift in %s:\n", r.Environment)
	for _, s := range r.Stacks {
		if len(s.Resources) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", s.Stack)
		for _, res := range s.Resources {
			fmt.Fprintf(&b, "  %-7s %s %s\n", res.Kind, res.Type, res.Name)
			for _, p := range res.Properties {
				fmt.Fprintf(&b, "          %s: %s (recorded) -> %s (now)\n", p.Name, value(p.Recorded), value(p.Actual))
			}
		}
	}
	fmt.Fprintf(&b, "\n`bulwark up --env %s --refresh` puts back what the code declares.\n", r.Environment)
	return b.String()
}

// Markdown renders the report for an issue or a pull request.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Drift of `%s`\n\n", r.Environment)
	if !r.Drifted() {
		b.WriteString("No drift: every resource is as its stack's state records it.\n")
		return b.String()
	}
	b.WriteString("| stack | resource | type | drift | property | recorded | now |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range r.Stacks {
		for _, res := range s.Resources {
			if len(res.Properties) == 0 {
				fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s | | | |\n", s.Stack, res.Name, res.Type, res.Kind)
			}
			for _, p := range res.Properties {
				fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s | `%s` | `%s` | `%s` |\n", s.Stack, res.Name, res.Type, res.Kind, p.Name, value(p.Recorded), value(p.Actual))
			}
		}
	}
	return b.String()
}

func value(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
