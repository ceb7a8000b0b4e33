// Command bench runs bulwark's scripted benchmarks and prints a table: whole
// commands, timed from outside, with their peak memory (the child's maximum
// resident set, from rusage). Go micro-benchmarks live beside the code they
// measure and run with `go test -bench`; `make bench` runs both.
//
// The scale table (scale.go) also says where each run's CPU went, the
// command's and every other process's (cpu.go), and judges bulwark against
// Terraform measured in the same run, as ratios; -profile profiles
// bulwark's runs there (the CLI, the engine's CLI runs, the plugins, the
// control plane) and prints their totals and the up's timeline
// (profile.go).
//
// Targets are printed beside the numbers; nothing here fails a build.
package main
