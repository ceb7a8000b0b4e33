// Package policies is bulwark's redundancy policy pack and its resilience
// assessment. Policies judge the resource graph of all of an environment's
// stacks together (the graph `bulwark plan` builds under Pulumi mocks), read
// through a per-target adapter into a resilience model: per service and
// region, its instance group, load balancer, image, database member, DNS
// record and backup plan. One set of policy code therefore serves every
// target and every verb that has the graph: plan, up (which plans first and
// deploys nothing on a mandatory violation) and review.
//
// Each policy has an ID, a description, a default enforcement (advisory,
// mandatory, disabled) and a remediation hint; an environment overrides the
// enforcement and parameters with `policy "<id>" { ... }` blocks. Findings
// point at the resource (URN) and at the line of the environment file that
// declared it, for text, JSON and SARIF output.
//
// The assessment estimates RTO and RPO per disruption (instance, zone,
// region, database primary) from the model's health checks, DNS TTL,
// replication and backups, with the terms it used, and compares them with
// the environment's declared targets.
//
// It is not a Pulumi policy pack run by the engine: the engine here cannot
// load a Go policy pack (no language plugin), so the same functions are
// evaluated in-process.
package policies
