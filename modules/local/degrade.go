package local

import (
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// serviceNamed is the environment's service of that name.
func serviceNamed(t *topology.Topology, name string) (topology.Service, bool) {
	for _, s := range t.Services {
		if s.Name == name {
			return s, true
		}
	}
	return topology.Service{}, false
}

// linkUpstream is the region whose balancer of callee a link in region
// leads to: region itself when callee runs there, else callee's first.
func linkUpstream(callee topology.Service, region string) string {
	if slices.Contains(callee.Regions, region) {
		return region
	}
	if len(callee.Regions) == 0 {
		return region
	}
	return callee.Regions[0]
}

// cacheOrigins are the regions a service's cache in region proxies to: the
// region's own balancer first, then the service's other regions in the
// environment's order (its backups).
func cacheOrigins(s topology.Service, region string) []string {
	origins := []string{region}
	for _, r := range s.Regions {
		if r != region {
			origins = append(origins, r)
		}
	}
	return origins
}

// dependencyInputs are an instance group's dependencies input: every
// dependency as declared (externals too), without URLs, which the control
// plane fills with the region's links.
func dependencyInputs(deps []topology.Dependency) pulumi.Array {
	out := pulumi.Array{}
	for _, d := range deps {
		out = append(out, pulumi.Map{
			"name": pulumi.String(d.On), "need": pulumi.String(string(d.Need)),
			"timeoutMs": pulumi.Int(int(d.Timeout.Milliseconds())), "tries": pulumi.Int(d.Tries),
			"backoffMs": pulumi.Int(int(d.Backoff.Milliseconds())), "onFailure": pulumi.String(string(d.OnFailure)),
		})
	}
	return out
}
