package imagerelease

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// TemplatePath is the Packer template of an image: images/<name>/<name>.pkr.hcl.
func TemplatePath(imagesDir, image string) string {
	return filepath.Join(imagesDir, image, image+".pkr.hcl")
}

var (
	packerSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "source", LabelNames: []string{"type", "name"}},
	}}
	variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "default"}}}
	sourceSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "region"}, {Name: "ami_regions"}, {Name: "tags"}}}
)

// CheckTemplate parses a Packer template and reports, as diagnostics at
// their lines, what would leave the environment without its image: no
// amazon-ebs source, a source whose region and ami_regions miss one of
// regions, or one that does not set the build tag. Variables take their
// defaults; one without a default is unknown, and an attribute that needs
// it cannot be checked (and is reported). The parser's files are returned
// for snippets.
func CheckTemplate(path string, regions []string) (hcl.Diagnostics, map[string]*hcl.File) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCLFile(path)
	if diags.HasErrors() {
		return diags, p.Files()
	}
	content, _, d := f.Body.PartialContent(packerSchema)
	diags = append(diags, d...)
	vars := map[string]cty.Value{}
	for _, b := range content.Blocks.OfType("variable") {
		c, _, d := b.Body.PartialContent(variableSchema)
		diags = append(diags, d...)
		vars[b.Labels[0]] = cty.DynamicVal
		if a, ok := c.Attributes["default"]; ok {
			if v, d := a.Expr.Value(nil); !d.HasErrors() {
				vars[b.Labels[0]] = v
			}
		}
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	sources := 0
	for _, b := range content.Blocks.OfType("source") {
		if b.Labels[0] != "amazon-ebs" {
			continue
		}
		sources++
		c, _, d := b.Body.PartialContent(sourceSchema)
		diags = append(diags, d...)
		covered := map[string]bool{}
		if a, ok := c.Attributes["region"]; ok {
			if v, ok := evalAs(ctx, a, cty.String, &diags); ok {
				covered[v.AsString()] = true
			}
		}
		amiRegions := b.DefRange.Ptr()
		if a, ok := c.Attributes["ami_regions"]; ok {
			amiRegions = a.Expr.Range().Ptr()
			if v, ok := evalAs(ctx, a, cty.List(cty.String), &diags); ok {
				for _, r := range v.AsValueSlice() {
					covered[r.AsString()] = true
				}
			}
		}
		var missing []string
		for _, r := range regions {
			if !covered[r] {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			have := make([]string, 0, len(covered))
			for r := range covered {
				have = append(have, r)
			}
			slices.Sort(have)
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Packer template misses a region", Subject: amiRegions,
				Detail: fmt.Sprintf("source %q builds in and copies to %s, but the environment also runs in %s: add them to ami_regions.",
					b.Labels[1], strings.Join(have, ", "), strings.Join(missing, ", ")),
			})
		}
		tagged := false
		if a, ok := c.Attributes["tags"]; ok {
			if v, d := a.Expr.Value(ctx); !d.HasErrors() && v.CanIterateElements() {
				tagged = v.Type().IsObjectType() && v.Type().HasAttribute(contract.TagBuild) || v.Type().IsMapType() && v.HasIndex(cty.StringVal(contract.TagBuild)).True()
			}
		}
		if !tagged {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Packer template does not tag the build", Subject: b.DefRange.Ptr(),
				Detail: fmt.Sprintf("source %q must set tags = { %q = <build> }: promote and verify find an image's build by it.", b.Labels[1], contract.TagBuild),
			})
		}
	}
	if sources == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No amazon-ebs source", Subject: f.Body.MissingItemRange().Ptr(),
			Detail: "The template declares no source \"amazon-ebs\" block: nothing builds the AMI.",
		})
	}
	return diags, p.Files()
}

// evalAs evaluates an attribute to a known value of type ty, or reports why not.
func evalAs(ctx *hcl.EvalContext, a *hcl.Attribute, ty cty.Type, diags *hcl.Diagnostics) (cty.Value, bool) {
	v, d := a.Expr.Value(ctx)
	*diags = append(*diags, d...)
	if d.HasErrors() {
		return cty.NilVal, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil || !v.IsWhollyKnown() || v.IsNull() {
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Cannot check " + a.Name, Subject: a.Expr.Range().Ptr(),
			Detail: fmt.Sprintf("%s must be a known %s (literal, or a variable with a default) for bulwark to check it.", a.Name, ty.FriendlyName()),
		})
		return cty.NilVal, false
	}
	return v, true
}
