package cost

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// awsRegionOrder are the AWS regions local regions are mapped to, in
// turn, after a name that says east (us-east-1) or west (us-west-2).
var awsRegionOrder = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1",
	"ap-southeast-2", "sa-east-1", "ca-central-1", "ap-south-1", "us-east-2", "us-west-1", "eu-west-2", "eu-north-1"}

// The images AsAWS's plan pins services to: the bill does not depend on them.
const (
	PlaceholderAMI       = "ami-00000000000000000"
	PlaceholderContainer = "123456789012.dkr.ecr.us-east-1.amazonaws.com/priced-on-aws@sha256:0000000000000000000000000000000000000000000000000000000000000000"
)

// MinAWSZones is the least zones a region has on AWS (a load balancer and
// a DB subnet group each need two).
const MinAWSZones = 2

// AsAWS is the same topology on the aws target, for a bill of what it
// would cost there: each region renamed to an AWS region (a name holding
// "east" to us-east-1, "west" to us-west-2, the others in file order to
// eu-west-1, eu-central-1, ap-southeast-1, ... each used once), regions
// with fewer than two zones given two (AWSNote says so). It returns the
// mapping (local region -> AWS region). An aws topology is returned as it
// is, with the identity mapping.
func AsAWS(t *topology.Topology) (*topology.Topology, map[string]string, error) {
	mapping := map[string]string{}
	if t.Environment.Target == topology.TargetAWS {
		for _, r := range t.Regions {
			mapping[r.Name] = r.Name
		}
		return t, mapping, nil
	}
	used := map[string]bool{}
	take := func(name string) {
		for _, want := range []struct{ word, region string }{{"east", "us-east-1"}, {"west", "us-west-2"}} {
			if strings.Contains(name, want.word) && !used[want.region] {
				mapping[name], used[want.region] = want.region, true
				return
			}
		}
	}
	for _, r := range t.Regions {
		take(r.Name)
	}
	for _, r := range t.Regions {
		if _, ok := mapping[r.Name]; ok {
			continue
		}
		i := slices.IndexFunc(awsRegionOrder, func(a string) bool { return !used[a] })
		if i < 0 {
			return nil, nil, fmt.Errorf("cost: %d regions are more than the %d AWS regions the local target maps to", len(t.Regions), len(awsRegionOrder))
		}
		mapping[r.Name], used[awsRegionOrder[i]] = awsRegionOrder[i], true
	}
	to := func(names []string) []string {
		if names == nil {
			return nil
		}
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = mapping[n]
		}
		return out
	}
	a := *t
	a.Environment.Target = topology.TargetAWS
	a.Regions = slices.Clone(t.Regions)
	for i := range a.Regions {
		r := &a.Regions[i]
		r.Zones = max(r.Zones, MinAWSZones)
		r.Name = mapping[r.Name]
		if r.NAT == "" {
			r.NAT = topology.NATPerZone
		}
	}
	a.Services = slices.Clone(t.Services)
	for i := range a.Services {
		s := &a.Services[i]
		s.Regions = to(s.Regions)
		if s.Backup != nil {
			b := *s.Backup
			b.CopyTo = to(b.CopyTo)
			s.Backup = &b
		}
		if s.Rollout.Canary != "" {
			s.Rollout.Canary = mapping[s.Rollout.Canary]
		}
		if s.HTTPS != nil {
			h := *s.HTTPS
			h.Certificates = map[string]string{}
			for r, c := range s.HTTPS.Certificates {
				h.Certificates[mapping[r]] = c
			}
			s.HTTPS = &h
		}
	}
	a.Externals = slices.Clone(t.Externals)
	for i := range a.Externals {
		a.Externals[i].Regions = to(a.Externals[i].Regions)
	}
	return &a, mapping, nil
}

// AWSNote says what AsAWS changed beyond the regions' names ("" when nothing).
func AWSNote(t *topology.Topology) string {
	if t.Environment.Target == topology.TargetAWS {
		return ""
	}
	var notes []string
	for _, r := range t.Regions {
		if r.Zones < MinAWSZones {
			notes = append(notes, fmt.Sprintf("%s: %d zone(s) → %d", r.Name, r.Zones, MinAWSZones))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return "AWS needs two zones a region: " + strings.Join(notes, ", ")
}

// MappingText states a mapping: "east → us-east-1, west → us-west-2".
func MappingText(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+" → "+m[k])
	}
	return strings.Join(parts, ", ")
}

// Identity reports whether a mapping maps every region to itself.
func Identity(m map[string]string) bool {
	for k, v := range m {
		if k != v {
			return false
		}
	}
	return true
}

// Of is the bill of an environment's plan: an aws plan priced as it is;
// another target's priced as AsAWS(t) would be planned on AWS (planned
// here with opts), its region mapping in the bill. What an image is does
// not change the bill, and another target's project need not have AWS
// images: each service without a pinned image is pinned to a placeholder
// (PlaceholderAMI, PlaceholderContainer) for that plan. Only an aws bill
// reads p: another target's plans AsAWS(t) afresh, so a caller may run it
// beside the environment's own plan and pass a nil p.
func Of(ctx context.Context, t *topology.Topology, p *plan.Plan, opts plan.Options, c Prices) (Bill, error) {
	if t.Environment.Target == topology.TargetAWS {
		return Estimate(t, p, c)
	}
	a, mapping, err := AsAWS(t)
	if err != nil {
		return Bill{}, err
	}
	pinned := maps.Clone(opts.Inputs.ImageOverrides)
	if pinned == nil {
		pinned = map[string]topology.ImageRef{}
	}
	for _, s := range a.Services {
		if _, ok := pinned[s.Name]; !ok {
			ref := topology.ImageRef{Digest: PlaceholderAMI, Build: "priced-on-aws"}
			if s.Runtime == topology.RuntimeContainer {
				ref.Digest = PlaceholderContainer
			}
			pinned[s.Name] = ref
		}
	}
	opts.Inputs.ImageOverrides = pinned
	ap, err := plan.Build(ctx, a, opts)
	if err != nil {
		return Bill{}, fmt.Errorf("cost: plan of %s on AWS (%s): %w", t.Environment.Name, MappingText(mapping), err)
	}
	b, err := Estimate(a, ap, c)
	if err != nil {
		return Bill{}, err
	}
	b.Target, b.Mapping, b.MappingNote = string(t.Environment.Target), mapping, AWSNote(t)
	return b, nil
}
