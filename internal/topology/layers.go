package topology

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Stacks is the name layers use for the Pulumi stacks in before and after.
const Stacks = "stacks"

// Layer is a Terraform root module run in order with the Pulumi stacks.
type Layer struct {
	Name string
	// Source is the module's folder, as written (relative to the project root).
	Source string
	// Dir is the module's folder on disk.
	Dir string
	// Before and After name layers or "stacks" this layer runs before or after.
	Before, After []string
	// BeforeRange and AfterRange are where before and after are written.
	BeforeRange, AfterRange *hcl.Range
	// Vars are the module's input variables: expressions evaluated when the
	// layer runs, with `layers.<name>.<output>` (layers that ran before) and
	// `stacks.<region|global>.<output>` (when the layer runs after the stacks).
	Vars      map[string]hcl.Expression
	DeclRange hcl.Range
}

// AfterStacks reports whether the layer runs after the Pulumi stacks.
func (l Layer) AfterStacks(t *Topology) bool {
	order := t.LayerOrder()
	return slices.Index(order, l.Name) > slices.Index(order, Stacks)
}

// LayerOrder is the order layers and the stacks ("stacks") run in: every
// layer after what it must follow, in file order where free to choose.
func (t *Topology) LayerOrder() []string {
	nodes := []string{}
	for _, l := range t.Layers {
		nodes = append(nodes, l.Name)
	}
	order, _ := layerOrder(t.Layers, nodes)
	return order
}

// layerOrder sorts layers and "stacks" topologically; the second result
// names a cycle, if any.
func layerOrder(layers []Layer, names []string) ([]string, []string) {
	all := append([]string{Stacks}, names...)
	after := map[string][]string{} // node -> nodes that must run first
	for _, l := range layers {
		if len(l.Before) == 0 && len(l.After) == 0 {
			after[Stacks] = append(after[Stacks], l.Name) // default: before the stacks
		}
		for _, b := range l.Before {
			after[b] = append(after[b], l.Name)
		}
		after[l.Name] = append(after[l.Name], l.After...)
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var cycle []string
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case 1:
			i := slices.Index(path, n)
			cycle = append(slices.Clone(path[i:]), n)
			return false
		case 2:
			return true
		}
		state[n] = 1
		deps := slices.Clone(after[n])
		sort.SliceStable(deps, func(i, j int) bool { return slices.Index(all, deps[i]) < slices.Index(all, deps[j]) })
		for _, d := range deps {
			if !visit(d, append(path, n)) {
				return false
			}
		}
		state[n] = 2
		order = append(order, n)
		return true
	}
	for _, n := range names {
		if !visit(n, nil) {
			return nil, cycle
		}
	}
	if !visit(Stacks, nil) {
		return nil, cycle
	}
	return order, nil
}

// terraformIdentifier is a Terraform variable name
// (https://developer.hashicorp.com/terraform/language/syntax/configuration#identifiers):
// a layer's variables are written, by name, into the JSON variables file
// Terraform reads.
var terraformIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

var layerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "source", Required: true}, {Name: "before"}, {Name: "after"}, {Name: "vars"},
}}

// layer reads a layer block.
func (d *decoder) layer(b *hcl.Block, root string) Layer {
	l := Layer{Name: b.Labels[0], DeclRange: b.DefRange, Vars: map[string]hcl.Expression{}}
	// the name is the layer's working folder, where Terraform runs
	d.checkName("layer", l.Name, b.LabelRanges[0])
	c := d.content(b.Body, layerSchema)
	if c == nil {
		return l
	}
	var rng *hcl.Range
	l.Source, rng = d.str(c.Attributes, "source", "")
	if rng != nil {
		l.Dir = l.Source
		if !filepath.IsAbs(l.Dir) {
			l.Dir = filepath.Join(root, l.Source)
		}
		if tf, _ := filepath.Glob(filepath.Join(l.Dir, "*.tf")); len(tf) == 0 {
			d.errorf(rng, "Layer source not found", "Layer %q: %s holds no Terraform files (*.tf); source is relative to the project root %s.", l.Name, l.Dir, root)
		}
	}
	l.Before, l.BeforeRange = d.strList(c.Attributes, "before")
	l.After, l.AfterRange = d.strList(c.Attributes, "after")
	if attr, ok := c.Attributes["vars"]; ok {
		pairs, diags := hcl.ExprMap(attr.Expr)
		if diags.HasErrors() {
			d.errorf(attr.Expr.Range().Ptr(), "Invalid vars", "vars must be a map of variable names to values: { region = \"east\" }.")
		}
		for _, p := range pairs {
			k, kd := p.Key.Value(nil)
			if kd.HasErrors() || k.Type() != cty.String || k.IsNull() || !k.IsKnown() {
				d.errorf(p.Key.Range().Ptr(), "Invalid variable name", "A variable name must be a plain name.")
				continue
			}
			if !terraformIdentifier.MatchString(k.AsString()) {
				d.errorf(p.Key.Range().Ptr(), "Invalid variable name", "%q is not a Terraform variable name: letters, digits, _ and -, not starting with a digit or -.", clip(k.AsString()))
				continue
			}
			l.Vars[k.AsString()] = p.Value
		}
	}
	return l
}

// checkLayers checks the layers' names, order and variable references.
func (d *decoder) checkLayers(t *Topology) {
	known := map[string]bool{Stacks: true}
	for _, l := range t.Layers {
		known[l.Name] = true
	}
	unknownDeps := false
	for _, l := range t.Layers {
		for _, dep := range []struct {
			names []string
			rng   *hcl.Range
		}{{l.Before, l.BeforeRange}, {l.After, l.AfterRange}} {
			for _, name := range dep.names {
				if !known[name] || name == l.Name {
					unknownDeps = true
					d.errorf(dep.rng, "Unknown layer dependency", "Layer %q: %q is neither \"stacks\" nor another layer's name.", l.Name, name)
				}
			}
		}
	}
	if unknownDeps {
		return // the order is not known
	}
	names := []string{}
	for _, l := range t.Layers {
		names = append(names, l.Name)
	}
	order, cycle := layerOrder(t.Layers, names)
	if cycle != nil {
		d.errorf(&t.Layers[0].DeclRange, "Layer cycle", "Layers depend on each other in a circle: %s.", strings.Join(cycle, " -> "))
		return
	}
	regions := map[string]bool{"global": true}
	for _, r := range t.Regions {
		regions[r.Name] = true
	}
	for _, l := range t.Layers {
		pos := slices.Index(order, l.Name)
		for _, name := range slices.Sorted(maps.Keys(l.Vars)) {
			for _, tr := range l.Vars[name].Variables() {
				root := tr.RootName()
				var next string
				if len(tr) > 1 {
					if a, ok := tr[1].(hcl.TraverseAttr); ok {
						next = a.Name
					}
				}
				switch {
				case root == "layers" && (next == "" || !known[next] || next == Stacks):
					d.errorf(tr.SourceRange().Ptr(), "Unknown layer", "layers.%s: there is no layer %q.", next, next)
				case root == "layers" && slices.Index(order, next) > pos:
					d.errorf(tr.SourceRange().Ptr(), "Layer runs later", "Layer %q reads layers.%s, which runs after it: add after = [%q].", l.Name, next, next)
				case root == Stacks && slices.Index(order, Stacks) > pos:
					d.errorf(tr.SourceRange().Ptr(), "Stacks run later", "Layer %q reads stack outputs but runs before the stacks: set after = [\"stacks\"].", l.Name)
				case root == Stacks && !regions[next]:
					d.errorf(tr.SourceRange().Ptr(), "Unknown stack", "stacks.%s: the environment has no region %q (or \"global\").", next, next)
				case root != "layers" && root != Stacks:
					d.errorf(tr.SourceRange().Ptr(), "Unknown variable", "Layer variables may read layers.<name>.<output> and stacks.<region>.<output>, not %s.", root)
				}
			}
		}
	}
}

// EvalVars evaluates a layer's variables with the outputs of the layers
// that ran before it and, after the stacks, the stacks' outputs.
func (l Layer) EvalVars(layerOutputs map[string]map[string]any, stackOutputs map[string]map[string]any) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]cty.Value{}
	for name, outputs := range map[string]map[string]map[string]any{"layers": layerOutputs, Stacks: stackOutputs} {
		v, err := jsonToCty(outputs)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable outputs", Detail: fmt.Sprintf("%s: %v", name, err)})
			continue
		}
		vars[name] = v
	}
	ctx := &hcl.EvalContext{Variables: vars}
	out := map[string]cty.Value{}
	for name, expr := range l.Vars {
		v, d := expr.Value(ctx)
		diags = append(diags, d...)
		out[name] = v
	}
	return out, diags
}

// jsonToCty turns JSON-shaped outputs into a cty value, through go-cty's own JSON decoding.
func jsonToCty(v any) (cty.Value, error) {
	if v == nil {
		v = map[string]any{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return cty.NilVal, err
	}
	t, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(b, t)
}

// layerRoot is where layer sources are relative to: the loader's Root, or
// the parent of the environment file's folder (environments/<env>.hcl).
func layerRoot(root, filename string) string {
	if root != "" {
		return root
	}
	abs, err := filepath.Abs(filename)
	if err != nil {
		return filepath.Dir(filepath.Dir(filename))
	}
	return filepath.Dir(filepath.Dir(abs))
}
