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
	// CopyPresent returns which of the writes first..last the copy holds.
	CopyPresent(ctx context.Context, first, last int64) ([]int64, error)
	// CopyReady is when the copy took queries (zero when it never did).
	CopyReady() time.Time
}

// PointInTimeCopy is a copy whose rows the drill cannot read (a restored
// cluster inside a VPC): what it holds is decided by the time of the
// recovery point it came from. A write acknowledged by then counts as in
// the copy; one acknowledged later as lost.
type PointInTimeCopy interface {
	CopyAsOf() time.Time
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
	// injection (default 2 s), Deadline for recovery (default 30 s), and
	// Steady: how long the probe must succeed without a failure to call the
	// service recovered (default 1 s); Detect bounds how long the drill waits
	// for a failure before it runs the recovery steps (default 3 s).
	Interval, Baseline, Deadline, Steady, Detect time.Duration
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
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 50 * time.Millisecond
	}
	if o.Baseline <= 0 {
		o.Baseline = 2 * time.Second
	}
	if o.Deadline <= 0 {
		o.Deadline = 30 * time.Second
	}
	if o.Steady <= 0 {
		o.Steady = time.Second
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
			select {
			case <-w.quit:
				return
			case <-ctx.Done():
				return
			case <-time.After(o.StopEvery):
			}
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
	r := &Report{Environment: o.Topology.Environment.Name, Service: o.Service.Name, Scenario: o.Scenario.Name(), Region: o.Region, Started: time.Now()}
	if o.Estimated != nil {
		r.Estimated = *o.Estimated
	}
	if obj, ok := o.Topology.Environment.Objective(o.Scenario.Disruption()); ok {
		r.Target = Numbers{RTOSeconds: obj.RTO.Seconds(), RPOSeconds: obj.RPO.Seconds(), Known: true}
	}
	step := func(name string, fn func() (string, error)) error { return steps.Run(&r.Steps, o.Progress, name, fn) }
	newProbe := func(interval time.Duration) *Probe {
		return &Probe{DNSServer: o.DNSServer, Lookup: o.Lookup, Name: o.Service.DNS.FQDN(), Port: o.Port, HTTPS: o.HTTPS, Interval: interval, TTL: o.Service.DNS.TTL}
	}
	probe := newProbe(o.Interval)
	first := time.Now().UnixMilli() * 1000 // numbers no earlier drill used
	finish := func(err error) (*Report, error) {
		r.Finished = time.Now()
		r.Attempts = probe.Attempts()
		return r, err
	}

	err := step("preflight", func() (string, error) {
		var passed []string
		for _, c := range o.Checks {
			detail, err := c.Run(ctx)
			if err != nil {
				return "", fmt.Errorf("%w: %s: %w", ErrPreflight, c.Name, err)
			}
			passed = append(passed, detail)
		}
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		pre := newProbe(100 * time.Millisecond)
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
					settle := time.Now().Add(o.StopSettle)
					for {
						alarms, err := o.StopConditions.Breached(ctx, nil)
						if err != nil {
							return "", fmt.Errorf("%w: stop conditions: %w", ErrPreflight, err)
						}
						if len(alarms) == 0 {
							break
						}
						if time.Now().After(settle) {
							return "", fmt.Errorf("%w: alarms fire before the drill, the environment is not steady: %s", ErrPreflight, strings.Join(alarms, "; "))
						}
						select {
						case <-ctx.Done():
							return "", ctx.Err()
						case <-time.After(o.StopEvery):
						}
					}
					passed = append(passed, "no alarm fires")
				}
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

	pctx, stopProbe := context.WithTimeout(ctx, o.Baseline+o.Deadline+10*time.Second)
	defer stopProbe()
	probed := make(chan struct{})
	go func() { defer close(probed); probe.Run(pctx, first) }()
	stop := func() { stopProbe(); <-probed }
	time.Sleep(o.Baseline)

	watch := watchStopConditions(ctx, o)
	defer watch.stop()
	if err := step("inject", func() (string, error) {
		r.Injected = time.Now()
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
		window := time.Now().Add(o.Detect)
		for time.Now().Before(window) {
			for _, a := range probe.Attempts() {
				if !a.OK && !a.At.Before(r.Injected) {
					return fmt.Sprintf("the probe failed %s after the injection", a.At.Sub(r.Injected).Round(time.Millisecond)), nil
				}
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(o.Interval):
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
		deadline := time.Now().Add(o.Deadline)
		for time.Now().Before(deadline) {
			if err := aborted(); err != nil {
				return "", err
			}
			if recovered(probe.Attempts(), r.Injected, o.Steady) {
				return "the probe succeeds steadily again", nil
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-watch.breached:
			case <-time.After(o.Interval):
			}
		}
		return "", fmt.Errorf("not recovered within %s", o.Deadline)
	})
	time.Sleep(o.Steady) // a tail of attempts after recovery
	stop()
	attempts := probe.Attempts()
	r.Outage = MeasureOutage(attempts, r.Injected)
	present := probe.Present
	if isCopy {
		ready := copies.CopyReady()
		r.Outage = Outage{FirstFailure: r.Injected, Recovered: ready, Unrecovered: ready.IsZero()}
		// only what was acknowledged before the loss can be in the copy
		attempts = slices.DeleteFunc(slices.Clone(attempts), func(a Attempt) bool { return !a.At.Before(r.Injected) })
		present = copies.CopyPresent
		if pit, ok := o.Scenario.(PointInTimeCopy); ok {
			asOf := pit.CopyAsOf()
			present = func(context.Context, int64, int64) ([]int64, error) {
				var held []int64
				for _, a := range attempts {
					if a.OK && !a.At.Add(a.Latency).After(asOf) { // acknowledged by then
						held = append(held, a.Seq)
					}
				}
				return held, nil
			}
		}
	}
	_ = step("verify", func() (string, error) {
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
		recoveredMsg = fmt.Sprintf("the probe did not recover within %s (%d failed attempts)", o.Deadline, r.Outage.Failed)
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
