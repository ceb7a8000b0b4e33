// Package topology loads an environment file (environments/<env>.hcl) into a
// typed, validated model of a multi-region service: the environment, its
// regions, its services, and the resilience targets they promise.
//
// It decodes HCL with hashicorp/hcl/v2 and reports every problem in a file at
// once as hcl.Diagnostics that point at file:line:column. Every value in the
// model keeps the source range it came from, so later stages (policies,
// reports) can point back at the line that caused a finding. Every string
// that reaches another program's configuration or an AWS name is checked
// for what that program takes (names, DNS names, paths and URLs, with
// internal/contract's checks, which the local control plane repeats before
// it writes a file), so a file that loads writes nothing it did not mean.
//
// It is not a deployer and knows nothing of Pulumi or of any target: stacks/
// turns a Topology into resources, and internal/project finds the files.
package topology
