package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// fakeEngine records when each stack's operation starts and ends.
type fakeEngine struct {
	mu       sync.Mutex
	log      []string // "start dev.east", "end dev.east"
	inFlight int
	maxIn    int
	delay    time.Duration
	fail     map[string]bool // stacks whose operation fails
	block    bool            // operations wait for the context to end
	started  chan string
	existing map[string]bool           // for Exists; nil means every stack exists
	empty    map[string]bool           // stacks that exist with nothing in them (destroyed)
	state    map[string]map[string]any // for StateOutputs; absent: not readable
	// runPrograms runs each operation's program (built by programs) once
	// the operation started; maxRegions counts regional stacks only.
	runPrograms bool
	regionsIn   int
	maxRegions  int
	seen        map[string]map[string]map[string]any // the region outputs each program got
}

// programs builds programs that behave as the real one does about the
// regions' outputs: the global stack's waits for them
// (AwaitRegionOutputs) before it registers anything, which the log
// records as "program <stack>", with the outputs it got.
func (f *fakeEngine) programs() func(*topology.Topology, stacks.RunInputs, stacks.Ref) (pulumi.RunFunc, error) {
	f.runPrograms = true
	return func(_ *topology.Topology, in stacks.RunInputs, ref stacks.Ref) (pulumi.RunFunc, error) {
		return func(*pulumi.Context) error {
			if in.RegionOutputs == nil && in.AwaitRegionOutputs != nil {
				outs, err := in.AwaitRegionOutputs()
				if err != nil {
					return err
				}
				in.RegionOutputs = outs
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.log = append(f.log, "program "+ref.String())
			if f.seen == nil {
				f.seen = map[string]map[string]map[string]any{}
			}
			f.seen[ref.String()] = in.RegionOutputs
			return nil
		}, nil
	}
}

var _ Engine = (*fakeEngine)(nil)

func (f *fakeEngine) op(ctx context.Context, verb engine.Op, stack string, program pulumi.RunFunc) (engine.Result, error) {
	regional := !strings.HasSuffix(stack, ".global")
	f.mu.Lock()
	f.log = append(f.log, "start "+stack)
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	if regional {
		f.regionsIn++
		f.maxRegions = max(f.maxRegions, f.regionsIn)
	}
	f.mu.Unlock()
	defer func() {
		if regional {
			f.mu.Lock()
			f.regionsIn--
			f.mu.Unlock()
		}
	}()
	if f.started != nil {
		f.started <- stack
	}
	if f.runPrograms && program != nil && verb != engine.OpDestroy {
		if err := program(nil); err != nil {
			f.mu.Lock()
			f.inFlight--
			f.log = append(f.log, "end "+stack)
			f.mu.Unlock()
			return engine.Result{Stack: stack, Op: verb}, fmt.Errorf("%w: %s %s: program: %w", engine.ErrEngine, verb, stack, err)
		}
	}
	var err error
	if f.block {
		<-ctx.Done()
		err = ctx.Err()
	} else {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	f.mu.Lock()
	f.inFlight--
	f.log = append(f.log, "end "+stack)
	f.mu.Unlock()
	if err == nil && f.fail[stack] {
		err = fmt.Errorf("%w: %s %s: boom", engine.ErrEngine, verb, stack)
	}
	return engine.Result{Stack: stack, Op: verb, Changes: map[string]int{"create": 1}}, err
}

func (f *fakeEngine) Up(ctx context.Context, s string, p pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return f.op(ctx, engine.OpUp, s, p)
}
func (f *fakeEngine) Preview(ctx context.Context, s string, p pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return f.op(ctx, engine.OpPreview, s, p)
}
func (f *fakeEngine) Refresh(ctx context.Context, s string, p pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return f.op(ctx, engine.OpRefresh, s, p)
}
func (f *fakeEngine) DriftCheck(ctx context.Context, s string, p pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return f.op(ctx, engine.OpDrift, s, p)
}
func (f *fakeEngine) Destroy(ctx context.Context, s string, p pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	return f.op(ctx, engine.OpDestroy, s, p)
}
func (f *fakeEngine) Outputs(ctx context.Context, s string, _ bool) (map[string]any, error) {
	if f.existing != nil && !f.existing[s] {
		return nil, fmt.Errorf("%w: %s", engine.ErrNoStack, s)
	}
	if f.empty[s] {
		return map[string]any{}, nil
	}
	return map[string]any{"stack": s}, nil
}
func (f *fakeEngine) Exists(ctx context.Context, s string) (bool, error) {
	return f.existing == nil || f.existing[s], nil
}

func (f *fakeEngine) StateOutputs(s string) (map[string]any, bool) {
	m, ok := f.state[s]
	return m, ok
}

func (f *fakeEngine) index(entry string) int {
	for i, e := range f.log {
		if e == entry {
			return i
		}
	}
	return -1
}

func topo(t *testing.T, regions ...string) *topology.Topology {
	t.Helper()
	var b strings.Builder
	b.WriteString("environment \"dev\" {\n  target = \"local\"\n}\n")
	for i, r := range regions {
		fmt.Fprintf(&b, "region %q {\n  primary = %v\n}\n", r, i == 0)
	}
	l := &topology.Loader{}
	tp, err := l.Load("test.hcl", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// An up runs the regions at once, then the global stack's program, which
// reads their outputs; on the local target the global stack's engine
// starts beside the regions, and its program waits for them.
func TestUpRunsRegionsThenGlobal(t *testing.T) {
	f := &fakeEngine{delay: 20 * time.Millisecond}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west", "north")}
	o.program = f.programs()
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := f.index("program dev.global")
	for _, r := range []string{"dev.east", "dev.west", "dev.north"} {
		if e := f.index("end " + r); e < 0 || e > g {
			t.Errorf("%s ended at %d, the global program ran at %d: %v", r, e, g, f.log)
		}
	}
	if s := f.index("start dev.global"); s < 0 || s > f.index("end dev.east") {
		t.Errorf("the global stack's engine did not start beside the regions: %v", f.log)
	}
	if f.maxRegions != 3 {
		t.Errorf("regions ran %d at a time, want all 3 concurrently", f.maxRegions)
	}
	var order []string
	for _, r := range sum.Results {
		order = append(order, r.Stack)
		if r.Status != StatusOK {
			t.Errorf("%s: %s", r.Stack, r.Status)
		}
	}
	if strings.Join(order, ",") != "dev.east,dev.west,dev.north,dev.global" {
		t.Errorf("summary order = %v", order)
	}
}

func TestConcurrencyBound(t *testing.T) {
	f := &fakeEngine{delay: 15 * time.Millisecond}
	o := &Orchestrator{Engine: f, Topology: topo(t, "a", "b", "c", "d", "e", "f"), Parallel: 2}
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.maxRegions != 2 {
		t.Errorf("max concurrent regions = %d, want 2", f.maxRegions)
	}
	if len(f.log) != 14 {
		t.Errorf("log = %v", f.log)
	}
}

func TestRegionFailureSkipsGlobalNotSiblings(t *testing.T) {
	f := &fakeEngine{fail: map[string]bool{"dev.west": true}}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west", "north")}
	o.program = f.programs()
	sum, err := o.Up(context.Background())
	if !errors.Is(err, ErrFailed) || !errors.Is(err, engine.ErrEngine) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]Status{"dev.east": StatusOK, "dev.west": StatusFailed, "dev.north": StatusOK, "dev.global": StatusSkipped}
	for _, r := range sum.Results {
		if want[r.Stack] != r.Status {
			t.Errorf("%s = %s, want %s", r.Stack, r.Status, want[r.Stack])
		}
	}
	if len(sum.Results) != 4 {
		t.Errorf("%d results, want 4: %+v", len(sum.Results), sum.Results)
	}
	if f.index("program dev.global") >= 0 {
		t.Errorf("the global program ran after a failed region: %v", f.log)
	}
	if f.index("start dev.global") >= 0 && f.index("end dev.global") < 0 {
		t.Errorf("the global stack's engine, started beside the regions, did not end: %v", f.log)
	}
}

// On aws the global stack is destroyed first (its records alias the
// regions' load balancers), and a failure there keeps the regions.
func TestDestroyGlobalFirst(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west")}
	o.Topology.Environment.Target = topology.TargetAWS
	if _, err := o.Destroy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.log[0] != "start dev.global" || f.log[1] != "end dev.global" {
		t.Errorf("destroy order = %v", f.log)
	}

	f = &fakeEngine{fail: map[string]bool{"dev.global": true}}
	o.Engine = f
	sum, err := o.Destroy(context.Background())
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if len(f.log) != 2 {
		t.Errorf("regions destroyed although global failed: %v", f.log)
	}
	for _, r := range sum.Results[1:] {
		if r.Status != StatusSkipped {
			t.Errorf("%s = %s", r.Stack, r.Status)
		}
	}
}

// On the local target every stack is destroyed at once (a destroy runs no
// program and reads no outputs), the global stack's line first, and one
// that fails stops no other.
func TestLocalDestroyRunsEveryStackAtOnce(t *testing.T) {
	f := &fakeEngine{delay: 20 * time.Millisecond, fail: map[string]bool{"dev.global": true}}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west", "north")}
	sum, err := o.Destroy(context.Background())
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if f.maxIn != 4 {
		t.Errorf("%d stacks destroyed at once, want 4: %v", f.maxIn, f.log)
	}
	want := []string{"dev.global failed", "dev.east ok", "dev.west ok", "dev.north ok"}
	var got []string
	for _, r := range sum.Results {
		got = append(got, r.Stack+" "+string(r.Status))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

func TestCancelStopsRunningAndStartsNothing(t *testing.T) {
	f := &fakeEngine{block: true, started: make(chan string, 10)}
	o := &Orchestrator{Engine: f, Topology: topo(t, "a", "b", "c", "d"), Parallel: 2}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Summary)
	go func() {
		sum, _ := o.Up(ctx)
		done <- sum
	}()
	for regional := 0; regional < 2; { // the global stack's engine starts beside them
		if s := <-f.started; !strings.HasSuffix(s, ".global") {
			regional++
		}
	}
	cancel()
	var sum Summary
	select {
	case sum = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Up did not return after cancel")
	}
	started := 0
	for _, e := range f.log {
		if strings.HasPrefix(e, "start ") && !strings.HasSuffix(e, ".global") {
			started++
		}
	}
	if started != 2 { // the global stack's engine may have started beside them, and waits for them
		t.Errorf("regional operations started after cancel: %v", f.log)
	}
	for _, r := range sum.Results {
		if r.Status != StatusCancelled {
			t.Errorf("%s = %s, want cancelled", r.Stack, r.Status)
		}
	}
	if len(sum.Results) != 5 {
		t.Errorf("results = %d, want 5", len(sum.Results))
	}
}

func TestRegionLimit(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west"), Region: "west"}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 2 || sum.Results[0].Stack != "dev.west" || sum.Results[1].Stack != "dev.global" {
		t.Errorf("results = %+v", sum.Results)
	}
	o.Region = "south"
	if _, err := o.Up(context.Background()); !errors.Is(err, ErrUnknownRegion) {
		t.Errorf("err = %v", err)
	}
}

func TestPreviewBeforeFirstDeploy(t *testing.T) {
	f := &fakeEngine{existing: map[string]bool{"dev.east": true}}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west")}
	sum, err := o.Preview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.index("start dev.global") >= 0 {
		t.Errorf("global previewed while dev.west does not exist: %v", f.log)
	}
	last := sum.Results[len(sum.Results)-1]
	if last.Stack != "dev.global" || !strings.Contains(last.Reason, "dev.west") {
		t.Errorf("global result = %+v", last)
	}
	f = &fakeEngine{}
	o.Engine = f
	if _, err := o.Preview(context.Background()); err != nil || f.index("start dev.global") < 0 {
		t.Errorf("global not previewed once regions exist: %v %v", err, f.log)
	}
}

// Drift checks the regions and, once every region is deployed, the global
// stack beside them: a check changes no region's outputs, which are all the
// global stack reads.
func TestDriftChecksGlobalBesideDeployedRegions(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west")}
	sum, err := o.Drift(context.Background())
	if err != nil || sum.Op != engine.OpDrift {
		t.Fatal(sum.Op, err)
	}
	for _, s := range []string{"dev.east", "dev.west", "dev.global"} {
		if f.index("end "+s) < 0 {
			t.Errorf("%s not checked: %v", s, f.log)
		}
	}
	if got := sum.Results[len(sum.Results)-1].Stack; got != "dev.global" {
		t.Errorf("results end with %s, want the global stack last", got)
	}
	f = &fakeEngine{existing: map[string]bool{"dev.east": true}}
	o.Engine = f
	if _, err := o.Drift(context.Background()); err != nil || f.index("start dev.global") >= 0 {
		t.Errorf("global checked while dev.west is not deployed: %v %v", err, f.log)
	}
}

// The table's rows are found again in the output around it.
func TestTableRowsReadWhatWriteTableWrote(t *testing.T) {
	sum := Summary{Op: engine.OpPreview, Results: []StackResult{
		{Stack: "dev.east", Op: engine.OpPreview, Status: StatusOK, Changes: map[string]int{"same": 3}},
		{Stack: "dev.global", Op: engine.OpPreview, Status: StatusSkipped, Reason: "not deployed"},
	}}
	var b strings.Builder
	b.WriteString("progress line\n")
	sum.WriteTable(&b)
	rows := TableRows(b.String())
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "dev.east") || !strings.Contains(rows[0], "same 3") || !strings.HasPrefix(rows[1], "dev.global") {
		t.Errorf("rows = %q from\n%s", rows, b.String())
	}
}

// The global stack's program gets the regions' outputs from their state
// when the engine reads them all; else it reads them by stack references.
func TestGlobalProgramGetsRegionOutputsFromState(t *testing.T) {
	f := &fakeEngine{state: map[string]map[string]any{"dev.east": {"a": "1"}, "dev.west": {"b": "2"}}}
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west")}
	o.program = f.programs()
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := f.seen
	if got := seen["dev.global"]; !reflect.DeepEqual(got, map[string]map[string]any{"east": {"a": "1"}, "west": {"b": "2"}}) {
		t.Errorf("the global program got region outputs %v", got)
	}
	if seen["dev.east"] != nil {
		t.Errorf("a regional program got region outputs %v", seen["dev.east"])
	}
	delete(f.state, "dev.west") // one region's state not readable so: all by stack references
	if _, err := o.Preview(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := seen["dev.global"]; got != nil {
		t.Errorf("with a region unreadable, the global program still got %v", got)
	}
}

// On aws, the region of a database's primary is deployed before the
// others: their Aurora clusters join the global cluster it declares.
func TestAWSUpDeploysThePrimaryRegionFirst(t *testing.T) {
	l := &topology.Loader{Images: topology.ImageDir("../../images")}
	prod, err := l.LoadFile("../../environments/prod.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEngine{delay: 10 * time.Millisecond}
	o := &Orchestrator{Engine: f, Topology: prod, program: func(*topology.Topology, stacks.RunInputs, stacks.Ref) (pulumi.RunFunc, error) { return nil, nil }}
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	primaryEnd := f.index("end prod.us-east-1")
	for _, r := range []string{"prod.us-west-2", "prod.eu-west-1"} {
		if s := f.index("start " + r); s < primaryEnd {
			t.Errorf("%s started at %d, before the primary region ended at %d: %v", r, s, primaryEnd, f.log)
		}
	}
	if f.index("start prod.us-west-2") < 0 || f.maxIn != 2 {
		t.Errorf("the secondaries did not run together after the primary: %v", f.log)
	}

	// the primary region fails: nothing joins a global cluster that is not there
	f = &fakeEngine{fail: map[string]bool{"prod.us-east-1": true}}
	o.Engine = f
	sum, err := o.Up(context.Background())
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]Status{}
	for _, r := range sum.Results {
		got[r.Stack] = r.Status
	}
	want := map[string]Status{"prod.us-east-1": StatusFailed, "prod.us-west-2": StatusSkipped, "prod.eu-west-1": StatusSkipped, "prod.global": StatusSkipped}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

// hookLog records AfterPrimaries' calls in the fake engine's log.
func hookLog(f *fakeEngine, detail string, err error) func(context.Context, []string) (string, error) {
	return func(_ context.Context, regions []string) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.log = append(f.log, "hook "+strings.Join(regions, ","))
		return detail, err
	}
}

func loadProd(t *testing.T) *topology.Topology {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../../images")}
	prod, err := l.LoadFile("../../environments/prod.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return prod
}

func noProgram(*topology.Topology, stacks.RunInputs, stacks.Ref) (pulumi.RunFunc, error) {
	return nil, nil
}

// On aws, AfterPrimaries runs once the primary region's stack is up, given
// that region, before the other regions and the global stack start; what
// it says is its own line of the summary, after the primary's. A preview
// does not run it.
func TestAfterPrimariesRunsBetweenTheWaves(t *testing.T) {
	f := &fakeEngine{delay: 10 * time.Millisecond}
	o := &Orchestrator{Engine: f, Topology: loadProd(t), program: noProgram, AfterPrimaries: hookLog(f, "shop: created user shop_app", nil)}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hook := f.index("hook us-east-1")
	if hook < 0 || hook < f.index("end prod.us-east-1") {
		t.Fatalf("the hook ran at %d, the primary ended at %d: %v", hook, f.index("end prod.us-east-1"), f.log)
	}
	for _, later := range []string{"start prod.us-west-2", "start prod.eu-west-1", "start prod.global"} {
		if i := f.index(later); i < hook {
			t.Errorf("%s at %d, before the hook at %d: %v", later, i, hook, f.log)
		}
	}
	var stacks []string
	for _, r := range sum.Results {
		stacks = append(stacks, r.Stack)
	}
	if want := []string{"prod.us-east-1", "database users", "prod.us-west-2", "prod.eu-west-1", "prod.global"}; !reflect.DeepEqual(stacks, want) {
		t.Errorf("summary %v, want %v", stacks, want)
	}
	if r := sum.Results[1]; r.Status != StatusOK || r.Reason != "shop: created user shop_app" || r.Op != engine.OpUp {
		t.Errorf("the hook's line: %+v", r)
	}

	f = &fakeEngine{}
	o.Engine, o.AfterPrimaries = f, hookLog(f, "", nil)
	if _, err := o.Preview(context.Background()); err != nil {
		t.Fatal(err)
	}
	if i := f.index("hook us-east-1"); i >= 0 {
		t.Errorf("a preview ran the hook: %v", f.log)
	}
}

// A failed AfterPrimaries skips the other regions and the global stack,
// as a failed primary region does; a failed primary region skips the hook.
func TestAfterPrimariesFailureSkipsTheRest(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: loadProd(t), program: noProgram, AfterPrimaries: hookLog(f, "shop: failed", errors.New("the database refused the sign-in"))}
	sum, err := o.Up(context.Background())
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "database users after us-east-1: the database refused the sign-in") {
		t.Fatalf("err = %v", err)
	}
	got := map[string]Status{}
	for _, r := range sum.Results {
		got[r.Stack] = r.Status
	}
	want := map[string]Status{"prod.us-east-1": StatusOK, "database users": StatusFailed, "prod.us-west-2": StatusSkipped, "prod.eu-west-1": StatusSkipped, "prod.global": StatusSkipped}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
	for _, s := range []string{"start prod.us-west-2", "start prod.eu-west-1", "start prod.global"} {
		if f.index(s) >= 0 {
			t.Errorf("%s after the hook failed: %v", s, f.log)
		}
	}

	f = &fakeEngine{fail: map[string]bool{"prod.us-east-1": true}}
	o.Engine, o.AfterPrimaries = f, hookLog(f, "", nil)
	if _, err := o.Up(context.Background()); !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if i := f.index("hook us-east-1"); i >= 0 {
		t.Errorf("the hook ran after the primary region failed: %v", f.log)
	}
}

// With one wave (a run limited to one region; every region a primary's),
// the hook runs after the regional stacks and before the global one.
func TestAfterPrimariesWithOneWave(t *testing.T) {
	f := &fakeEngine{}
	o := &Orchestrator{Engine: f, Topology: loadProd(t), Region: "us-west-2", program: noProgram, AfterPrimaries: hookLog(f, "no database has its primary in us-west-2", nil)}
	sum, err := o.Up(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hook := f.index("hook us-west-2")
	if hook < 0 || hook < f.index("end prod.us-west-2") || f.index("start prod.global") < hook {
		t.Errorf("the hook at %d, want after the region and before the global stack: %v", hook, f.log)
	}
	if len(sum.Results) != 3 || sum.Results[1].Stack != AfterPrimariesStack || sum.Results[2].Stack != "prod.global" {
		t.Errorf("summary %+v", sum.Results)
	}
}

// The global program started beside the regions gets their outputs from
// their state once they are up, and through the engine when the state
// cannot be read directly.
func TestEarlyGlobalReadsOutputsThroughTheEngineWhenTheStateCannotBe(t *testing.T) {
	f := &fakeEngine{delay: 10 * time.Millisecond} // no state readable: StateOutputs says so
	o := &Orchestrator{Engine: f, Topology: topo(t, "east", "west")}
	o.program = f.programs()
	if _, err := o.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{"east": {"stack": "dev.east"}, "west": {"stack": "dev.west"}}
	if got := f.seen["dev.global"]; !reflect.DeepEqual(got, want) {
		t.Errorf("the global program got %v, want the engine's outputs %v", got, want)
	}
}
