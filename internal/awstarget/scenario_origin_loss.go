package awstarget

import (
	"context"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
)

// origin-loss: registered, as on the local target, so that the CLI lists
// it and says why it cannot run; every request is refused before
// anything is injected (OriginLossRefusals), with the fault checked first
// (a service without a cache block is told so, as on local).
func init() {
	register(drill.OriginLoss, scenario{disruption: drill.DisruptionOrigin, build: func(_ context.Context, b *build) (drill.Scenario, error) {
		if _, err := resolveFault(b); err != nil {
			return nil, err
		}
		return nil, target.Errorf(target.ErrBadRequest, "origin-loss of %s is not offered on aws yet: %s", b.req.Service.Name, strings.Join(OriginLossRefusals, "; "))
	}, noGivenTemplate: true})
}

// OriginLossRefusals are why the aws target cannot drill origin-loss
// today, each something another part must give it:
var OriginLossRefusals = []string{
	// the probe's addresses: the distribution's domain is the global
	// stack's output cache (modules/aws), which target.DrillRequest does
	// not carry and the aws target cannot read (no CloudFront client, no
	// engine)
	"the probe must ask the service's CloudFront distribution, whose domain is the global stack's output cache, which the drill request does not carry",
	// the probe's scheme: the distribution redirects HTTP to HTTPS
	// (ViewerProtocolPolicy redirect-to-https) and presents
	// *.cloudfront.net, while the probe speaks the service's scheme (plain
	// HTTP for a cached service on aws) with the service's name as the TLS
	// server name
	"the distribution answers HTTP with a redirect to HTTPS under its own name, and the probe speaks the service's scheme and TLS name to every address",
	// the injection: stopping the service's instances in every region is
	// one FIS experiment per region (aws:ec2:stop-instances on the tagged
	// instances), but each autoscaling group replaces stopped instances
	// unless its processes are suspended for the hold, as region-loss
	// does, which a template cannot do
	"stopping every instance behind it takes one FIS experiment per region (aws:ec2:stop-instances), and each autoscaling group would replace them unless its processes were suspended for the hold",
}
