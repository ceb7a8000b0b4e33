// Command pulumi-program is the program Pulumi.yaml names, for teams that run
// a stock Pulumi CLI by hand: `pulumi up -s dev.east` deploys the same stack
// bulwark deploys, read from environments/dev.hcl (stacks.FromStack).
//
// bulwark itself never runs this binary: it runs the same program inline
// through the Automation API.
package main
