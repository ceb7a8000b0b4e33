// Command pulumi-resource-bulwark is the Pulumi provider plugin of the local
// target (internal/localprovider), found by the engine through the project's
// plugins.providers path (bin/). Run with the single argument
// "control-plane", it serves the local control plane in the foreground
// instead; the provider starts it that way, detached, when none is running.
//
// The bulwark binary is the same plugin when run under this name (make
// build links bin/pulumi-resource-bulwark to bin/bulwark, and bulwark runs
// itself as the plugin), so this thin command only keeps `go build ./...`
// and `go install ./...` producing the plugin on its own.
package main
