// Package drill runs disaster-recovery drills against a deployed environment
// and measures what a client saw: a probe resolves the service's name
// through the environment's DNS (honouring the TTL, as clients do) and
// issues numbered writes at a steady rate, recording every attempt; a
// scenario injects a failure, the drill observes until the probe succeeds
// steadily again (or a deadline), runs the recovery steps an operator
// automates, verifies which acknowledged writes survived, and reports
// measured RTO and RPO beside the assessment's estimate and the target, as
// JSON, Markdown, JUnit and an SVG timeline.
//
// A scenario that could leave two writers (a partition) is audited after
// the recovery: each database must have at most one member taking writes.
//
// RTO is measured from the probe's first failure after the injection to its
// first success after its last failure; RPO from the acknowledged writes
// missing afterwards.
//
// It is not a load test: the probe's rate is bounded and it talks only to
// the environment's loopback addresses.
package drill
