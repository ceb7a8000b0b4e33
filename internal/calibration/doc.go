// Package calibration holds the local target's figures that the RTO/RPO
// estimate needs and the resource graph does not say (how long a
// promotion, a reconnection, a restore and each WAL segment it replays
// take on this kind of machine), as measured by `bulwark calibrate` on a
// running local environment, and gives them to the estimate
// (policies.Timings). The measurement is a file in the project,
// calibration/local.json, reviewed and committed like a golden image's
// manifest, so that every plan of the project estimates alike.
//
// It measures parts, not outcomes: a promotion and a reconnection from the
// drills that promote; a restore in two parts, from restores it drives
// itself (RestoreBench, MeasureRestores): one right after a fresh backup
// (nothing to replay: the base) and one after a known number of WAL
// segments were archived (the difference, per segment); and a
// restore_command call that fetches no segment (RestoreBench.Probe, timed
// directly: a recovery makes two for each timeline after its backup's,
// asking for their history files). The estimate
// composes them with what the graph says (health checks, TTLs, replicas,
// the backup interval), and game days judge the composition against what
// a client saw. It is not the estimator (policies) nor the drills
// (internal/drill), it holds nothing of how a target is driven (the
// command gives it the bench), and it measures nothing of the aws target,
// whose figures are AWS's documented ones.
package calibration
