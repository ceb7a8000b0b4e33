package drill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/steps"
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
	Name() string
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
	// skipped (recreate-region brings the lost region back).
	NoRestore bool
	// Checks run in the preflight before the probe (the Terraform layers
	// are applied, ...); one that fails stops the drill.
	Checks []PreflightCheck
	// Estimated is the assessment's estimate for this disruption, if any.
	Estimated *Numbers
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
		o.Deadline, o.deadlineHow = DeriveDeadline(o.Topology, o.Service, o.Scenario.Disruption(), o.Estimated, o.Steady)
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
	if len(o.BlastRadius) == 0 {
		o.BlastRadius = DefaultBlastRadius(o.Topology, o.Service, o.Region, o.Scenario.Disruption())
	}
}

// DefaultBlastRadius is where a drill expects alarms: the disrupted
// region, and every region of the service when the disruption takes its
// database primary (a region loss of the primary's region, or the
// primary's loss): until a replica is promoted, writes fail in every
// region that sends them there.
func DefaultBlastRadius(t *topology.Topology, s topology.Service, region string, d topology.Disruption) []string {
	if s.Database != nil && t != nil {
		primary, _ := t.PrimaryRegionOf(s)
		if d == topology.DisruptionDatabase || (d == topology.DisruptionRegion && primary == region) {
			return slices.Clone(s.Regions)
		}
	}
	return []string{region}
}

// MinDeadline is the shortest derived deadline: the fixed deadline drills
// had before deadlines were derived, so that no drill that recovered
// within it is judged sooner now.
const MinDeadline = 30 * time.Second

// DeriveDeadline is how long, from the end of its recovery steps, a drill
// waits for the service to recover before it fails, and how that was
// derived:
//
//	max(MinDeadline, 2 × recovery + DNS detection + DNS TTL + steady)
//
// where recovery is the assessment's RTO estimate for the disruption (the
// target's typical recovery when there is none: TypicalRecovery), doubled
// because an estimate is typical, not worst; DNS detection is how long the
// service's DNS health checks take to declare a region down (DNSDetection);
// the TTL is how long clients, the probe among them, keep the old answer;
// and steady is how long the probe must then succeed. The whole estimate
// counts, not what is left of it after the recovery steps: a scenario whose
// recovery steps are none (the system heals itself) recovers entirely after
// them.
func DeriveDeadline(t *topology.Topology, s topology.Service, d topology.Disruption, estimate *Numbers, steady time.Duration) (time.Duration, string) {
	target := topology.TargetLocal
	if t != nil {
		target = t.Environment.Target
	}
	recovery, from := TypicalRecovery(target), fmt.Sprintf("the %s target's typical recovery", target)
	if estimate != nil && estimate.Known && estimate.RTOSeconds > 0 {
		recovery, from = time.Duration(estimate.RTOSeconds*float64(time.Second)), fmt.Sprintf("the %s estimate", d)
	}
	detect, how := DNSDetection(target, s)
	ttl := s.DNS.TTL
	derived := 2*recovery + detect + ttl + steady
	deadline := max(MinDeadline, derived)
	explain := fmt.Sprintf("derived: 2 × %s (%s) + DNS detection %s (%s) + TTL %s + steady %s = %s",
		recovery, from, detect, how, ttl, steady, derived)
	if deadline != derived {
		explain += fmt.Sprintf(", at least %s", MinDeadline)
	}
	return deadline, explain
}

// TypicalRecovery is how long a recovery typically takes on a target when
// the assessment has no estimate: on AWS an Aurora global database's
// failover, "typically a minute or two"
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html);
// on the local target seconds (DESIGN.md: DNS failover about 1 s, a dead
// backend out of HAProxy in 2 s, a promotion in 0.2 s).
func TypicalRecovery(target topology.Target) time.Duration {
	if target == topology.TargetAWS {
		return 2 * time.Minute
	}
	return 3 * time.Second
}

// DNSDetection is how long the DNS health checks of a service's name take
// to declare a region's endpoint down, and how: on AWS Route 53's request
// interval times its failure threshold (awsDNSDetection); on the local
// target PowerDNS's ifurlup checks, every second, one failure enough
// (DESIGN.md).
func DNSDetection(target topology.Target, s topology.Service) (time.Duration, string) {
	if target == topology.TargetAWS {
		return awsDNSDetection(s)
	}
	return time.Second, "PowerDNS ifurlup checks every 1s"
}

// stopWatch polls the stop conditions until stopped; the first breach is
// kept and closes breached.
type stopWatch struct {
	mu       sync.Mutex
	alarms   []string
	breached chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

func watchStopConditions(ctx context.Context, o Options) *stopWatch {
	w := &stopWatch{breached: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	if o.StopConditions == nil {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		for {
			tick, cancel := o.Clock.WithTimeout(ctx, o.StopEvery)
			select {
			case <-w.quit:
				cancel()
				return
			case <-ctx.Done():
				cancel()
				return
			case <-tick.Done():
			}
			cancel()
			alarms, err := o.StopConditions.Breached(ctx, o.BlastRadius)
			if err != nil || len(alarms) == 0 {
				continue // an unreachable monitoring is not a breach; the probe still judges the drill
			}
			w.mu.Lock()
			w.alarms = alarms
			w.mu.Unlock()
			close(w.breached)
			return
		}
	}()
	return w
}

func (w *stopWatch) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
}

// fired returns the breach, if one happened.
func (w *stopWatch) fired() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.alarms
}

// Run runs the pipeline: preflight, probe, inject, observe, recover, verify,
// restore, report. The report is returned even when a step failed.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	clk := o.Clock
	if c, ok := o.Scenario.(Clocked); ok {
		c.UseClock(clk)
	}
	pc := probeClockOf(clk)
	r := &Report{Environment: o.Topology.Environment.Name, Service: o.Service.Name, Scenario: o.Scenario.Name(), Region: o.Region, Started: clk.Now()}
	if o.Estimated != nil {
		r.Estimated = *o.Estimated
	}
	if obj, ok := o.Topology.Environment.Objective(o.Scenario.Disruption()); ok {
		r.Target = Numbers{RTOSeconds: obj.RTO.Seconds(), RPOSeconds: obj.RPO.Seconds(), Known: true}
	}
	step := func(name string, fn func() (string, error)) error {
		start := clk.Now()
		err := steps.Run(&r.Steps, o.Progress, name, fn)
		r.Steps[len(r.Steps)-1].Start, r.Steps[len(r.Steps)-1].End = start, clk.Now() // on the drill's clock
		return err
	}
	newProbe := func(interval time.Duration) *Probe {
		return &Probe{DNSServer: o.DNSServer, Lookup: o.Lookup, Name: o.Service.DNS.FQDN(), Port: o.Port, HTTPS: o.HTTPS, Interval: pc.wall(interval), TTL: pc.wall(o.Service.DNS.TTL)}
	}
	probe := newProbe(o.Interval)
	attemptsOf := func(p *Probe) []Attempt { return pc.onClock(p.Attempts()) }
	first := time.Now().UnixMilli() * 1000 // numbers no earlier drill used
	finish := func(err error) (*Report, error) {
		r.Finished = clk.Now()
		r.Attempts = attemptsOf(probe)
		return r, err
	}
	o.Progress(fmt.Sprintf("deadline: %s after the recovery steps (%s)", o.Deadline, o.deadlineHow))

	err := step("preflight", func() (string, error) {
		var passed []string
		for _, c := range o.Checks {
			detail, err := c.Run(ctx)
			if err != nil {
				return "", fmt.Errorf("%w: %s: %w", ErrPreflight, c.Name, err)
			}
			passed = append(passed, detail)
		}
		// the service must answer within 3 s of wall time: a bound on
		// requests, not on AWS's state
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		pre := newProbe(pc.clockOf(100 * time.Millisecond))
		done := make(chan struct{})
		go func() { defer close(done); pre.Run(pctx, first-100) }()
		for answered := false; !answered; {
			select {
			case <-done:
				answered = true
			case <-time.After(50 * time.Millisecond):
				for _, a := range pre.Attempts() {
					answered = answered || a.OK
				}
			}
		}
		cancel()
		<-done
		for _, a := range pre.Attempts() {
			if a.OK {
				passed = append(passed, fmt.Sprintf("%s takes writes", probe.Name))
				if o.StopConditions != nil {
					// alarms of an earlier disruption clear within a few
					// evaluations; past the settle time, the environment is
					// not steady enough to learn anything from a drill
					settle := clk.Now().Add(o.StopSettle)
					for {
						alarms, err := o.StopConditions.Breached(ctx, nil)
						if err != nil {
							return "", fmt.Errorf("%w: stop conditions: %w", ErrPreflight, err)
						}
						if len(alarms) == 0 {
							break
						}
						if clk.Now().After(settle) {
							return "", fmt.Errorf("%w: alarms fire before the drill, the environment is not steady: %s", ErrPreflight, strings.Join(alarms, "; "))
						}
						if err := clk.Sleep(ctx, o.StopEvery); err != nil {
							return "", err
						}
					}
					passed = append(passed, "no alarm fires")
				}
				passed = append(passed, fmt.Sprintf("deadline %s (%s)", o.Deadline, o.deadlineHow))
				return strings.Join(passed, "; "), nil
			}
		}
		last := "no attempt"
		if at := pre.Attempts(); len(at) > 0 {
			last = at[len(at)-1].Error
		}
		return "", fmt.Errorf("%w: %s does not accept writes: %s", ErrPreflight, probe.Name, last)
	})
	if err != nil {
		return finish(err)
	}

	// the probe runs until the drill has seen the service recover, or the
	// deadline after the recovery steps passed, however long they took
	pctx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan struct{})
	go func() { defer close(probed); probe.Run(pctx, first) }()
	stop := func() { stopProbe(); <-probed }
	_ = clk.Sleep(ctx, o.Baseline)

	watch := watchStopConditions(ctx, o)
	defer watch.stop()
	if err := step("inject", func() (string, error) {
		r.Injected = clk.Now()
		return o.Scenario.Inject(ctx)
	}); err != nil {
		stop()
		return finish(err)
	}
	copies, isCopy := o.Scenario.(CopyVerifier)
	_ = step("detect", func() (string, error) {
		if isCopy {
			return "the loss is declared at the injection; nothing to observe", nil
		}
		// automation acts on a failure seen, or after a bounded window
		window := clk.Now().Add(o.Detect)
		for clk.Now().Before(window) {
			for _, a := range attemptsOf(probe) {
				if !a.OK && !a.At.Before(r.Injected) {
					return fmt.Sprintf("the probe failed %s after the injection", a.At.Sub(r.Injected).Round(time.Millisecond)), nil
				}
			}
			if err := clk.Sleep(ctx, o.Interval); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("no failure seen within %s", o.Detect), nil
	})
	aborted := func() error {
		if alarms := watch.fired(); len(alarms) > 0 {
			return fmt.Errorf("%w: an alarm fired outside the blast radius %v: %s", ErrAborted, o.BlastRadius, strings.Join(alarms, "; "))
		}
		return nil
	}
	_ = step("recover", func() (string, error) {
		if err := aborted(); err != nil {
			return "", err
		}
		return o.Scenario.Recover(ctx)
	})
	_ = step("observe", func() (string, error) {
		// the deadline counts from the end of the recovery steps
		deadline := clk.Now().Add(o.Deadline)
		for clk.Now().Before(deadline) {
			if err := aborted(); err != nil {
				return "", err
			}
			if recovered(attemptsOf(probe), r.Injected, o.Steady) {
				return fmt.Sprintf("the probe succeeds steadily again (deadline %s, %s)", o.Deadline, o.deadlineHow), nil
			}
			tick, cancel := clk.WithTimeout(ctx, o.Interval)
			select {
			case <-ctx.Done():
				cancel()
				return "", ctx.Err()
			case <-watch.breached:
			case <-tick.Done():
			}
			cancel()
		}
		return "", fmt.Errorf("not recovered within %s after the recovery steps (%s)", o.Deadline, o.deadlineHow)
	})
	_ = clk.Sleep(ctx, o.Steady) // a tail of attempts after recovery
	stop()
	attempts := attemptsOf(probe)
	r.Outage = MeasureOutage(attempts, r.Injected)
	present := probe.Present
	if isCopy {
		ready := copies.CopyReady()
		r.Outage = Outage{FirstFailure: r.Injected, Recovered: ready, Unrecovered: ready.IsZero()}
		// only what was acknowledged before the loss can be in the copy
		attempts = slices.DeleteFunc(slices.Clone(attempts), func(a Attempt) bool { return !a.At.Before(r.Injected) })
		present = copies.CopyPresent
	}
	_ = step("verify", func() (string, error) {
		// a bound on the read-back's requests, in wall time
		vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		last := first
		if len(attempts) > 0 {
			last = attempts[len(attempts)-1].Seq
		}
		held, err := present(vctx, first, last)
		if err != nil {
			return "", err
		}
		r.Data = MeasureDataLoss(attempts, held)
		detail := fmt.Sprintf("%d acknowledged writes, %d missing", r.Data.Acknowledged, len(r.Data.Lost))
		if audit, ok := o.Scenario.(WriterAudit); ok {
			w, err := audit.Writers(vctx)
			if err != nil {
				return detail, fmt.Errorf("writers: %w", err)
			}
			r.Writers = w
			detail += "; writers " + describeWriters(w)
		}
		return detail, nil
	})
	var restoreErr error
	abortErr := aborted()
	if o.NoRestore && abortErr == nil {
		o.Progress("restore: skipped (--no-restore): the environment stays failed over")
	} else {
		restoreErr = step("restore", func() (string, error) { return o.Scenario.Restore(ctx) })
	}
	watch.stop()
	r.StopAlarms = watch.fired()
	if s := o.Service.SLO; s != nil && len(attempts) > 0 {
		// what the drill's own traffic spent, scaled to the window at the
		// probe's rate: the share of the window's budget the drill cost
		failed := 0
		for _, a := range attempts {
			if !a.OK {
				failed++
			}
		}
		span := attempts[len(attempts)-1].At.Sub(attempts[0].At) + o.Interval
		b := slo.Spend(*s, float64(failed), float64(len(attempts)), span)
		r.ErrorBudget = &b
	}

	lost := len(r.Data.Lost)
	r.Measured = Numbers{RTOSeconds: r.Outage.RTO().Seconds(), RPOSeconds: r.Data.Window.Seconds(), WritesLost: &lost, Known: !r.Outage.Unrecovered}
	r.Checks = checks(r, o)
	if abortErr != nil {
		return finish(errors.Join(abortErr, restoreErr))
	}
	return finish(restoreErr)
}

// probeClock maps between the drill's clock and the wall time the probe
// (probe.go) keeps: a scaled clock runs a constant factor faster than the
// wall clock, so the drill hands the probe wall durations and reads its
// attempts' times back onto its own clock, from one reading of both. On
// the wall clock it changes nothing.
type probeClock struct {
	factor        float64
	wall0, clock0 time.Time
}

func probeClockOf(c clock.Clock) probeClock {
	f := 1.0
	if s, ok := c.(interface{ Factor() float64 }); ok && s.Factor() > 0 {
		f = s.Factor()
	}
	return probeClock{factor: f, wall0: time.Now(), clock0: c.Now()}
}

// wall is how long d of the drill's clock lasts on the wall clock.
func (p probeClock) wall(d time.Duration) time.Duration { return time.Duration(float64(d) / p.factor) }

// clockOf is how long d of wall time lasts on the drill's clock.
func (p probeClock) clockOf(d time.Duration) time.Duration {
	return time.Duration(float64(d) * p.factor)
}

// onClock puts attempts the probe timed on the wall clock onto the drill's clock.
func (p probeClock) onClock(attempts []Attempt) []Attempt {
	if p.factor == 1 {
		return attempts
	}
	for i := range attempts {
		attempts[i].At = p.clock0.Add(p.clockOf(attempts[i].At.Sub(p.wall0)))
		attempts[i].Latency = p.clockOf(attempts[i].Latency)
	}
	return attempts
}

// PreflightCheck is a condition the environment must meet before a drill.
type PreflightCheck struct {
	Name string
	Run  func(ctx context.Context) (string, error)
}

// recovered reports whether the probe has succeeded for at least steady
// since the later of the injection and its last failure.
func recovered(attempts []Attempt, injected time.Time, steady time.Duration) bool {
	if len(attempts) == 0 {
		return false
	}
	since := injected
	for _, a := range attempts {
		if !a.OK && a.At.After(since) {
			since = a.At
		}
	}
	last := attempts[len(attempts)-1]
	return last.OK && last.At.Sub(since) >= steady
}

func checks(r *Report, o Options) []Check {
	var out []Check
	recoveredMsg := fmt.Sprintf("the probe recovered: %d failed attempts, RTO %s", r.Outage.Failed, r.Outage.RTO().Round(time.Millisecond))
	if r.Outage.Unrecovered {
		recoveredMsg = fmt.Sprintf("the probe did not recover within %s after the recovery steps (%s; %d failed attempts)", o.Deadline, o.deadlineHow, r.Outage.Failed)
	}
	out = append(out, Check{Name: "recovered", Passed: !r.Outage.Unrecovered && r.Data.Acknowledged > 0, Message: recoveredMsg})
	if r.Target.Known {
		out = append(out, Check{Name: "rto-within-target", Passed: !r.Outage.Unrecovered && r.Measured.RTOSeconds <= r.Target.RTOSeconds,
			Message: fmt.Sprintf("measured RTO %s, target %s", secs(r.Measured.RTOSeconds), secs(r.Target.RTOSeconds))})
		out = append(out, Check{Name: "rpo-within-target", Passed: r.Measured.RPOSeconds <= r.Target.RPOSeconds,
			Message: fmt.Sprintf("measured RPO %s (%d writes lost), target %s", secs(r.Measured.RPOSeconds), len(r.Data.Lost), secs(r.Target.RPOSeconds))})
	}
	if o.StopConditions != nil {
		msg := fmt.Sprintf("no alarm fired outside the blast radius %v", o.BlastRadius)
		if len(r.StopAlarms) > 0 {
			msg = fmt.Sprintf("aborted and restored: alarms fired outside the blast radius %v: %s", o.BlastRadius, strings.Join(r.StopAlarms, "; "))
		}
		out = append(out, Check{Name: "stop-conditions", Passed: len(r.StopAlarms) == 0, Message: msg})
	}
	if _, audited := o.Scenario.(WriterAudit); audited {
		one := r.Writers != nil
		for _, regions := range r.Writers {
			one = one && len(regions) <= 1
		}
		out = append(out, Check{Name: "one-writer", Passed: one,
			Message: "databases accepting writes, per service, after the recovery: " + describeWriters(r.Writers)})
	}
	if _, isCopy := o.Scenario.(CopyVerifier); isCopy {
		return out // a restore holds what was archived, whatever the replication
	}
	if db := o.Service.Database; db != nil && db.Replication == topology.Synchronous {
		out = append(out, Check{Name: "sync-replication-loses-nothing", Passed: len(r.Data.Lost) == 0,
			Message: fmt.Sprintf("%d acknowledged writes lost with synchronous replication", len(r.Data.Lost))})
	}
	return out
}

// describeWriters renders service → writer regions, sorted ("none" when unknown).
func describeWriters(w map[string][]string) string {
	if w == nil {
		return "unknown"
	}
	var parts []string
	for _, svc := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%s %v", svc, w[svc]))
	}
	if len(parts) == 0 {
		return "none (no database)"
	}
	return strings.Join(parts, ", ")
}
