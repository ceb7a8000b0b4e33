package topology

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func (d *decoder) dns(b *hcl.Block) DNS {
	c := d.content(b.Body, dnsSchema)
	n := DNS{DeclRange: b.DefRange}
	var rng *hcl.Range
	if n.Zone, rng = d.str(c.Attributes, "zone", ""); rng != nil && !dnsZoneRE.MatchString(n.Zone) {
		d.errorf(rng, "Invalid DNS zone", "%q is not a DNS zone name (lower-case labels separated by dots, no trailing dot).", n.Zone)
	}
	if n.Name, rng = d.str(c.Attributes, "name", DefaultDNSName); !dnsLabelRE.MatchString(n.Name) {
		d.errorf(rng, "Invalid DNS name", "%q is not a DNS label (use @ for the zone's apex).", n.Name)
	}
	if n.TTL, rng = d.duration(c.Attributes, "ttl", DefaultDNSTTL); n.TTL%time.Second != 0 || n.TTL < time.Second {
		d.errorf(rng, "Invalid DNS TTL", "ttl is a whole number of seconds, at least 1s, not %s.", n.TTL)
	}
	return n
}

// https reads the https block: one certificate ARN for each of the
// service's regions, issued in that region.
func (d *decoder) https(b *hcl.Block, t *Topology, s Service) *HTTPS {
	c := d.content(b.Body, httpsSchema)
	h := &HTTPS{DeclRange: b.DefRange, Certificates: map[string]string{}}
	if t.Environment.Target == TargetLocal {
		d.errorf(b.DefRange.Ptr(), "HTTPS is not supported on the local target", "The local target's load balancers speak plain HTTP on loopback; remove the https block or use target = \"aws\".")
		return nil
	}
	v, rng := d.value(c.Attributes, "certificates", cty.Map(cty.String))
	if rng == nil {
		if _, set := c.Attributes["certificates"]; !set {
			d.errorf(b.DefRange.Ptr(), "HTTPS without a certificate",
				"Service %q asks for HTTPS but names no certificate: add certificates = { \"<region>\" = \"arn:aws:acm:<region>:<account>:certificate/<id>\" } for each of its regions (%s).",
				s.Name, strings.Join(s.Regions, ", "))
		}
		return nil
	}
	for region, arn := range v.AsValueMap() {
		if arn.IsNull() {
			continue
		}
		h.Certificates[region] = arn.AsString()
	}
	for _, region := range slices.Sorted(maps.Keys(h.Certificates)) {
		arn := h.Certificates[region]
		if !slices.Contains(s.Regions, region) {
			d.errorf(rng, "Unknown region", "certificates names region %q, where service %q does not run (it runs in: %s).", region, s.Name, strings.Join(s.Regions, ", "))
			continue
		}
		m := acmARN.FindStringSubmatch(arn)
		switch {
		case m == nil:
			d.errorf(rng, "Invalid certificate", "certificates[%q] = %q is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>).", region, arn)
		case m[1] != region:
			d.errorf(rng, "Certificate from another region", "certificates[%q] was issued in %s; a load balancer takes only certificates of its own region.", region, m[1])
		}
	}
	for _, region := range s.Regions {
		if _, ok := h.Certificates[region]; !ok {
			d.errorf(rng, "HTTPS without a certificate", "Service %q runs in %s but certificates has none for it.", s.Name, region)
		}
	}
	return h
}
