// Package plan runs an environment's stacks program under Pulumi mocks
// (pulumi.WithMocks): no engine, no provider plugins, no credentials, no
// network. It records every resource each stack registers (type, name,
// parent, inputs) and each stack's outputs, in a deterministic order.
//
// The recorded graph is what redundancy policies judge and what pull-request
// review diffs. It is not a preview: it cannot know what a provider would
// compute or what the current state holds; values a provider would compute
// appear as "[unknown]" and secrets as "[secret]".
package plan
