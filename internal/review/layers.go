package review

import (
	"context"
	"fmt"
	"os"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// LayerStack names a Terraform layer's part of a side, beside the stacks.
func LayerStack(name string) string { return "layer " + name }

// AddLayerPlans plans each Terraform layer of the environment offline
// (`terraform plan` from an empty state in a scratch folder, read back with
// `show -json`) and adds its planned resources to the side as the stack
// "layer <name>", so layers are diffed like the stacks. A layer whose
// variables read other layers' or the stacks' outputs cannot be planned
// offline; nor can one whose providers need credentials: the side says so
// in its notes.
func AddLayerPlans(ctx context.Context, s *Side, t *topology.Topology, terraform string) {
	if len(t.Layers) == 0 {
		return
	}
	if terraform == "" {
		s.Notes = append(s.Notes, "Terraform layers not planned: no terraform binary")
		return
	}
	scratch, err := os.MkdirTemp("", "bulwark-review-layers-")
	if err != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("Terraform layers not planned: %v", err))
		return
	}
	defer os.RemoveAll(scratch)
	r := &layers.Runner{Exec: terraform, Dir: scratch}
	for _, l := range t.Layers {
		vars := map[string]cty.Value{}
		offline := true
		for name, expr := range l.Vars {
			if len(expr.Variables()) > 0 {
				offline = false
				break
			}
			v, diags := expr.Value(nil)
			if diags.HasErrors() {
				offline = false
				break
			}
			vars[name] = v
		}
		if !offline {
			s.Notes = append(s.Notes, fmt.Sprintf("layer %s not planned offline: its variables read other layers' or the stacks' outputs", l.Name))
			continue
		}
		res, err := r.Plan(ctx, l, vars)
		if err != nil {
			msg := err.Error()
			if i := strings.IndexByte(msg, '\n'); i > 0 {
				msg = msg[:i]
			}
			s.Notes = append(s.Notes, fmt.Sprintf("layer %s not planned offline: %s", l.Name, msg))
			continue
		}
		s.Stacks = append(s.Stacks, plan.StackGraph{Stack: LayerStack(l.Name), Resources: planResources(l.Name, res.Plan)})
	}
}

// planResources turns a Terraform plan's resources into the plan's shape,
// sensitive values masked.
func planResources(layer string, p *tfjson.Plan) []plan.Resource {
	var out []plan.Resource
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		inputs, _ := mask(rc.Change.After, rc.Change.AfterSensitive).(map[string]any)
		out = append(out, plan.Resource{
			URN: fmt.Sprintf("terraform:%s::%s", layer, rc.Address), Type: "terraform:" + rc.Type, Name: rc.Address, Custom: true, Inputs: inputs,
		})
	}
	return out
}

// mask replaces the values Terraform marks sensitive with "[secret]".
func mask(v, sensitive any) any {
	if s, ok := sensitive.(bool); ok && s {
		return secretValue
	}
	switch x := v.(type) {
	case map[string]any:
		sm, _ := sensitive.(map[string]any)
		out := map[string]any{}
		for k, e := range x {
			out[k] = mask(e, sm[k])
		}
		return out
	case []any:
		sl, _ := sensitive.([]any)
		out := make([]any, len(x))
		for i, e := range x {
			var si any
			if i < len(sl) {
				si = sl[i]
			}
			out[i] = mask(e, si)
		}
		return out
	}
	return v
}
