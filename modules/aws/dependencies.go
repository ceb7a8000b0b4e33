package aws

import (
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// What a service calls, as its instances get it (the runtime contract's
// Dependencies): each dependency's address and the budget the environment
// file declared, which the instance's client uses as it is, so the retry
// arithmetic the policies judge is what runs.
//
// Another service of the environment is reached by its DNS name
// (https:// when it has an https block, whose certificate names it; else
// http://): its Route 53 records send an instance to its own region's
// load balancer while that region is healthy (latency records of an
// active-active service; a hot standby's primary), and elsewhere when it
// is not. An external endpoint's address is not the environment's to
// know: its URL is empty and the service reads it from its parameters.
//
// The callee's load balancer needs no other setting for it: an ALB closes
// a connection idle for its idle timeout, 60 s by default
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout),
// and a caller gives up on an attempt after its own timeout. Only a
// timeout longer than that would be cut short by the callee's load
// balancer (a 504 before the caller's timeout): calleeIdleTimeout raises
// the callee's idle timeout to the longest of its callers' timeouts then.

// ALBIdleTimeout is an ALB's default idle timeout.
const ALBIdleTimeout = 60 * time.Second

// DependencyURL is where a service's instances reach a dependency: the
// callee's DNS name, or "" for an external endpoint.
func DependencyURL(t *topology.Topology, d topology.Dependency) string {
	if d.External {
		return ""
	}
	for _, s := range t.Services {
		if s.Name != d.On {
			continue
		}
		if s.HTTPS != nil {
			return "https://" + s.DNS.FQDN()
		}
		return "http://" + s.DNS.FQDN()
	}
	return ""
}

// dependenciesRuntime is the runtime contract's Dependencies value for a
// service ("" when it declares none).
func dependenciesRuntime(t *topology.Topology, s topology.Service) string {
	if len(s.Dependencies) == 0 {
		return ""
	}
	deps := make([]contract.Dependency, 0, len(s.Dependencies))
	for _, d := range s.Dependencies {
		need, onFailure := d.Need, d.OnFailure
		if need == "" {
			need = topology.NeedHard
		}
		if onFailure == "" {
			onFailure = topology.FailRequest
		}
		deps = append(deps, contract.Dependency{
			Name: d.On, URL: DependencyURL(t, d), Need: string(need),
			TimeoutMS: d.Timeout.Milliseconds(), Tries: d.Tries, BackoffMS: d.Backoff.Milliseconds(), OnFailure: string(onFailure),
		})
	}
	return contract.EncodeDependencies(deps)
}

// calleeIdleTimeout is the idle timeout, in seconds, a service's load
// balancer needs for its callers (0: the default will do): the longest
// timeout of a call to it, when that is longer than ALBIdleTimeout, in
// the 1 to 4000 s an ALB accepts.
func calleeIdleTimeout(t *topology.Topology, callee string) int {
	longest := t.LongestCallerTimeout(callee)
	if longest <= ALBIdleTimeout {
		return 0
	}
	return min(4000, int((longest+time.Second-1)/time.Second))
}
