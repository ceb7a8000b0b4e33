// Command bulwark deploys, plans and inspects multi-region environments
// described in environments/<env>.hcl. Each verb parses its flags into a
// struct, calls a package under internal/, renders a human or JSON view, and
// returns an exit code: 0 done, 1 an operation failed, 2 bad input (the
// environment file's diagnostics, or usage), 130 interrupted.
//
// It holds no deployment logic of its own.
//
// The offline commands (plan, review, graph, validate, policies) are over
// in a second: they collect garbage near a soft memory limit rather than
// at every doubling of a heap that grows from nothing (gctune.go), unless
// GOGC or GOMEMLIMIT says otherwise. plan works out the bill's AWS plan and
// the estimate's figures beside the environment's own plan.
package main
