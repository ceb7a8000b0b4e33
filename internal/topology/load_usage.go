package topology

import (
	"math"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// usage reads a usage block over base: the figures it sets come from
// "from" (UsageEnvironment or UsageService), the others stay as base has them.
func (d *decoder) usage(b *hcl.Block, base Usage, from string) Usage {
	u := base
	u.From = make(map[string]string, len(base.From))
	for k, v := range base.From {
		u.From[k] = v
	}
	u.DeclRange = b.DefRange
	c := d.content(b.Body, usageSchema)
	for _, f := range UsageFields {
		v, rng := d.value(c.Attributes, f.Name, cty.Number)
		if rng == nil {
			continue
		}
		x, _ := v.AsBigFloat().Float64()
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0) || x < 0:
			d.errorf(rng, "Invalid usage", "%s must be a number of %s, at least 0.", f.Name, f.Unit)
			continue
		case x > MaxUsage:
			d.errorf(rng, "Invalid usage", "%s must be at most %g %s a month, not %g.", f.Name, MaxUsage, f.Unit, x)
			continue
		}
		*f.get(&u) = x
		u.From[f.Name] = from
	}
	return u
}

// usageSchema lists the usage block's attributes.
var usageSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, f := range UsageFields {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: f.Name})
	}
	return s
}()

// pricesDir reads the environment's prices attribute: a folder of AWS
// offer files, relative to the project root unless absolute.
func (d *decoder) pricesDir(attrs hcl.Attributes) (string, *hcl.Range) {
	p, rng := d.str(attrs, "prices", DefaultPrices)
	if rng != nil && (strings.TrimSpace(p) == "" || strings.ContainsRune(p, 0) || len(p) > 4096) {
		d.errorf(rng, "Invalid prices", "prices must name a folder of AWS price list offer files (default %q), not %q.", DefaultPrices, clip(p))
		p = DefaultPrices
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.root, filepath.FromSlash(p))
	}
	return p, rng
}

// environmentUsage reads the environment block's usage blocks (at most one).
func (d *decoder) environmentUsage(blocks hcl.Blocks) Usage {
	u := DefaultUsage()
	for i, b := range blocks {
		if i > 0 {
			d.errorf(b.DefRange.Ptr(), "Duplicate usage block", "Only one usage block is allowed here; the first is at %s.", blocks[0].DefRange)
			continue
		}
		u = d.usage(b, u, UsageEnvironment)
	}
	return u
}
