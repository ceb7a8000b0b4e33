// Command pulumi-program is the program Pulumi.yaml names, for teams that run
// a stock Pulumi CLI by hand: `pulumi up -s dev.east` deploys the same stacks
// bulwark deploys, read from environments/dev.hcl.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/stacks"
)

func main() {
	pulumi.Run(stacks.FromStack)
}
