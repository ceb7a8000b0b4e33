package localprovider

import (
	"reflect"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// ReplaceOnChanges lists, per resource type token (bulwark:local:<Type>),
// the inputs whose change replaces the resource rather than updating it:
// the fields tagged provider:"replaceOnChanges", which the provider's
// diffs honour. Pull-request review reads it to call a change a replacement.
func ReplaceOnChanges() map[string][]string {
	out := map[string][]string{}
	for _, k := range kinds {
		t := reflect.TypeOf(k.args)
		token := contract.LocalType(strings.TrimSuffix(t.Name(), "Args"))
		out[token] = []string{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
			if name != "" && strings.Contains(f.Tag.Get("provider"), "replaceOnChanges") {
				out[token] = append(out[token], name)
			}
		}
	}
	return out
}
