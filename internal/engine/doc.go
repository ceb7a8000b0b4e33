// Package engine drives the Pulumi engine for one stack at a time through the
// Automation API with inline programs: one Runner, one method per verb (Up,
// Preview, Refresh, Destroy, Outputs, Unlock), ctx first, typed results, as
// terraform-exec's tfexec and Pulumi's auto.Stack do.
//
// It finds the pinned Pulumi CLI the project builds (bin/pulumi) and the
// local target's provider plugin (the running bulwark executable itself,
// linked under the plugin's name, so the plugin is always the CLI's build;
// else bin/), points the engine at the environment's backend (by default a
// file backend under the user's state directory), sets the secrets
// provider, and turns off every network reach: plugin acquisition and
// update checks.
//
// Before each operation it clears what a killed update left that would
// stop it: in a file backend, a stack lock whose process no longer runs on
// this machine and a state sidecar cut short; in an s3:// backend (team
// state), a stack lock taken on the host of a holder of the environment's
// lease whose lease lapsed while it held it (internal/envlock records
// those). An s3:// URL is checked as the engine will read it
// (internal/teamstate/s3url) before the engine is started.
//
// It does not decide which stacks run or in what order (internal/orchestrate
// does), and does not build programs (stacks/ does).
package engine
