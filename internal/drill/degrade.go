package drill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/slo"
)

// Degrader is a scenario a service is to ride out degraded rather than
// recover from (DegradationNames): the drill holds the failure for the
// fault's Hold while the probe asks what the degradation names, heals it
// (Restore), waits until the service answers whole again, and judges the
// answers of each phase (baseline, disrupted, after) rather than an RTO.
type Degrader interface {
	Scenario
	Degradation() Degradation
}

// Degradation is what a degradation drill holds and what its probe asks.
type Degradation struct {
	Fault Fault
	// Asks are what the probe's clients ask, DefaultClients of them each:
	// GET / of the caller (dependency-loss, latency), the numbered write
	// too when the service queues its writes and the database is what is
	// lost, the first cached path at every cache (origin-loss).
	Asks []Ask
}

// Drainer is a degradation after which the service has writes to drain
// from its queues: after the restore the drill waits, up to
// Options.DrainWait, for them to drain before it reads the writes back.
type Drainer interface {
	// Drain returns once every queue is empty (or ctx ends), with what
	// each region's queue held last.
	Drain(ctx context.Context) (map[string]QueueLeft, error)
}

// QueueLeft is what one region's write queue held when the drain ended.
type QueueLeft struct {
	Messages  uint64 `json:"messages"`
	Delivered uint64 `json:"delivered"`
	Acked     uint64 `json:"acked"`
}

// The phases of a degradation drill, by when a request started: before
// the injection, from it to the end of the restore, after that.
const (
	PhaseBaseline  = "baseline"
	PhaseDisrupted = "disrupted"
	PhaseAfter     = "after recovery"
)

// DegradeReport is what a degradation drill measured.
type DegradeReport struct {
	Fault Fault `json:"fault"`
	// Fault described in a sentence.
	What string `json:"what"`
	// Asks are what the probe asked ("GET /", "POST /writes").
	Asks []string `json:"asks"`
	// Restored is when the restore step ended: the disruption's end.
	Restored time.Time `json:"restored"`
	// Requests are the figures of each ask, phase by phase.
	Requests []RequestFigures `json:"requests"`
	// DisruptionBudget is what the requests failed during the disruption
	// spent of their own budget: failed ÷ (requests × (1 − availability))
	// (slo.Spend, unscaled; nil when the service declares no slo).
	DisruptionBudget *slo.Budget `json:"disruption_budget,omitempty"`
	// Queue are the queued writes' figures (the database's loss, with
	// writes probed).
	Queue *QueueFigures `json:"queue,omitempty"`
	// WholeAgain says whether every client was answered whole steadily
	// after the restore.
	WholeAgain bool `json:"whole_again"`
}

// RequestFigures are one ask's answers, phase by phase.
type RequestFigures struct {
	Request string         `json:"request"`
	Phases  []PhaseFigures `json:"phases"`
}

// Phase is the figures of one phase (zero when the ask made no request in it).
func (r RequestFigures) Phase(name string) PhaseFigures {
	for _, p := range r.Phases {
		if p.Phase == name {
			return p
		}
	}
	return PhaseFigures{Phase: name}
}

// PhaseFigures count the answers of one phase and their latencies. A
// latency is a request's, from its start to its answer or failure
// (a timeout counts its timeout); percentiles are nearest-rank: the
// p-th of n sorted latencies is the ⌈p/100 × n⌉-th.
type PhaseFigures struct {
	Phase         string  `json:"phase"`
	Requests      int     `json:"requests"`
	Whole         int     `json:"whole"`
	Degraded      int     `json:"degraded"`
	Failed        int     `json:"failed"`
	WholeShare    float64 `json:"whole_share"`
	DegradedShare float64 `json:"degraded_share"`
	FailedShare   float64 `json:"failed_share"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
}

// QueueFigures are what became of the probe's writes: acknowledged (201
// written, 202 queued), present afterwards in the read-back, lost
// (acknowledged, absent) and applied twice (listed more than once).
type QueueFigures struct {
	Acknowledged int     `json:"acknowledged"`
	Queued       int     `json:"queued"`
	Present      int     `json:"present"`
	Lost         []int64 `json:"lost"`
	// AppliedTwice are the writes the read-back lists more than once:
	// the service lists one row per write it holds, keyed by the write's
	// number, so a write the consumer applied twice would be listed twice
	// (the sample service's table takes the number as its primary key,
	// which makes it 0 by construction; the drill counts rather than
	// assumes).
	AppliedTwice []int64 `json:"applied_twice"`
	// Drained says whether every queue was empty before the read-back;
	// DrainSeconds when they were found empty, after the restore (an upper
	// bound: they are read once the service answers whole again); Left what each
	// region's queue held last.
	Drained      bool                 `json:"drained"`
	DrainSeconds float64              `json:"drain_seconds"`
	Left         map[string]QueueLeft `json:"left,omitempty"`
}

// Percentile is the nearest-rank p-th percentile of ds (0 for none).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(k, 1), len(s))-1]
}

// MeasurePhases counts each ask's answers phase by phase: whole (served,
// not degraded), degraded (served degraded: Classify) and failed; a
// request belongs to the phase it started in.
func MeasurePhases(attempts []Attempt, injected, restored time.Time) []RequestFigures {
	type key struct{ req, phase string }
	lat := map[key][]time.Duration{}
	counts := map[key]*PhaseFigures{}
	var order []string
	for _, a := range attempts {
		phase := PhaseDisrupted
		switch {
		case a.At.Before(injected):
			phase = PhaseBaseline
		case !restored.IsZero() && !a.At.Before(restored):
			phase = PhaseAfter
		}
		k := key{a.Request(), phase}
		if !slices.Contains(order, k.req) {
			order = append(order, k.req)
		}
		c := counts[k]
		if c == nil {
			c = &PhaseFigures{Phase: phase}
			counts[k] = c
		}
		c.Requests++
		switch {
		case !a.OK:
			c.Failed++
		case a.Degraded != "":
			c.Degraded++
		default:
			c.Whole++
		}
		lat[k] = append(lat[k], a.Latency)
	}
	slices.Sort(order)
	var out []RequestFigures
	for _, req := range order {
		rf := RequestFigures{Request: req}
		for _, phase := range []string{PhaseBaseline, PhaseDisrupted, PhaseAfter} {
			c := counts[key{req, phase}]
			if c == nil {
				continue
			}
			n := float64(c.Requests)
			c.WholeShare, c.DegradedShare, c.FailedShare = float64(c.Whole)/n, float64(c.Degraded)/n, float64(c.Failed)/n
			c.P50Ms = ms(Percentile(lat[key{req, phase}], 50))
			c.P99Ms = ms(Percentile(lat[key{req, phase}], 99))
			rf.Phases = append(rf.Phases, *c)
		}
		out = append(out, rf)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MeasureQueue reads what became of the probe's writes from the
// read-back (present: every write number the service lists, once per row).
func MeasureQueue(attempts []Attempt, present []int64) QueueFigures {
	rows := map[int64]int{}
	for _, s := range present {
		rows[s]++
	}
	q := QueueFigures{Lost: []int64{}, AppliedTwice: []int64{}}
	for _, a := range attempts {
		if !a.IsWrite() || !a.OK {
			continue
		}
		q.Acknowledged++
		if a.Queued {
			q.Queued++
		}
		if rows[a.Seq] > 0 {
			q.Present++
		} else {
			q.Lost = append(q.Lost, a.Seq)
		}
	}
	for _, s := range slices.Sorted(maps.Keys(rows)) {
		if rows[s] > 1 {
			q.AppliedTwice = append(q.AppliedTwice, s)
		}
	}
	slices.Sort(q.Lost)
	return q
}

// degrade runs a degradation: preflight, probe (a baseline), inject,
// hold, restore, observe until whole again, drain the queues, read the
// writes back, judge. The restore always runs (NoRestore is for
// failovers: a degradation is healed).
func (d *run) degrade(ctx context.Context, g Degradation) (*Report, error) {
	o := d.o
	dr := &DegradeReport{Fault: g.Fault, What: g.Fault.Describe(o.Scenario.Name(), o.Service.Name)}
	for _, a := range g.Asks {
		dr.Asks = append(dr.Asks, a.String())
	}
	d.r.Degradation = dr
	if len(g.Fault.Regions) > 0 {
		d.r.Region = strings.Join(g.Fault.Regions, ",")
	}
	if err := d.step("preflight", func() (string, error) { return d.preflight(ctx) }); err != nil {
		return d.finish(err)
	}
	pctx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan struct{})
	go func() { defer close(probed); d.probe.Run(pctx, d.first) }()
	stop := func() { stopProbe(); <-probed }
	_ = d.clk.Sleep(ctx, o.Baseline)

	d.watch = watchStopConditions(ctx, o)
	defer d.watch.stop()
	injectErr := d.step("inject", func() (string, error) {
		d.r.Injected = d.clk.Now()
		return o.Scenario.Inject(ctx)
	})
	if injectErr == nil {
		_ = d.step("hold", func() (string, error) { return d.hold(ctx, g.Fault.Hold) })
	}
	abortErr := d.aborted()
	// a failed injection may have done part of its work (a ramp's first
	// steps): the restore runs whatever happened
	restoreErr := d.step("restore", func() (string, error) { return o.Scenario.Restore(ctx) })
	dr.Restored = d.clk.Now()
	if injectErr == nil && restoreErr == nil {
		dr.WholeAgain = d.step("observe", func() (string, error) { return d.wholeAgain(ctx, dr.Restored) }) == nil
		_ = d.clk.Sleep(ctx, o.Steady) // a tail of answers after recovery
	}
	stop()
	attempts := d.attempts()

	var left map[string]QueueLeft
	drained, drainTook := false, time.Duration(0)
	if dn, ok := o.Scenario.(Drainer); ok && injectErr == nil {
		_ = d.step("drain", func() (string, error) {
			dctx, cancel := d.clk.WithTimeout(ctx, o.DrainWait)
			defer cancel()
			var err error
			left, err = dn.Drain(dctx)
			// from the restore: an upper bound, as the queues are read
			// only once the service answers whole again
			drainTook = d.clk.Now().Sub(dr.Restored)
			drained = err == nil && total(left) == 0
			if err != nil {
				return "", fmt.Errorf("the queues did not drain within %s: %w (%s)", o.DrainWait, err, describeLeft(left))
			}
			return fmt.Sprintf("every queue empty (%s) %s after the restore, read once the service answered whole again", describeLeft(left), drainTook.Round(time.Millisecond)), nil
		})
	}
	if slices.ContainsFunc(g.Asks, Ask.IsWrite) && injectErr == nil {
		_ = d.step("verify", func() (string, error) {
			vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			last := d.first
			for _, a := range attempts {
				last = max(last, a.Seq)
			}
			held, err := d.probe.Present(vctx, d.first, last)
			if err != nil {
				return "", err
			}
			d.r.Data = MeasureDataLoss(attempts, held)
			q := MeasureQueue(attempts, held)
			q.Drained, q.DrainSeconds, q.Left = drained, drainTook.Seconds(), left
			dr.Queue = &q
			return fmt.Sprintf("%d writes acknowledged (%d queued), %d present, %d lost, %d applied twice", q.Acknowledged, q.Queued, q.Present, len(q.Lost), len(q.AppliedTwice)), nil
		})
	}
	d.watch.stop()
	d.r.StopAlarms = d.watch.fired()
	if abortErr == nil {
		abortErr = d.aborted()
	}
	d.r.Outage = MeasureOutage(attempts, d.r.Injected)
	dr.Requests = MeasurePhases(attempts, d.r.Injected, dr.Restored)
	d.r.ErrorBudget = budgetSpent(o, attempts)
	if s := o.Service.SLO; s != nil {
		failed, requests := 0, 0
		for _, rf := range dr.Requests {
			p := rf.Phase(PhaseDisrupted)
			failed, requests = failed+p.Failed, requests+p.Requests
		}
		if requests > 0 {
			b := slo.Spend(*s, float64(failed), float64(requests), 0)
			dr.DisruptionBudget = &b
		}
	}
	lost := len(d.r.Data.Lost)
	d.r.Measured = Numbers{RTOSeconds: d.r.Outage.RTO().Seconds(), RPOSeconds: d.r.Data.Window.Seconds(), WritesLost: &lost, Known: !d.r.Outage.Unrecovered}
	if injectErr == nil {
		d.r.Checks = degradeChecks(d.r, o)
	}
	return d.finish(errors.Join(injectErr, abortErr, restoreErr))
}

func total(left map[string]QueueLeft) uint64 {
	var n uint64
	for _, l := range left {
		n += l.Messages
	}
	return n
}

func describeLeft(left map[string]QueueLeft) string {
	if len(left) == 0 {
		return "no queue"
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(left)) {
		parts = append(parts, fmt.Sprintf("%s %d left, %d delivered, %d acknowledged", r, left[r].Messages, left[r].Delivered, left[r].Acked))
	}
	return strings.Join(parts, "; ")
}

// hold keeps the failure for hold, unless a stop condition fires.
func (d *run) hold(ctx context.Context, hold time.Duration) (string, error) {
	end := d.clk.Now().Add(hold)
	for now := d.clk.Now(); now.Before(end); now = d.clk.Now() {
		if err := d.aborted(); err != nil {
			return "", err
		}
		tick, cancel := d.clk.WithTimeout(ctx, min(end.Sub(now), d.o.StopEvery))
		select {
		case <-ctx.Done():
			cancel()
			return "", ctx.Err()
		case <-d.watch.breached:
		case <-tick.Done():
		}
		cancel()
	}
	whole, degraded, failed := 0, 0, 0
	for _, a := range d.attempts() {
		switch {
		case a.At.Before(d.r.Injected):
		case !a.OK:
			failed++
		case a.Degraded != "":
			degraded++
		default:
			whole++
		}
	}
	return fmt.Sprintf("held %s: so far %d answered whole, %d degraded, %d failed", hold, whole, degraded, failed), nil
}

// wholeAgain waits, from the end of the restore, until every client of
// the probe is answered whole steadily (a degraded answer counts as not
// yet), the deadline passes, or a stop condition fires.
func (d *run) wholeAgain(ctx context.Context, restored time.Time) (string, error) {
	o := d.o
	deadline := d.clk.Now().Add(o.Deadline)
	for d.clk.Now().Before(deadline) {
		if err := d.aborted(); err != nil {
			return "", err
		}
		attempts := d.attempts()
		for i := range attempts {
			attempts[i].OK = attempts[i].OK && attempts[i].Degraded == ""
		}
		if recovered(attempts, restored, o.Steady, o.Steady+2*o.Interval+d.probe.timeout()) {
			return fmt.Sprintf("answered whole steadily again (deadline %s, %s)", o.Deadline, o.deadlineHow), nil
		}
		if err := d.clk.Sleep(ctx, o.Interval); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("not answered whole steadily within %s after the restore (%s)", o.Deadline, o.deadlineHow)
}

// degradeChecks judge a degradation:
//
//   - dependency-loss of a service, or of the database without writes
//     probed: no request failed during the disruption (degraded answers
//     are served; their share is reported);
//   - dependency-loss of the database with writes probed (the service
//     queues them): no write failed from the injection on, none was
//     lost, none applied twice;
//   - latency: the caller's p99 during the disruption stays within the
//     dependency's declared budget (its timeouts and backoffs) and a tenth
//     of it more (each attempt's connection, timers firing a little late,
//     the caller's own work: a 650ms budget measured 655ms here), plus the
//     caller's own p99 at the baseline;
//   - origin-loss: no cached request failed during the disruption;
//
// and every one: the service was answered whole again after the restore,
// and (with stop conditions) no alarm fired outside the blast radius.
func degradeChecks(r *Report, o Options) []Check {
	dr := r.Degradation
	var out []Check
	f := dr.Fault
	name := o.Scenario.Name()
	page := dr.request(dr.firstRead())
	disrupted := page.Phase(PhaseDisrupted)
	switch {
	case name == Latency:
		base := page.Phase(PhaseBaseline)
		budget := float64(f.Budget) / float64(time.Millisecond)
		bound := budget + budget/10 + base.P99Ms
		out = append(out, Check{Name: "p99-within-budget", Passed: disrupted.Requests > 0 && disrupted.P99Ms <= bound,
			Message: fmt.Sprintf("%s p99 during the disruption %s, within %s's budget %s + a tenth + the baseline p99 %s = %s (the link added %s): %s",
				page.Request, msStr(disrupted.P99Ms), f.Dependency, f.Budget, msStr(base.P99Ms), msStr(bound), f.Latency, describePhase(disrupted))})
	case dr.Queue != nil:
		failed := 0
		for _, a := range r.Attempts {
			if a.IsWrite() && !a.OK && !a.At.Before(r.Injected) {
				failed++
			}
		}
		w := dr.request(WriteAsk().String()).Phase(PhaseDisrupted)
		q := dr.Queue
		out = append(out,
			Check{Name: "no-write-failed", Passed: failed == 0 && w.Requests > 0,
				Message: fmt.Sprintf("%d writes failed from the injection on; during the disruption %s", failed, describePhase(w))},
			Check{Name: "no-write-lost", Passed: len(q.Lost) == 0 && q.Acknowledged > 0,
				Message: fmt.Sprintf("%d acknowledged (%d queued), %d present afterwards, %d lost%s; queues drained: %v", q.Acknowledged, q.Queued, q.Present, len(q.Lost), lostList(q.Lost), q.Drained)},
			Check{Name: "applied-once", Passed: len(q.AppliedTwice) == 0,
				Message: fmt.Sprintf("%d writes applied twice (listed more than once by the read-back)%s", len(q.AppliedTwice), lostList(q.AppliedTwice))})
	case name == OriginLoss:
		out = append(out, Check{Name: "no-cached-request-failed", Passed: disrupted.Requests > 0 && disrupted.Failed == 0,
			Message: fmt.Sprintf("%s during the disruption: %s", page.Request, describePhase(disrupted))})
	default:
		out = append(out, Check{Name: "no-request-failed", Passed: disrupted.Requests > 0 && disrupted.Failed == 0,
			Message: fmt.Sprintf("%s during the disruption: %s", page.Request, describePhase(disrupted))})
	}
	msg := "answered whole steadily again after the restore"
	if !dr.WholeAgain {
		msg = fmt.Sprintf("not answered whole steadily within %s after the restore (%s)", o.Deadline, o.deadlineHow)
	}
	out = append(out, Check{Name: "whole-again", Passed: dr.WholeAgain, Message: msg})
	if o.StopConditions != nil {
		msg := fmt.Sprintf("no alarm fired outside the blast radius %v", o.BlastRadius)
		if len(r.StopAlarms) > 0 {
			msg = fmt.Sprintf("aborted and restored: alarms fired outside the blast radius %v: %s", o.BlastRadius, strings.Join(r.StopAlarms, "; "))
		}
		out = append(out, Check{Name: "stop-conditions", Passed: len(r.StopAlarms) == 0, Message: msg})
	}
	return out
}

// firstRead is the first ask that is not a write (the page or cached
// path), else the write.
func (dr *DegradeReport) firstRead() string {
	for _, a := range dr.Asks {
		if a != WriteAsk().String() {
			return a
		}
	}
	return WriteAsk().String()
}

// request is one ask's figures (zero when it made no request).
func (dr *DegradeReport) request(name string) RequestFigures {
	for _, r := range dr.Requests {
		if r.Request == name {
			return r
		}
	}
	return RequestFigures{Request: name}
}

func describePhase(p PhaseFigures) string {
	return fmt.Sprintf("%d requests, %d whole (%s), %d degraded (%s), %d failed (%s); p50 %s, p99 %s",
		p.Requests, p.Whole, slo.Percent(p.WholeShare), p.Degraded, slo.Percent(p.DegradedShare), p.Failed, slo.Percent(p.FailedShare), msStr(p.P50Ms), msStr(p.P99Ms))
}

func msStr(ms float64) string {
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Millisecond).String()
}

func lostList(seqs []int64) string {
	if len(seqs) == 0 {
		return ""
	}
	if len(seqs) > 10 {
		return fmt.Sprintf(" (%v ...)", seqs[:10])
	}
	return fmt.Sprintf(" (%v)", seqs)
}
