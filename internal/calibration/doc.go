// Package calibration holds the local target's figures that the RTO/RPO
// estimate needs and the resource graph does not say (how long a
// promotion, a reconnection, a restore take on this kind of machine), as
// measured by `bulwark calibrate` from drills of a running local
// environment, and gives them to the estimate (policies.Timings). The
// measurement is a file in the project, calibration/local.json, reviewed
// and committed like a golden image's manifest, so that every plan of the
// project estimates alike.
//
// It measures parts, not outcomes: a promotion from the drills that
// promote, a restore from those that restore; the estimate composes them
// with what the graph says (health checks, TTLs, replicas), and game days
// judge the composition against what a client saw. It is not the
// estimator (policies) nor the drills (internal/drill), and it measures
// nothing of the aws target, whose figures are AWS's documented ones.
package calibration
