// Package rebuild recreates one region of an environment from code, for a
// region that is lost or broken: it moves the primary of every database
// out of the region when it still runs there (a switchover, losing
// nothing) or promotes a survivor when no primary runs, abandons what is
// left of the region (its processes or resources and its stack's state),
// deploys the region's stack afresh and then the global stack, waits until
// the rebuilt database members stream from the primary (or were restored
// from the cross-region backup when no member survived), the region's
// instance groups are healthy and the environment's DNS answers with the
// region again, and, when asked, fails the primaries back to it.
//
// Every step is printed with its timing and is safe to run again: a rerun
// after an interruption abandons the half-built region and converges.
//
// It runs on the local target today (internal/localcloud); the AWS target
// gets the same steps behind the same Plan once it exists. It does not
// decide when a region is lost: an operator (or a drill) does.
package rebuild
