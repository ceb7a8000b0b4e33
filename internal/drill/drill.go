package drill

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ErrPreflight is returned when the environment is not healthy enough to drill.
var ErrPreflight = errors.New("preflight failed")

// ErrAborted is returned when a stop condition ended the drill early.
var ErrAborted = errors.New("drill aborted")

// StopConditions are the alarms a drill watches: one that fires outside
// the drill's blast radius means the failure spread further than the drill
// declared, and the drill aborts and restores.
type StopConditions interface {
	// Breached lists the alarms that fire outside the given regions (an
	// alarm of no region, such as a DNS name's, is outside every region).
	Breached(ctx context.Context, outside []string) ([]string, error)
}

// Scenario injects one kind of failure and undoes it.
type Scenario interface {
	Name() ScenarioName
	Disruption() topology.Disruption
	// Inject causes the failure.
	Inject(ctx context.Context) (string, error)
	// Recover runs the steps an operator automates (none when the system heals itself).
	Recover(ctx context.Context) (string, error)
	// Restore returns to the steady state.
	Restore(ctx context.Context) (string, error)
}

// CopyVerifier is a scenario whose recovery is a copy of the data made
// elsewhere (backup-restore): the service itself is not disrupted. The
// drill checks the writes acknowledged before the injection against the
// copy, and the RTO runs from the injection to when the copy took queries.
type CopyVerifier interface {
	// CopyPresent returns which of the writes first..last the copy holds,
	// read from the copy.
	CopyPresent(ctx context.Context, first, last int64) ([]int64, error)
	// CopyReady is when the copy answered its first query, on the drill's
	// clock (zero when it never did).
	CopyReady() time.Time
}

// Conditioned is a scenario whose estimate depends on what the injection
// found (backup-restore: how much WAL was archived since the newest
// backup, which the restore replays). The drill asks it right after the
// injection and reports its answer as the estimate, with how it was made.
type Conditioned interface {
	// Condition returns the estimate for the state found, given the
	// assessment's typical one; ok is false when it cannot tell (the
	// typical estimate stands).
	Condition(typical Numbers) (conditioned Numbers, ok bool)
}

// Clocked is a scenario whose own waits and timestamps run on a clock:
// the drill gives it its own, so that both move together.
type Clocked interface {
	UseClock(clock.Clock)
}

// WriterAudit is a scenario that could leave a database accepting writes
// on both sides (a partition). After the recovery the drill lists, per
// service, the regions whose member accepts writes; more than one fails the
// drill ("one-writer").
type WriterAudit interface {
	Writers(ctx context.Context) (map[string][]string, error)
}

// Options configure a drill.
type Options struct {
	Topology  *topology.Topology
	Service   topology.Service
	Region    string
	Scenario  Scenario
	DNSServer string // the environment's DNS server, host:port; empty: the system's resolver
	// Lookup replaces DNS for the probe (tests against fakes).
	Lookup func(ctx context.Context, name string) ([]string, error)
	// Port is where clients reach the service (default the service's
	// port: the local target's load balancers); HTTPS speaks TLS to it.
	Port  int
	HTTPS bool
	// Timing is the target's recovery timing, for a derived deadline.
	Timing Timing
	// Interval between probe writes (default 50 ms), Baseline before the
	// injection (default 2 s), Deadline: how long, from the end of the
	// recovery steps, the drill waits to see the service recovered (default
	// derived: DeriveDeadline), and Steady: how long the probe must succeed
	// without a failure to call the service recovered (default 1 s); Detect
	// bounds how long the drill waits for a failure before it runs the
	// recovery steps (default 3 s). All are on Clock.
	Interval, Baseline, Deadline, Steady, Detect time.Duration
	// Clock is the time the drill waits, times out and measures on; the
	// default is the wall clock. Tests give a scaled clock, the same as the
	// fakes' and the scenarios', to run AWS's minutes compressed.
	Clock clock.Clock
	// NoRestore leaves the environment failed over: the restore step is
	// skipped (recreate-region brings the lost region back). A
	// degradation (Degrader) is always healed.
	NoRestore bool
	// DrainWait bounds how long, after a degradation's restore, the drill
	// waits for the service's write queues to drain (Drainer; default
	// 60 s, on Clock).
	DrainWait time.Duration
	// Checks run in the preflight before the probe (the Terraform layers
	// are applied, ...); one that fails stops the drill.
	Checks []PreflightCheck
	// Estimated is the assessment's estimate for this disruption, if any.
	Estimated *Numbers
	// GivenDNSMove, when set, conditions the estimate on how long after
	// the injection the drill saw the service's DNS answer change (the
	// DNS checks' phase, which no drill chooses); ok false keeps it.
	GivenDNSMove func(moved time.Duration) (Numbers, bool)
	// Progress receives a line per step.
	Progress func(string)
	// StopConditions, when set, are checked at the preflight (an alarm
	// already firing stops the drill there) and every StopEvery from the
	// injection to the restore (default 1 s).
	StopConditions StopConditions
	StopEvery      time.Duration
	// StopSettle bounds how long the preflight waits for alarms that fire
	// to clear (default 30 s).
	StopSettle time.Duration
	// BlastRadius are the regions the drill expects alarms in (default:
	// DefaultBlastRadius).
	BlastRadius []string

	deadlineHow string // how the deadline was chosen, for the report
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 50 * time.Millisecond
	}
	if o.Baseline <= 0 {
		o.Baseline = 2 * time.Second
	}
	if o.Steady <= 0 {
		o.Steady = time.Second
	}
	o.Clock = clock.OrReal(o.Clock)
	if o.Deadline <= 0 {
		o.Deadline, o.deadlineHow = DeriveDeadline(o.Timing, o.Service, o.Scenario.Disruption(), o.Estimated, o.Steady)
	} else {
		o.deadlineHow = "given"
	}
	if o.Detect <= 0 {
		o.Detect = 3 * time.Second
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if o.Port == 0 {
		o.Port = o.Service.Port
	}
	if o.StopEvery <= 0 {
		o.StopEvery = time.Second
	}
	if o.StopSettle <= 0 {
		o.StopSettle = 30 * time.Second
	}
	if o.DrainWait <= 0 {
		o.DrainWait = time.Minute
	}
	if g, ok := o.Scenario.(Degrader); ok && len(o.BlastRadius) == 0 && len(g.Degradation().Fault.Regions) > 0 {
		// the caller's regions the fault reaches: its answers there are
		// what the drill judges
		o.BlastRadius = slices.Clone(g.Degradation().Fault.Regions)
	}
	if len(o.BlastRadius) == 0 {
		o.BlastRadius = DefaultBlastRadius(o.Topology, o.Service, o.Region, o.Scenario.Disruption())
	}
}

// PreflightCheck is a condition the environment must meet before a drill.
type PreflightCheck struct {
	Name string
	Run  func(ctx context.Context) (string, error)
}
