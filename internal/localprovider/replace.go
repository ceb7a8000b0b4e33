package localprovider

import (
	"reflect"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// ReplaceOnChanges lists, per resource type token (bulwark:local:<Type>),
// the inputs whose change replaces the resource rather than updating it:
// the fields tagged provider:"replaceOnChanges" of every registered kind's
// arguments, which the provider's diffs honour (replacements). Pull-request
// review reads it to call a change a replacement.
func ReplaceOnChanges() map[string][]string {
	out := map[string][]string{}
	for _, k := range kinds {
		t := reflect.TypeOf(k.args)
		token := contract.LocalType(strings.TrimSuffix(t.Name(), "Args"))
		out[token] = []string{}
		for _, f := range replaceFields(t) {
			out[token] = append(out[token], f.name)
		}
	}
	return out
}

// replaceField is an input whose change replaces its resource.
type replaceField struct {
	name  string // its name in the schema
	index int    // its field in the arguments type
}

// replaceFields are the fields of an arguments type tagged
// provider:"replaceOnChanges".
func replaceFields(t reflect.Type) []replaceField {
	var out []replaceField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
		if name != "" && strings.Contains(f.Tag.Get("provider"), "replaceOnChanges") {
			out = append(out, replaceField{name: name, index: i})
		}
	}
	return out
}

// replacements is the part of a custom diff that replaces the resource:
// each input tagged replaceOnChanges whose value differs between old and
// new, so that a diff and ReplaceOnChanges never disagree.
func replacements[A any](old, new A) map[string]p.PropertyDiff {
	diff := map[string]p.PropertyDiff{}
	o, n := reflect.ValueOf(old), reflect.ValueOf(new)
	for _, f := range replaceFields(o.Type()) {
		if !reflect.DeepEqual(o.Field(f.index).Interface(), n.Field(f.index).Interface()) {
			diff[f.name] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
		}
	}
	return diff
}
