// Package gameday runs a game day: every drill scenario that applies to an
// environment, against each of its services, several times each, in turn,
// and judges the lot against the estimates, the targets and the game days
// before it.
//
// The plan (NewPlan) picks the drills from the scenarios the target offers
// and the topology: instance-loss always; zone-loss when the service's
// primary region has two zones or more; region-loss, with two regions or
// more, once of the service's primary region and once of one other (they
// differ: only the first loses the database primary); region-partition of
// the primary region, with two regions or more; db-primary-loss for a
// service with a database; backup-restore for one with a backup block.
//
// The Runner runs each planned drill Plan.Runs times through callbacks the
// CLI gives (build and run one drill; bring the environment back), prints a
// line per drill, and stops starting drills once its timeout passed (the
// drill under way finishes: each drill has its own deadline, and one cut
// short would leave the environment failed over). It stops early too when
// a drill is refused at its preflight (the environment is not steady: alarms
// that fired before the game day, a service that takes no writes), when a
// drill's restore failed, or when the environment could not be brought back.
//
// Which drills need bringing back (Drill.Settle): a drill's own restore
// returns the environment to its steady state, except where the writer
// failed over. The plan marks db-primary-loss, and region-loss and
// region-partition of a region that is the database primary region of any
// service of the environment (a region's loss takes every service's
// processes there, not only the drilled one's); after each such run the
// CLI's callback runs recreate-region --failback of that region. A
// region-loss of a region that holds no database primary resumes it and
// needs nothing more. On a target whose drills switch the writer back in
// their own restore step (aws: PlanOptions.WritersRestored) no drill
// needs it; a target that can neither drops those drills from its plan,
// saying why.
//
// A drill's failed requests burn the SLO's error budget and fire paging
// alerts that outlive it, and a drill's preflight refuses to start while
// pages fire. Alarms wraps the stop conditions of each drill: an alarm
// first seen after the game day's first drill started is the game day's
// own, set aside (neither refuses nor aborts a drill) and listed in the
// report with the drill during which it was first seen; an alarm that
// fired before (the first check, at the first drill's preflight) is not
// set aside and stops the game day there. An alarm is one firing episode,
// told apart by the "since" time the targets' stop conditions print. The
// game day's blast radius is thus the whole environment for alarms it
// causes: a drill's failure that spreads past its declared blast radius
// is shown, not stopped.
//
// The report (Report) gives per service and scenario the estimate, the
// measured median, minimum and maximum RTO and RPO, the error of the median
// against the estimate in % ((measured - estimate) / estimate; both under
// 0.25 s agree), the target and the verdict: passed when every planned run
// ran and passed and the median is within the target. Agreement with the
// estimate (within 25 %) is its own column and JUnit case, which does not
// fail the game day. It renders itself as Markdown, JSON, JUnit and one SVG,
// since it is an artifact (kept and uploaded).
//
// The history is one Record per game day under the state directory
// (<state>/gamedays/<env>/<timestamp>.json). The regression gate
// (Report.Gate) fails a scenario whose median RTO or RPO is past its
// target, or grew by more than a share (50 % by default) over the median of
// its last 5 recorded game days that passed; a growth under 0.25 s is noise,
// and an RPO that grows from 0 is always a regression (data is lost where
// none was). HistorySVG draws the trend.
//
// It is not a scheduler, and knows no target: it imports no target's
// package, and the drills, the stop conditions and the rebuilding of a
// region come from its caller. Its timings are asserted by the game day
// itself, never by timed unit tests.
package gameday
