package topology

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

func (d *decoder) dns(b *hcl.Block) DNS {
	c := d.content(b.Body, dnsSchema)
	n := DNS{DeclRange: b.DefRange}
	// the zone and the name are written into PowerDNS's zone files and
	// LUA records, the blackbox exporter's queries and Route 53
	var zoneRange, nameRange *hcl.Range
	n.Zone, zoneRange = d.str(c.Attributes, "zone", "")
	zoneErr := contract.CheckDNSName(n.Zone)
	if zoneRange != nil && zoneErr != nil {
		d.errorf(zoneRange, "Invalid DNS zone", "zone: %v.", zoneErr)
	}
	n.Name, nameRange = d.str(c.Attributes, "name", DefaultDNSName)
	nameErr := contract.CheckDNSLabel(n.Name)
	if nameErr != nil {
		d.errorf(nameRange, "Invalid DNS name", "name: %v.", nameErr)
	}
	if zoneRange != nil && zoneErr == nil && nameErr == nil {
		if err := contract.CheckDNSName(n.FQDN()); err != nil {
			at := nameRange
			if at == nil {
				at = zoneRange
			}
			d.errorf(at, "DNS name too long", "%s.%s: %v.", n.Name, clip(n.Zone), err)
		}
	}
	var rng *hcl.Range
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
