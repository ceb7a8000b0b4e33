// Package stacks is bulwark's one Pulumi program. A stack is either regional,
// named <env>.<region>, or global, named <env>.global; the program reads the
// environment's topology and declares that stack's resources.
//
// The topology is what the environment file said and is never written.
// What a run learns while running (the Terraform layers' outputs, the
// regions' outputs read from the state, a canary's pinned images, a
// blue-green phase) is given to the program beside it, as a RunInputs built
// for that one stack run; the zero value is a run that learned nothing (a
// plan, a review, a stock `pulumi up`).
//
// Regional stacks never depend on each other. The global stack (DNS, global
// data, the image manifest) reads the regional stacks' outputs through stack
// references, so it deploys after them and works the same under the engine,
// under Pulumi mocks (bulwark plan) and from a stock `pulumi up -s dev.global`.
//
// Today every stack holds the topology's own component resources
// (bulwark:topology:Region, :Service, :Environment) and their outputs; a
// target's modules (modules/<target>) declare their resources as children of
// these. The package does not run the engine (internal/engine does) or order
// stacks (internal/orchestrate does).
package stacks
