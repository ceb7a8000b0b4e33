// Command pulumi-resource-bulwark is the Pulumi provider plugin of the local
// target (internal/localprovider), found by the engine through the project's
// plugins.providers path (bin/). Run with the single argument
// "control-plane", it serves the local control plane in the foreground
// instead; the provider starts it that way, detached, when none is running.
package main
