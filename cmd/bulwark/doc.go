// Command bulwark deploys, plans and inspects multi-region environments
// described in environments/<env>.hcl. Each verb parses its flags into a
// struct, calls a package under internal/, renders a human or JSON view, and
// returns an exit code: 0 done, 1 an operation failed, 2 bad input (the
// environment file's diagnostics, or usage), 130 interrupted.
//
// It holds no deployment logic of its own.
package main
