// Package contract holds the names that one part of bulwark writes and
// another reads, defined once: the runtime contract (what every instance
// or container of a service is told when it starts, on any target), the
// names of the resources operations find by name, the tag keys the
// stacks put on cloud resources and operations find them by, the keys of
// the stacks' outputs, and the type tokens of bulwark's own resources.
// It also holds the checks of strings that an environment file hands to
// another program (CheckName, CheckDNSName, CheckDNSLabel,
// CheckHealthPath): the loader runs them to point at the line, and the
// local control plane runs them again before it writes a configuration
// file, so both refuse the same strings (errors wrap ErrInvalidString).
//
// It is not configuration: nothing here is read from a file, and it
// declares no resource. It only names things, says what each means and
// who writes and reads it, and says which strings may be written where.
// A test fails when a tag key or a type token is written as a literal
// anywhere else in the repository's code.
package contract
