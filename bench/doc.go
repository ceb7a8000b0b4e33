// Command bench runs bulwark's scripted benchmarks and prints a table: whole
// commands, timed from outside, with their peak memory (the child's maximum
// resident set, from rusage). Go micro-benchmarks live beside the code they
// measure and run with `go test -bench`; `make bench` runs both.
//
// Targets are printed beside the numbers; nothing here fails a build.
package main
