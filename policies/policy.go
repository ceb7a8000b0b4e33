package policies

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Enforcement says what a violation does.
type Enforcement string

const (
	// Mandatory violations stop plan (exit 1) and up (nothing deployed).
	Mandatory Enforcement = "mandatory"
	// Advisory violations are reported only.
	Advisory Enforcement = "advisory"
	// Disabled policies are not evaluated.
	Disabled Enforcement = "disabled"
)

// Param is a policy parameter with its default.
type Param struct {
	Name        string
	Default     cty.Value // its type is the parameter's type
	Description string
}

// Policy is one redundancy policy.
type Policy struct {
	ID          string
	Description string
	Enforcement Enforcement // the default
	Remediation string
	Params      []Param
	// Check returns the policy's violations in the model.
	Check func(m *Model, p Params) []Finding
	// ResourceLevel policies judge the graph's resources directly; the others
	// need the target's adapter (Model.Adapted).
	ResourceLevel bool
}

// Params are a policy's parameter values in one environment.
type Params map[string]cty.Value

// Int reads an integer parameter.
func (p Params) Int(name string) int {
	v, _ := p[name].AsBigFloat().Int64()
	return int(v)
}

// Duration reads a duration parameter (a string such as "7d").
func (p Params) Duration(name string) time.Duration {
	d, _ := topology.ParseDuration(p[name].AsString())
	return d
}

// Strings reads a list-of-strings parameter.
func (p Params) Strings(name string) []string {
	var out []string
	for it := p[name].ElementIterator(); it.Next(); {
		_, v := it.Element()
		out = append(out, v.AsString())
	}
	return out
}

// Finding is one violation.
type Finding struct {
	Policy      string      `json:"policy"`
	Enforcement Enforcement `json:"enforcement"`
	Message     string      `json:"message"`
	Service     string      `json:"service,omitempty"`
	Region      string      `json:"region,omitempty"`
	Stack       string      `json:"stack,omitempty"`
	URN         string      `json:"urn,omitempty"`
	// Range is where the environment file declares what is at fault.
	Range hcl.Range `json:"-"`
}

// Location is the finding's file:line, for output.
func (f Finding) Location() string {
	if f.Range.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", f.Range.Filename, f.Range.Start.Line)
}

// Configured is a policy with its enforcement and parameters in one environment.
type Configured struct {
	Policy
	Enforcement Enforcement
	Params      Params
	// Lowered is true when the environment made a mandatory policy advisory or disabled.
	Lowered bool
}

// Configure applies an environment's policy blocks to the built-in policies.
// Unknown policies or parameters, and parameters of the wrong type, are
// diagnostics at the lines that wrote them.
func Configure(t *topology.Topology) ([]Configured, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	byID := map[string]*Configured{}
	var out []Configured
	for _, p := range Builtin() {
		c := Configured{Policy: p, Enforcement: p.Enforcement, Params: Params{}}
		for _, param := range p.Params {
			c.Params[param.Name] = param.Default
		}
		out = append(out, c)
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for _, pc := range t.Policies {
		c, ok := byID[pc.ID]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown policy",
				Detail: fmt.Sprintf("There is no policy %q; `bulwark policies` lists them.", pc.ID), Subject: pc.DeclRange.Ptr()})
			continue
		}
		if pc.Enforcement != "" {
			c.Enforcement = Enforcement(pc.Enforcement)
			c.Lowered = c.Policy.Enforcement == Mandatory && c.Enforcement != Mandatory
		}
		names := make([]string, 0, len(pc.Params))
		for name := range pc.Params {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := pc.Params[name]
			param, known := paramOf(c.Policy, name)
			if !known {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown policy parameter",
					Detail: fmt.Sprintf("Policy %q has no parameter %q (it has: %s).", pc.ID, name, paramNames(c.Policy)), Subject: v.Range.Ptr()})
				continue
			}
			conv, err := convertParam(v.Value, param)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid policy parameter",
					Detail: fmt.Sprintf("Policy %q parameter %q: %v.", pc.ID, name, err), Subject: v.Range.Ptr()})
				continue
			}
			c.Params[name] = conv
		}
	}
	return out, diags
}

func paramOf(p Policy, name string) (Param, bool) {
	for _, param := range p.Params {
		if param.Name == name {
			return param, true
		}
	}
	return Param{}, false
}

func paramNames(p Policy) string {
	if len(p.Params) == 0 {
		return "none"
	}
	s := ""
	for i, param := range p.Params {
		if i > 0 {
			s += ", "
		}
		s += param.Name
	}
	return s
}

func convertParam(v cty.Value, p Param) (cty.Value, error) {
	want := p.Default.Type()
	switch {
	case want == cty.Number && v.Type() == cty.Number:
		if !v.AsBigFloat().IsInt() || v.AsBigFloat().Sign() < 0 {
			return cty.NilVal, fmt.Errorf("must be a whole number, at least 0")
		}
		return v, nil
	case want == cty.String && v.Type() == cty.String:
		if p.Default.AsString() != "" {
			if _, err := topology.ParseDuration(p.Default.AsString()); err == nil {
				if _, err := topology.ParseDuration(v.AsString()); err != nil {
					return cty.NilVal, err
				}
			}
		}
		return v, nil
	case want.IsListType() && (v.Type().IsTupleType() || v.Type().IsListType()):
		var items []cty.Value
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.Type() != cty.String {
				return cty.NilVal, fmt.Errorf("must be a list of strings")
			}
			items = append(items, e)
		}
		if len(items) == 0 {
			return cty.ListValEmpty(cty.String), nil
		}
		return cty.ListVal(items), nil
	}
	return cty.NilVal, fmt.Errorf("must be a %s", want.FriendlyName())
}

// Result is one policy's outcome.
type Result struct {
	Policy      string      `json:"policy"`
	Description string      `json:"description"`
	Enforcement Enforcement `json:"enforcement"`
	Lowered     bool        `json:"lowered,omitempty"`
	Remediation string      `json:"remediation"`
	Findings    []Finding   `json:"findings"`
	// NotEvaluated says why the policy was not evaluated, when it was not.
	NotEvaluated string `json:"not_evaluated,omitempty"`
}

// Passed reports whether the policy found nothing.
func (r Result) Passed() bool { return len(r.Findings) == 0 }

// Evaluate runs every enabled policy over the model.
func Evaluate(m *Model, configured []Configured) []Result {
	out := make([]Result, 0, len(configured))
	for _, c := range configured {
		r := Result{Policy: c.ID, Description: c.Description, Enforcement: c.Enforcement, Lowered: c.Lowered, Remediation: c.Remediation, Findings: []Finding{}}
		if !c.ResourceLevel && !m.Adapted {
			r.NotEvaluated = adapterNote(m.Target)
		} else if c.Enforcement != Disabled {
			for _, f := range c.Check(m, c.Params) {
				f.Policy, f.Enforcement = c.ID, c.Enforcement
				r.Findings = append(r.Findings, f)
			}
		}
		out = append(out, r)
	}
	return out
}

// MandatoryFindings returns the findings that stop a deployment.
func MandatoryFindings(results []Result) []Finding {
	var out []Finding
	for _, r := range results {
		if r.Enforcement == Mandatory {
			out = append(out, r.Findings...)
		}
	}
	return out
}
