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

// Run runs the pipeline: preflight, probe, inject, detect, recover,
// observe, verify, restore, report. The report is returned even when a
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	if c, ok := o.Scenario.(Clocked); ok {
		c.UseClock(o.Clock)
	}
	d := &run{o: o, clk: o.Clock, pc: probeClockOf(o.Clock)}
	d.r = &Report{Environment: o.Topology.Environment.Name, Service: o.Service.Name, Scenario: string(o.Scenario.Name()), Region: o.Region, Started: d.clk.Now()}
	if o.Estimated != nil {
		d.r.Estimated = *o.Estimated
	}
	if obj, ok := o.Topology.Environment.Objective(o.Scenario.Disruption()); ok {
		d.r.Target = Numbers{RTOSeconds: obj.RTO.Seconds(), RPOSeconds: obj.RPO.Seconds(), Known: true}
	}
	g, degrades := o.Scenario.(Degrader)
	if degrades {
		d.degradation = g.Degradation()
	}
	d.probe = d.newProbe(o.Interval)
	d.first = time.Now().UnixMilli() * 1000 // numbers no earlier drill used
	if degrades {
		o.Progress(fmt.Sprintf("%s; deadline: %s after the restore to answer whole again (%s)", d.degradation.Fault.Describe(o.Scenario.Name(), o.Service.Name), o.Deadline, o.deadlineHow))
		return d.degrade(ctx, d.degradation)
	}
	o.Progress(fmt.Sprintf("deadline: %s after the recovery steps (%s)", o.Deadline, o.deadlineHow))

	if err := d.step("preflight", func() (string, error) { return d.preflight(ctx) }); err != nil {
		return d.finish(err)
	}

	// the probe runs until the drill has seen the service recover, or the
	// deadline after the recovery steps passed, however long they took
	pctx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan struct{})
	go func() { defer close(probed); d.probe.Run(pctx, d.first) }()
	stop := func() { stopProbe(); <-probed }
	_ = d.clk.Sleep(ctx, o.Baseline)

	d.watch = watchStopConditions(ctx, o)
	defer d.watch.stop()
	if err := d.step("inject", func() (string, error) {
		d.r.Injected = d.clk.Now()
		msg, err := o.Scenario.Inject(ctx)
		if c, ok := o.Scenario.(Conditioned); ok && err == nil {
			if est, ok := c.Condition(d.r.Estimated); ok {
				d.r.Estimated = est
				msg += "; estimate for what was found: " + est.How
			}
		}
		return msg, err
	}); err != nil {
		stop()
		return d.finish(err)
	}
	moved := d.watchDNS(pctx)
	copies, isCopy := o.Scenario.(CopyVerifier)
	_ = d.step("detect", func() (string, error) {
		if isCopy {
			return "the loss is declared at the injection; nothing to observe", nil
		}
		return d.detect(ctx)
	})
	_ = d.step("recover", func() (string, error) {
		if err := d.aborted(); err != nil {
			return "", err
		}
		return o.Scenario.Recover(ctx)
	})
	_ = d.step("observe", func() (string, error) { return d.observe(ctx) })
	_ = d.clk.Sleep(ctx, o.Steady) // a tail of attempts after recovery
	stop()
	attempts := d.attempts()
	d.r.Outage = MeasureOutage(attempts, d.r.Injected)
	if m, ok := moved(); ok {
		secs := m.Seconds()
		d.r.DNSMovedSeconds = &secs
		if o.GivenDNSMove != nil && !isCopy {
			if est, ok := o.GivenDNSMove(m); ok {
				d.r.Estimated = est
			}
		}
	}
	present := d.probe.Present
	if isCopy {
		ready := copies.CopyReady()
		d.r.Outage = Outage{FirstFailure: d.r.Injected, Recovered: ready, Unrecovered: ready.IsZero()}
		// only what was acknowledged before the loss can be in the copy
		attempts = slices.DeleteFunc(slices.Clone(attempts), func(a Attempt) bool { return !a.At.Before(d.r.Injected) })
		present = copies.CopyPresent
	}
	_ = d.step("verify", func() (string, error) { return d.verify(ctx, attempts, present) })
	var restoreErr error
	abortErr := d.aborted()
	if o.NoRestore && abortErr == nil {
		o.Progress("restore: skipped (--no-restore): the environment stays failed over")
	} else {
		restoreErr = d.step("restore", func() (string, error) { return o.Scenario.Restore(ctx) })
	}
	d.watch.stop()
	d.r.StopAlarms = d.watch.fired()
	d.r.ErrorBudget = budgetSpent(o, attempts)

	lost := len(d.r.Data.Lost)
	d.r.Measured = Numbers{RTOSeconds: d.r.Outage.RTO().Seconds(), RPOSeconds: d.r.Data.Window.Seconds(), WritesLost: &lost, Known: !d.r.Outage.Unrecovered}
	d.r.Checks = checks(d.r, o)
	if abortErr != nil {
		return d.finish(errors.Join(abortErr, restoreErr))
	}
	return d.finish(restoreErr)
}

// run is one drill under way: its options, clock, report, probe and the
// stop conditions' watch; each phase of Run is a method.
// step runs one step of the pipeline, timed on the drill's clock.
type run struct {
	o     Options
	clk   clock.Clock
	pc    probeClock
	r     *Report
	probe *Probe
	first int64 // the first write's number
	watch *stopWatch
	// degradation is a Degrader's (zero for a failure recovered from)
	degradation Degradation
}

// step failed.
func (d *run) step(name string, fn func() (string, error)) error {
	start := d.clk.Now()
	err := steps.Run(&d.r.Steps, d.o.Progress, name, fn)
	d.r.Steps[len(d.r.Steps)-1].Start, d.r.Steps[len(d.r.Steps)-1].End = start, d.clk.Now() // on the drill's clock
	return err
}

func (d *run) newProbe(interval time.Duration) *Probe {
	o := d.o
	p := &Probe{DNSServer: o.DNSServer, Lookup: o.Lookup, Name: o.Service.DNS.FQDN(), Port: o.Port, HTTPS: o.HTTPS, Interval: d.pc.wall(interval), TTL: d.pc.wall(o.Service.DNS.TTL)}
	if len(d.degradation.Asks) > 0 {
		p.Asks, p.Timeout = d.degradation.Asks, degradeTimeout(o)
	}
	return p
}

// degradeTimeout bounds one request of a degradation's probe: twice the
// longest budget the service declares for a dependency, plus a second,
// and at least 2 s (a caller that keeps its budgets answers well within
// it; one that does not is counted failed at it).
func degradeTimeout(o Options) time.Duration {
	var longest time.Duration
	for _, dep := range o.Service.Dependencies {
		longest = max(longest, dep.Budget())
	}
	return max(2*time.Second, 2*longest+time.Second)
}

// watchDNS asks the DNS server for the service's name every interval from
// now until ctx ends, and returns a function telling how long after now the
// answer first changed, on the drill's clock (false: it did not, or the
// name never resolved).
func (d *run) watchDNS(ctx context.Context) func() (time.Duration, bool) {
	var mu sync.Mutex
	var moved time.Duration
	changed := false
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		var before []string
		tick := time.NewTicker(d.probe.Interval)
		defer tick.Stop()
		for {
			lctx, cancel := context.WithTimeout(ctx, max(d.probe.Interval, 200*time.Millisecond))
			got, err := d.probe.lookup(lctx, d.probe.Name)
			cancel()
			if err == nil && len(got) > 0 {
				slices.Sort(got)
				if before == nil {
					before = got
				} else if !slices.Equal(before, got) {
					mu.Lock()
					moved, changed = time.Since(start), true
					mu.Unlock()
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() (time.Duration, bool) {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return d.pc.clockOf(moved), changed
	}
}

// attempts are the probe's attempts so far, on the drill's clock.
func (d *run) attempts() []Attempt { return d.pc.onClock(d.probe.Attempts()) }

// finish closes the report. A step that failed where no check judges it
// (the preflight refused, the injection or the read-back failed, the
// return to the steady state failed) becomes a failed check of its own:
// a drill that did not run its course, or did not restore, has not passed.
func (d *run) finish(err error) (*Report, error) {
	d.r.Finished = d.clk.Now()
	d.r.Attempts = d.attempts()
	for _, s := range d.r.Steps {
		if s.Error != "" && stepsChecked[s.Name] {
			d.r.Checks = append(d.r.Checks, Check{Name: s.Name, Passed: false, Message: s.Name + " failed: " + s.Error})
		}
	}
	return d.r, err
}

// stepsChecked are the steps whose failure no other check judges.
var stepsChecked = map[string]bool{"preflight": true, "inject": true, "verify": true, "restore": true}

// aborted is the stop conditions' breach, if one happened.
func (d *run) aborted() error {
	if alarms := d.watch.fired(); len(alarms) > 0 {
		return fmt.Errorf("%w: an alarm fired outside the blast radius %v: %s", ErrAborted, d.o.BlastRadius, strings.Join(alarms, "; "))
	}
	return nil
}

// preflight runs the checks, then makes sure the service takes writes and
// that no alarm fires (waiting up to StopSettle for earlier ones to clear).
func (d *run) preflight(ctx context.Context) (string, error) {
	o := d.o
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
	pre := d.newProbe(d.pc.clockOf(100 * time.Millisecond))
	pre.Clients = 1
	if len(pre.Asks) > 1 {
		pre.Asks = pre.Asks[:1] // the first ask: the page or the cached path
	}
	done := make(chan struct{})
	go func() { defer close(done); pre.Run(pctx, d.first-100) }()
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
	if !slices.ContainsFunc(pre.Attempts(), func(a Attempt) bool { return a.OK }) {
		last := "no attempt"
		if at := pre.Attempts(); len(at) > 0 {
			last = at[len(at)-1].Error
		}
		if len(pre.Asks) > 0 && !pre.Asks[0].IsWrite() {
			return "", fmt.Errorf("%w: %s does not answer %s: %s", ErrPreflight, probeWhere(pre), pre.Asks[0], last)
		}
		return "", fmt.Errorf("%w: %s does not accept writes: %s", ErrPreflight, d.probe.Name, last)
	}
	if len(pre.Asks) > 0 && !pre.Asks[0].IsWrite() {
		passed = append(passed, fmt.Sprintf("%s answers %s", probeWhere(pre), pre.Asks[0]))
	} else {
		passed = append(passed, fmt.Sprintf("%s takes writes", d.probe.Name))
	}
	if o.StopConditions != nil {
		if err := d.settle(ctx); err != nil {
			return "", err
		}
		passed = append(passed, "no alarm fires")
	}
	passed = append(passed, fmt.Sprintf("deadline %s (%s)", o.Deadline, o.deadlineHow))
	return strings.Join(passed, "; "), nil
}

// probeWhere names where a probe's first ask goes: its own addresses, or
// the service's name.
func probeWhere(p *Probe) string {
	if len(p.Asks) > 0 && len(p.Asks[0].Addresses) > 0 {
		return strings.Join(p.Asks[0].Addresses, ", ")
	}
	return p.Name
}

// settle waits for alarms of an earlier disruption to clear: they do
// within a few evaluations; past StopSettle, the environment is not steady
// enough to learn anything from a drill.
func (d *run) settle(ctx context.Context) error {
	settle := d.clk.Now().Add(d.o.StopSettle)
	for {
		alarms, err := d.o.StopConditions.Breached(ctx, nil)
		if err != nil {
			return fmt.Errorf("%w: stop conditions: %w", ErrPreflight, err)
		}
		if len(alarms) == 0 {
			return nil
		}
		if d.clk.Now().After(settle) {
			return fmt.Errorf("%w: alarms fire before the drill, the environment is not steady: %s", ErrPreflight, strings.Join(alarms, "; "))
		}
		if err := d.clk.Sleep(ctx, d.o.StopEvery); err != nil {
			return err
		}
	}
}

// detect waits for the probe to see the failure: automation acts on a
// failure seen, or after a bounded window (Detect).
func (d *run) detect(ctx context.Context) (string, error) {
	window := d.clk.Now().Add(d.o.Detect)
	for d.clk.Now().Before(window) {
		for _, a := range d.attempts() {
			if !a.OK && !a.At.Before(d.r.Injected) {
				return fmt.Sprintf("the probe failed %s after the injection", a.At.Sub(d.r.Injected).Round(time.Millisecond)), nil
			}
		}
		if err := d.clk.Sleep(ctx, d.o.Interval); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("no failure seen within %s", d.o.Detect), nil
}

// observe waits, from the end of the recovery steps, until the probe
// succeeds steadily again, the deadline passes, or a stop condition fires.
func (d *run) observe(ctx context.Context) (string, error) {
	o := d.o
	deadline := d.clk.Now().Add(o.Deadline)
	for d.clk.Now().Before(deadline) {
		if err := d.aborted(); err != nil {
			return "", err
		}
		if recovered(d.attempts(), d.r.Injected, o.Steady, o.Steady+2*o.Interval) {
			return fmt.Sprintf("the probe succeeds steadily again (deadline %s, %s)", o.Deadline, o.deadlineHow), nil
		}
		tick, cancel := d.clk.WithTimeout(ctx, o.Interval)
		select {
		case <-ctx.Done():
			cancel()
			return "", ctx.Err()
		case <-d.watch.breached:
		case <-tick.Done():
		}
		cancel()
	}
	return "", fmt.Errorf("not recovered within %s after the recovery steps (%s)", o.Deadline, o.deadlineHow)
}

// verify reads back which acknowledged writes survived (from the service,
// or from the copy), and audits the writers of a scenario that could
// leave two.
func (d *run) verify(ctx context.Context, attempts []Attempt, present func(ctx context.Context, first, last int64) ([]int64, error)) (string, error) {
	// a bound on the read-back's requests, in wall time
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	last := d.first
	for _, a := range attempts {
		last = max(last, a.Seq)
	}
	held, err := present(vctx, d.first, last)
	if err != nil {
		return "", err
	}
	d.r.Data = MeasureDataLoss(attempts, held)
	detail := fmt.Sprintf("%d acknowledged writes, %d missing", d.r.Data.Acknowledged, len(d.r.Data.Lost))
	if audit, ok := d.o.Scenario.(WriterAudit); ok {
		w, err := audit.Writers(vctx)
		if err != nil {
			return detail, fmt.Errorf("writers: %w", err)
		}
		d.r.Writers = w
		detail += "; writers " + describeWriters(w)
	}
	return detail, nil
}

// budgetSpent is what the drill's own traffic spent of the service's
// error budget, scaled to the SLO window at the probe's rate: the share
// of the window's budget the drill cost (nil without an SLO or attempts).
func budgetSpent(o Options, attempts []Attempt) *slo.Budget {
	s := o.Service.SLO
	if s == nil || len(attempts) == 0 {
		return nil
	}
	failed := 0
	for _, a := range attempts {
		if !a.OK {
			failed++
		}
	}
	span := attempts[len(attempts)-1].At.Sub(attempts[0].At) + o.Interval
	b := slo.Spend(*s, float64(failed), float64(len(attempts)), span)
	return &b
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

// recovered reports whether every client of the probe has succeeded for
// at least steady since the later of the injection and its own last
// failure, and has been heard from within quiet of the newest attempt (a
// client whose write hangs has not recovered yet).
func recovered(attempts []Attempt, injected time.Time, steady, quiet time.Duration) bool {
	if len(attempts) == 0 {
		return false
	}
	newest := attempts[len(attempts)-1].At
	last := map[int]Attempt{}
	since := map[int]time.Time{}
	for _, a := range attempts {
		last[a.Client] = a
		if _, ok := since[a.Client]; !ok {
			since[a.Client] = injected
		}
		if !a.OK && a.At.After(since[a.Client]) {
			since[a.Client] = a.At
		}
	}
	for client, a := range last {
		if !a.OK || a.At.Sub(since[client]) < steady || newest.Sub(a.At) > quiet {
			return false
		}
	}
	return true
}

func checks(r *Report, o Options) []Check {
	var out []Check
	recoveredMsg := fmt.Sprintf("the probe recovered: %d failed attempts, RTO %s", r.Outage.Failed, r.Outage.RTO().Round(time.Millisecond))
	if n := len(r.Outage.Clients); n > 1 {
		recoveredMsg = fmt.Sprintf("the probe recovered: %d failed attempts; RTO %s for a client typically (the mean of its %d clients), %s at longest",
			r.Outage.Failed, r.Outage.RTO().Round(time.Millisecond), n, r.Outage.Longest().Round(time.Millisecond))
	}
	if r.Outage.Unrecovered {
		recoveredMsg = fmt.Sprintf("the probe did not recover within %s after the recovery steps (%s; %d failed attempts)", o.Deadline, o.deadlineHow, r.Outage.Failed)
	}
	out = append(out, Check{Name: "recovered", Passed: !r.Outage.Unrecovered && r.Data.Acknowledged > 0, Message: recoveredMsg})
	if r.Target.Known {
		// no client may wait longer than the target, not only the typical one
		longest := r.Outage.Longest().Seconds()
		out = append(out, Check{Name: "rto-within-target", Passed: !r.Outage.Unrecovered && longest <= r.Target.RTOSeconds,
			Message: fmt.Sprintf("measured RTO %s (the longest a client saw %s), target %s", secs(r.Measured.RTOSeconds), secs(longest), secs(r.Target.RTOSeconds))})
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
