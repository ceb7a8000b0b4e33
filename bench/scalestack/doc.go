// Command scalestack runs one verb (up, preview or destroy) of one Pulumi
// stack of N bulwark:local:Data resources through the same Automation API
// runner as bulwark (internal/engine: an inline program, the file backend,
// the project's provider plugin), so that the scale benchmark (bench) can
// time the engine alone and read its peak memory. Levers are passed as
// engine environment variables (-env PULUMI_SKIP_CHECKPOINTS=true) and
// -parallel. `make bench` builds it into bin/scalestack.
//
// It is not part of bulwark's CLI and reads no environment file: the stack
// is synthetic, and nothing here judges the numbers.
package main
