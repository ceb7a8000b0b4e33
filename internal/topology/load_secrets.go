package topology

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// secretParameters reads secret_parameters = ["NAME", ...]: the names of
// the service's secret parameters, whose values the file never holds.
// Each name follows the parameter naming rules and may not also be a key
// of parameters; a diagnostic points at the offending element.
func (d *decoder) secretParameters(attrs hcl.Attributes, plain map[string]string) []string {
	v, rng := d.value(attrs, "secret_parameters", cty.List(cty.String))
	if rng == nil {
		return nil
	}
	var ranges []*hcl.Range // each element's own range, when written as a list
	if exprs, diags := hcl.ExprList(attrs["secret_parameters"].Expr); !diags.HasErrors() {
		for _, e := range exprs {
			ranges = append(ranges, e.Range().Ptr())
		}
	}
	var out []string
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		at := rng
		if i < len(ranges) {
			at = ranges[i]
		}
		if ev.IsNull() {
			d.errorf(at, "Invalid secret parameter name", "secret_parameters is a list of names, without nulls.")
			continue
		}
		name := ev.AsString()
		_, inPlain := plain[name]
		switch {
		case len(name) > MaxParameterName || !parameterName.MatchString(name):
			d.errorf(at, "Invalid secret parameter name", "Secret parameter %q: names are environment variable names (instances get them so): upper-case letters, digits and underscores, not starting with a digit, at most %d characters.", name, MaxParameterName)
		case contract.Reserved(name):
			d.errorf(at, "Reserved parameter name", "Secret parameter %q: the platform sets it on every instance (PATH and the runtime contract's BULWARK_* names); choose another name.", name)
		case inPlain:
			d.errorf(at, "Parameter declared twice", "%q is both in parameters and in secret_parameters; a parameter is either plain (its value in this file) or secret (its value from %s).", name, "$BULWARK_SECRET_<SERVICE>_"+name)
		case slices.Contains(out, name):
			d.errorf(at, "Duplicate secret parameter", "Secret parameter %q is listed twice.", name)
		default:
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
