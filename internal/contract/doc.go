// Package contract holds the names that one part of bulwark writes and
// another reads, defined once: the runtime contract (what every instance
// or container of a service is told when it starts, on any target) and
// the names of the resources operations find by name.
//
// It is not configuration: nothing here is read from a file, and it
// declares no resource. It only names things, and says what each means.
package contract
