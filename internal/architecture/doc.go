// Package architecture holds no code: it is the check, in its tests, that
// the imports between bulwark's packages follow ARCHITECTURE.md at the
// repository's root. The test lists the module's packages with the go
// command (`go list -e -json ./...`, with and without the aws build tag),
// builds their import graph and fails, naming the offending edge, when an
// import ARCHITECTURE.md forbids appears: an import up the flow, a
// target-specific package imported from outside its target (other than
// through a seam or a known exception), a test double imported by
// non-test code, a fake that imports what it fakes for. It also fails
// when a package has no doc.go, when a package is on no level of the flow,
// and when a known exception has gone (so its entry is removed).
//
// It is not a linter of anything else, and nothing imports it.
package architecture
