// Package drill runs disaster-recovery drills against a deployed environment
// and measures what a client saw: a probe resolves the service's name
// through the environment's DNS (honouring the TTL, as clients do) and
// issues numbered writes at a steady rate, recording every attempt; a
// scenario injects a failure, the drill runs the recovery steps an
// operator automates, observes until the probe succeeds steadily again (or
// a deadline after those steps, derived from the estimate, the target and
// the DNS TTL unless given: DeriveDeadline), verifies which acknowledged
// writes survived by reading them back (from the database that took over,
// or from a restored copy), and reports measured RTO and RPO beside the
// assessment's estimate and the target, as JSON, Markdown, JUnit and an SVG
// timeline. The probe lives until the drill has seen the recovery or its
// deadline passed, however long the recovery steps took.
//
// The drill waits, times out and measures on a clock (Options.Clock), the
// wall clock unless a test gives a scaled one, shared with the scenarios,
// the AWS runbook and the AWS fakes, so that AWS's minutes run compressed
// through unchanged logic.
//
// A scenario that could leave two writers (a partition) is audited after
// the recovery: each database must have at most one member taking writes.
//
// RTO is measured from the probe's first failure after the injection to its
// first success after its last failure; RPO from the acknowledged writes
// missing afterwards.
//
// A degradation (dependency-loss, latency, origin-loss: Degrader) is
// not recovered from but ridden out: the drill holds the failure for the
// fault's hold (ResolveFault) while the probe asks what the degradation
// names (GET / of the caller, the numbered writes when they are queued,
// the cached path at every cache), heals it, waits until the service
// answers whole again, drains the write queues (Drainer) and reads the
// writes back. Each answer is whole, degraded or failed (Classify), and
// the report gives their counts, shares and p50/p99 per phase (baseline,
// disrupted, after recovery), the error budget the disruption spent and
// what became of the queued writes; the rules that judge it are
// degradeChecks'.
//
// The scenarios themselves are each target's (internal/awstarget,
// internal/localtarget: one file per scenario); this package names them
// (ScenarioName), runs any of them and measures it, and knows no target.
//
// It is not a load test: the probe's rate is bounded and it talks only to
// the environment's loopback addresses.
package drill
