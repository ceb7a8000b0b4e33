package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// Engine is what the orchestrator needs of an engine runner.
type Engine interface {
	Up(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)
	Preview(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)
	Refresh(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)
	DriftCheck(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)
	Destroy(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)
	Outputs(ctx context.Context, stack string, showSecrets bool) (map[string]any, error)
	Exists(ctx context.Context, stack string) (bool, error)
	// StateOutputs reads a stack's outputs without running the engine, when
	// the backend allows it (ok false: read them through the engine).
	StateOutputs(stack string) (map[string]any, bool)
}

var _ Engine = (*engine.Runner)(nil)

// ErrFailed is returned when at least one stack failed or was not run.
var ErrFailed = errors.New("one or more stacks failed")

// ErrUnknownRegion is returned for a --region the environment lacks.
var ErrUnknownRegion = errors.New("unknown region")

// Status is what became of one stack.
type Status string

const (
	StatusOK        Status = "ok"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"   // not run because something it depends on failed or is absent
	StatusCancelled Status = "cancelled" // not run, or interrupted, because the context was cancelled
)

// StackResult is one stack's line of the summary.
type StackResult struct {
	Stack    string
	Op       engine.Op
	Status   Status
	Changes  map[string]int
	Outputs  map[string]any
	Duration time.Duration
	Err      error
	// Reason explains a skip.
	Reason string
	// Answered is a preview answered from the stack's receipt, without
	// the engine (Receipts); Reason says so.
	Answered bool
}

// ChangeSummary is the stack's changes by operation, sorted ("create 9,
// same 4"), or "-" when there were none.
func (r StackResult) ChangeSummary() string {
	if len(r.Changes) == 0 {
		return "-"
	}
	ops := slices.Sorted(maps.Keys(r.Changes))
	parts := make([]string, 0, len(ops))
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %d", op, r.Changes[op]))
	}
	return strings.Join(parts, ", ")
}

// Summary is the result of one orchestrated verb, in stack order.
type Summary struct {
	Op      engine.Op
	Results []StackResult
}

// Err is ErrFailed (joined with each stack's error) when any stack did not succeed.
func (s Summary) Err() error {
	var errs []error
	for _, r := range s.Results {
		switch {
		case r.Err != nil:
			errs = append(errs, r.Err)
		case r.Status != StatusOK:
			errs = append(errs, fmt.Errorf("%s: %s (%s)", r.Stack, r.Status, r.Reason))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrFailed, errors.Join(errs...))
}

// Orchestrator runs verbs over an environment's stacks.
type Orchestrator struct {
	Engine   Engine
	Topology *topology.Topology
	// Parallel bounds how many regional stacks run at once (default 4).
	Parallel int
	// Region, when set, limits a run to that region's stack and the global one.
	Region   string
	Progress engine.Progress
	// Layers runs the environment's Terraform layers, in order with the
	// stacks, on up, preview and destroy.
	Layers LayerRunner
	// Bake watches a canary region for the bake time after its stack
	// changed (health of its groups, ...) and says why it failed, if it did.
	Bake func(ctx context.Context, region string, d time.Duration) (string, error)
	// PreviousImages names, per canary service of a canary region, the
	// image it ran before the rollout: what a canary that failed its bake
	// goes back to. before is the canary stack's outputs from before the
	// rollout.
	PreviousImages func(ctx context.Context, region string, before map[string]any) (map[string]topology.ImageRef, error)
	// BlueGreen names, per blue-green service of a region whose groups the
	// orchestrator switches at the load balancer in phases (AWS), the image
	// it should run, how large its serving group is, and where it stood
	// after the last up (read from outputs, the region stack's outputs).
	// nil where the target switches by itself (local).
	BlueGreen func(ctx context.Context, region string, outputs map[string]any) (map[string]BlueGreenTarget, error)
	// AfterPrimaries runs once an up of the regions holding the databases'
	// primaries succeeded (the first of waves; the only one when every
	// region is a primary's, or the run is limited to one region), before
	// the other regions and the global stack, given those regions: on aws
	// it creates the databases' application users, which the alternating-
	// users rotation and every region's instances sign in as. What it says
	// is its own line of the summary (AfterPrimariesStack); its failure
	// skips the later waves and the global stack, as a failed region does.
	// nil: nothing runs.
	AfterPrimaries func(ctx context.Context, regions []string) (string, error)

	// Receipts answers a preview of a stack without the engine when
	// nothing the engine's preview of it reads changed since the engine
	// last found it had nothing to change, and keeps what the engine finds
	// (internal/receipt). nil: the engine runs every preview.
	Receipts Receipts

	// program builds a stack's program from the topology and the run's
	// inputs (stacks.Program when nil).
	program func(t *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error)
}

type verb func(ctx context.Context, stack string, program pulumi.RunFunc, progress engine.Progress) (engine.Result, error)

// Receipts are the receipts of the engine's answers (Orchestrator.Receipts).
type Receipts interface {
	// Begin starts the check of a preview or an up of the stack ref given
	// in, before the engine runs; reads are the stacks whose outputs its
	// program reads.
	Begin(op engine.Op, ref stacks.Ref, in stacks.RunInputs, reads []stacks.Ref) ReceiptCheck
}

// ReceiptCheck is one stack's check (Receipts.Begin).
type ReceiptCheck interface {
	// Answer is the engine's earlier answer to a preview, when nothing it
	// read changed since (ok false: run the engine).
	Answer() (Answer, bool)
	// Done records what the engine reported once the operation succeeded.
	Done(changes map[string]int)
}

// Answer is a preview answered from a receipt: the changes and steps the
// engine reported (only unchanged ones), and a note saying so (the stack
// result's Reason).
type Answer struct {
	Changes map[string]int
	Steps   []engine.Event
	Note    string
}

func (o *Orchestrator) regions() ([]stacks.Ref, error) {
	var refs []stacks.Ref
	for _, r := range o.Topology.Regions {
		if o.Region == "" || o.Region == r.Name {
			refs = append(refs, stacks.Ref{Env: o.Topology.Environment.Name, Region: r.Name})
		}
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w %q: environment %s has %v", ErrUnknownRegion, o.Region, o.Topology.Environment.Name, o.Topology.RegionNames())
	}
	return refs, nil
}

// Up deploys the regional stacks, then the global stack.
func (o *Orchestrator) Up(ctx context.Context) (Summary, error) {
	return o.withLayers(ctx, engine.OpUp, func(in stacks.RunInputs) (Summary, error) { return o.upStacks(ctx, in) })
}

// Preview previews the regional stacks and, beside them, the global stack
// when every regional stack it reads already exists (a preview changes no
// region's outputs).
func (o *Orchestrator) Preview(ctx context.Context) (Summary, error) {
	return o.withLayers(ctx, engine.OpPreview, func(in stacks.RunInputs) (Summary, error) {
		return o.forward(ctx, engine.OpPreview, o.Engine.Preview, true, in)
	})
}

// Refresh refreshes the regional stacks, then the global stack.
func (o *Orchestrator) Refresh(ctx context.Context) (Summary, error) {
	return o.forward(ctx, engine.OpRefresh, o.Engine.Refresh, false, stacks.RunInputs{})
}

// Drift refreshes every stack in preview-only mode, the global stack beside
// the regional ones once every region is deployed; Progress receives each
// resource's refresh step. Nothing is changed.
func (o *Orchestrator) Drift(ctx context.Context) (Summary, error) {
	return o.forward(ctx, engine.OpDrift, o.Engine.DriftCheck, true, stacks.RunInputs{})
}

// Destroy destroys the global stack first, then the regional stacks (on
// the local target, all at once).
func (o *Orchestrator) Destroy(ctx context.Context) (Summary, error) {
	return o.withLayers(ctx, engine.OpDestroy, func(in stacks.RunInputs) (Summary, error) { return o.destroyStacks(ctx, in) })
}

// destroyStacks destroys the stacks, each program given in (the layers'
// outputs).
func (o *Orchestrator) destroyStacks(ctx context.Context, in stacks.RunInputs) (Summary, error) {
	refs, err := o.regions()
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Op: engine.OpDestroy}
	if o.Topology.Environment.Target == topology.TargetLocal {
		// a destroy runs no program and reads no stack's outputs, and on
		// the local target nothing of a region outlives the region (the
		// global stack's DNS records only name its balancers): every
		// stack at once
		sum.Results = o.concurrently(ctx, engine.OpDestroy, o.Engine.Destroy, append([]stacks.Ref{stacks.Global(o.Topology.Environment.Name)}, refs...), in)
		return sum, sum.Err()
	}
	global := o.one(ctx, engine.OpDestroy, o.Engine.Destroy, stacks.Global(o.Topology.Environment.Name), in)
	sum.Results = append(sum.Results, global)
	if global.Status != StatusOK {
		for _, ref := range refs {
			sum.Results = append(sum.Results, skipped(ctx, ref, engine.OpDestroy, "the global stack, which reads this one, was not destroyed"))
		}
		return sum, sum.Err()
	}
	sum.Results = append(sum.Results, o.concurrently(ctx, engine.OpDestroy, o.Engine.Destroy, refs, in)...)
	return sum, sum.Err()
}

// Outputs returns every stack's outputs, regional stacks first.
func (o *Orchestrator) Outputs(ctx context.Context, showSecrets bool) (Summary, error) {
	refs, err := o.regions()
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Op: "outputs"}
	for _, ref := range append(refs, stacks.Global(o.Topology.Environment.Name)) {
		start := time.Now()
		outs, err := o.Engine.Outputs(ctx, ref.String(), showSecrets)
		r := StackResult{Stack: ref.String(), Op: "outputs", Status: StatusOK, Outputs: outs, Duration: time.Since(start), Err: err}
		if err != nil {
			r.Status = StatusFailed
		}
		sum.Results = append(sum.Results, r)
	}
	return sum, sum.Err()
}

// forward runs op on the regional stacks, in waves, then the global
// stack; each stack's program is given in (the layers' outputs) and what
// its own run learns.
func (o *Orchestrator) forward(ctx context.Context, op engine.Op, run verb, needDeployedRegions bool, in stacks.RunInputs) (Summary, error) {
	refs, err := o.regions()
	if err != nil {
		return Summary{}, err
	}
	global := stacks.Global(o.Topology.Environment.Name)
	undeployed := ""
	if needDeployedRegions {
		// a preview or a drift check of the regions changes none of their
		// outputs, which are all the global stack reads: once every region
		// is deployed, the global stack runs beside them
		if undeployed, err = o.undeployedRegion(ctx); err != nil {
			return Summary{}, err
		}
		if undeployed == "" {
			sum := Summary{Op: op, Results: o.concurrently(ctx, op, run, append(slices.Clone(refs), global), in)}
			return sum, sum.Err()
		}
	}
	sum := Summary{Op: op}
	waves := o.waves(op, refs)
	var early func(error) StackResult
	if op == engine.OpUp && len(waves) == 1 && o.Topology.Environment.Target == topology.TargetLocal && len(in.LayerSensitive) == 0 {
		// (a sensitive layer output makes every region's outputs secret:
		// the global program reads them by stack references then)
		early = o.earlyGlobal(ctx, run, global, in)
	}
	for i, wave := range waves {
		sum.Results = append(sum.Results, o.concurrently(ctx, op, run, wave.refs, in)...)
		for _, r := range sum.Results {
			if r.Status == StatusOK {
				continue
			}
			for _, later := range wave.after {
				sum.Results = append(sum.Results, skipped(ctx, later, op, fmt.Sprintf("stack %s did not succeed and %s", r.Stack, wave.why)))
			}
			if early != nil {
				early(fmt.Errorf("%w: %s", ErrRegionsFailed, r.Stack)) // its program stops before it registers anything
			}
			sum.Results = append(sum.Results, skipped(ctx, global, op, "a regional stack did not succeed; the global stack reads them all"))
			return sum, sum.Err()
		}
		if i > 0 || op != engine.OpUp || o.AfterPrimaries == nil {
			continue
		}
		r := o.afterPrimaries(ctx, wave.refs)
		sum.Results = append(sum.Results, r)
		if r.Status != StatusOK {
			for _, later := range wave.after {
				sum.Results = append(sum.Results, skipped(ctx, later, op, AfterPrimariesStack+" did not succeed: this region's services sign in as the users it makes"))
			}
			sum.Results = append(sum.Results, skipped(ctx, global, op, AfterPrimariesStack+" did not succeed: DNS would send clients to services that cannot sign in"))
			return sum, sum.Err()
		}
	}
	if needDeployedRegions {
		res := skipped(ctx, global, op, fmt.Sprintf("stack %s is not deployed yet and the global stack reads its outputs; it is previewed once the regions are up", undeployed))
		res.Status = StatusOK // nothing failed: there is nothing to preview yet
		sum.Results = append(sum.Results, res)
		return sum, sum.Err()
	}
	if early != nil {
		sum.Results = append(sum.Results, early(nil))
		return sum, sum.Err()
	}
	sum.Results = append(sum.Results, o.one(ctx, op, run, global, in))
	return sum, sum.Err()
}

// wave is regional stacks run together; after are the later waves'
// stacks, skipped when one of this wave fails, for why.
type wave struct {
	refs, after []stacks.Ref
	why         string
}

// waves orders an up of the regional stacks: on aws, the regions that hold
// a database's primary first (an Aurora secondary cluster joins a global
// cluster its primary region's stack declares, and the secondary regions'
// containers read the replica of the secret it declares: neither exists
// before), then the others; elsewhere, and for every other verb, all at once.
func (o *Orchestrator) waves(op engine.Op, refs []stacks.Ref) []wave {
	if op != engine.OpUp || o.Topology.Environment.Target != topology.TargetAWS {
		return []wave{{refs: refs}}
	}
	primaries := map[string]bool{}
	for _, s := range o.Topology.Services {
		if s.Database != nil {
			primary, _ := o.Topology.PrimaryRegionOf(s)
			primaries[primary] = true
		}
	}
	var first, rest []stacks.Ref
	for _, ref := range refs {
		if primaries[ref.Region] {
			first = append(first, ref)
		} else {
			rest = append(rest, ref)
		}
	}
	if len(first) == 0 || len(rest) == 0 {
		return []wave{{refs: refs}}
	}
	return []wave{
		{refs: first, after: rest, why: "the other regions' databases join the global databases it declares"},
		{refs: rest},
	}
}

// AfterPrimariesStack is the summary line of AfterPrimaries.
const AfterPrimariesStack = "database users"

// afterPrimaries runs AfterPrimaries after the regions of refs, as a line
// of the summary.
func (o *Orchestrator) afterPrimaries(ctx context.Context, refs []stacks.Ref) StackResult {
	r := StackResult{Stack: AfterPrimariesStack, Op: engine.OpUp, Status: StatusOK}
	if ctx.Err() != nil {
		r.Status, r.Reason = StatusCancelled, "cancelled"
		return r
	}
	regions := make([]string, 0, len(refs))
	for _, ref := range refs {
		regions = append(regions, ref.Region)
	}
	o.say(AfterPrimariesStack, fmt.Sprintf("after %s: the databases' application users", strings.Join(regions, ", ")))
	start := time.Now()
	detail, err := o.AfterPrimaries(ctx, regions)
	r.Duration, r.Reason = time.Since(start), detail
	if err != nil {
		r.Status, r.Err = StatusFailed, fmt.Errorf("%s after %s: %w", AfterPrimariesStack, strings.Join(regions, ", "), err)
		if ctx.Err() != nil {
			r.Status = StatusCancelled
		}
	}
	return r
}

// undeployedRegion names the first of the environment's regional stacks
// that does not exist yet ("" when every one does).
func (o *Orchestrator) undeployedRegion(ctx context.Context) (string, error) {
	for _, r := range o.Topology.Regions {
		ref := stacks.Ref{Env: o.Topology.Environment.Name, Region: r.Name}
		ok, err := o.Engine.Exists(ctx, ref.String())
		if err != nil {
			return "", err
		}
		if !ok {
			return ref.String(), nil
		}
	}
	return "", nil
}

func skipped(ctx context.Context, ref stacks.Ref, op engine.Op, reason string) StackResult {
	r := StackResult{Stack: ref.String(), Op: op, Status: StatusSkipped, Reason: reason}
	if ctx.Err() != nil {
		r.Status, r.Reason = StatusCancelled, "cancelled"
	}
	return r
}

// concurrently runs op on refs, at most Parallel at a time, results in
// refs' order; each run starts from in.
func (o *Orchestrator) concurrently(ctx context.Context, op engine.Op, run verb, refs []stacks.Ref, in stacks.RunInputs) []StackResult {
	limit := o.Parallel
	if limit <= 0 {
		limit = 4
	}
	results := make([]StackResult, len(refs))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, ref := range refs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(refs); j++ {
				results[j] = skipped(ctx, refs[j], op, "cancelled")
			}
			wg.Wait()
			return results
		}
		wg.Add(1)
		go func(i int, ref stacks.Ref) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = o.one(ctx, op, run, ref, in)
		}(i, ref)
	}
	wg.Wait()
	return results
}

// one runs op on one stack, its program given in and what this run
// learns on top of it (a copy: in is shared by the stacks run beside this
// one, and never written); an up of a region whose blue-green services the
// orchestrator switches runs in phases (upBlueGreen).
func (o *Orchestrator) one(ctx context.Context, op engine.Op, run verb, ref stacks.Ref, in stacks.RunInputs) StackResult {
	if ctx.Err() != nil {
		return skipped(ctx, ref, op, "cancelled")
	}
	switch op {
	case engine.OpUp:
		if r, ok := o.upBlueGreen(ctx, run, ref, in); ok {
			return r
		}
	case engine.OpPreview, engine.OpRefresh, engine.OpDrift:
		states, err := o.blueGreenStates(ctx, op, ref)
		if err != nil {
			return StackResult{Stack: ref.String(), Op: op, Status: StatusFailed, Err: err}
		}
		if states != nil {
			in.BlueGreen = states
			return o.oneWith(ctx, op, run, ref, in)
		}
	}
	if ref.IsGlobal() && op != engine.OpDestroy && in.AwaitRegionOutputs == nil {
		in.RegionOutputs = o.regionOutputs()
	}
	return o.oneWith(ctx, op, run, ref, in)
}

// ErrRegionsFailed is what the global stack's program, started beside the
// regions (earlyGlobal), is told when a region did not succeed.
var ErrRegionsFailed = errors.New("a regional stack did not succeed")

// earlyGlobal starts an up of the global stack beside the regional stacks'
// ups, when the global program reads their outputs from the state (the
// local target): its engine starts, loads its plugins and state while the
// regions deploy, and its program waits for their outputs before it
// registers anything. finish tells it how the regions ended (nil: all
// succeeded) and returns its result.
func (o *Orchestrator) earlyGlobal(ctx context.Context, run verb, global stacks.Ref, in stacks.RunInputs) (finish func(regionsErr error) StackResult) {
	ready := make(chan struct{})
	var regionsErr error
	var waited time.Duration // from the global stack's start to the regions' end
	in.AwaitRegionOutputs = func() (map[string]map[string]any, error) {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if regionsErr != nil {
			return nil, regionsErr
		}
		if outs := o.regionOutputs(); outs != nil {
			return outs, nil
		}
		// a state the orchestrator cannot read itself: through the engine
		outs := map[string]map[string]any{}
		for _, r := range o.Topology.Regions {
			ref := stacks.Ref{Env: o.Topology.Environment.Name, Region: r.Name}
			m, err := o.Engine.Outputs(ctx, ref.String(), false)
			if err != nil {
				return nil, err
			}
			outs[r.Name] = m
		}
		return outs, nil
	}
	result := make(chan StackResult, 1)
	start := time.Now()
	go func() { result <- o.one(ctx, engine.OpUp, run, global, in) }()
	return func(err error) StackResult {
		regionsErr, waited = err, time.Since(start)
		close(ready)
		r := <-result
		r.Duration = max(0, r.Duration-waited) // its own time, as when it ran after them
		return r
	}
}

// regionOutputs is every region's outputs as its state records them, by
// region, for the global stack's program (nil unless the engine reads them
// all without running itself: then the program reads them through stack
// references). A regional stack's outputs are all the global one reads of
// it, and they are read after its up.
func (o *Orchestrator) regionOutputs() map[string]map[string]any {
	if o.Topology.Environment.Target != topology.TargetLocal {
		return nil // aws keeps stack references, as a stock pulumi up reads them
	}
	outs := map[string]map[string]any{}
	for _, r := range o.Topology.Regions {
		ref := stacks.Ref{Env: o.Topology.Environment.Name, Region: r.Name}
		m, ok := o.Engine.StateOutputs(ref.String())
		if !ok {
			return nil
		}
		outs[r.Name] = m
	}
	return outs
}

// oneWith runs op on one stack with the program of the topology given the
// run inputs in.
func (o *Orchestrator) oneWith(ctx context.Context, op engine.Op, run verb, ref stacks.Ref, in stacks.RunInputs) StackResult {
	if ctx.Err() != nil {
		return skipped(ctx, ref, op, "cancelled")
	}
	build := stacks.Program
	if o.program != nil {
		build = o.program
	}
	program, err := build(o.Topology, in, ref)
	if err != nil {
		return StackResult{Stack: ref.String(), Op: op, Status: StatusFailed, Err: err}
	}
	start := time.Now()
	var check ReceiptCheck
	if o.Receipts != nil && (op == engine.OpPreview || op == engine.OpUp) {
		check = o.Receipts.Begin(op, ref, in, o.reads(ref))
		if a, ok := check.Answer(); ok && op == engine.OpPreview {
			if o.Progress != nil {
				for _, e := range a.Steps {
					o.Progress(e)
				}
			}
			return StackResult{Stack: ref.String(), Op: op, Status: StatusOK, Changes: a.Changes, Duration: time.Since(start), Reason: a.Note, Answered: true}
		}
	}
	res, err := run(ctx, ref.String(), program, o.Progress)
	r := StackResult{Stack: ref.String(), Op: op, Status: StatusOK, Changes: res.Changes, Outputs: res.Outputs, Duration: time.Since(start)}
	if err != nil {
		r.Status, r.Err = StatusFailed, err
		if ctx.Err() != nil {
			r.Status = StatusCancelled
		}
		return r
	}
	if check != nil {
		check.Done(res.Changes)
	}
	return r
}

// reads are the stacks whose outputs ref's program reads: every region's,
// for the global stack.
func (o *Orchestrator) reads(ref stacks.Ref) []stacks.Ref {
	if !ref.IsGlobal() {
		return nil
	}
	var refs []stacks.Ref
	for _, r := range o.Topology.Regions {
		refs = append(refs, stacks.Ref{Env: o.Topology.Environment.Name, Region: r.Name})
	}
	return refs
}

// WriteTable writes the summary as people read it: a row per stack (its
// operation, status, changes and time), then each stack's error or reason.
func (s Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\n%-20s %-10s %-10s %-34s %s\n", "STACK", "OP", "STATUS", "CHANGES", "TIME")
	for _, r := range s.Results {
		fmt.Fprintf(w, "%-20s %-10s %-10s %-34s %s\n", r.Stack, r.Op, r.Status, r.ChangeSummary(), r.Duration.Round(100*time.Millisecond))
	}
	for _, r := range s.Results {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "\n%s: %v\n", r.Stack, r.Err)
		case r.Reason != "":
			fmt.Fprintf(w, "\n%s: %s\n", r.Stack, r.Reason)
		}
	}
}

// TableRows are the per-stack rows of a table WriteTable wrote, found in a
// command's output (for tests and benchmarks that run the CLI).
func TableRows(out string) []string {
	var rows []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "STACK "):
			in = true
		case in && strings.TrimSpace(line) == "":
			in = false
		case in:
			rows = append(rows, line)
		}
	}
	return rows
}
