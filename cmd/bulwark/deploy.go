package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// deployFlags are the flags of the engine verbs.
type deployFlags struct {
	envFlags
	Region      string
	Parallel    int
	EngineJobs  int
	Yes         bool
	Verbose     bool
	ShowSecrets bool
	Stack       string
	Refresh     bool
	// AllowDataLoss lets up apply a change that destroys data (up.go).
	AllowDataLoss bool
	// Engine runs the engine for every stack of a preview, receipts or
	// not (receipts.go).
	Engine bool
}

func engineVerb(op engine.Op) func(ctx context.Context, args []string, out, errOut io.Writer) int {
	return func(ctx context.Context, args []string, out, errOut io.Writer) int {
		var f deployFlags
		fs := newFlagSet(string(op), errOut, &f.envFlags)
		addDeployFlags(fs, &f)
		if op == engine.OpDestroy {
			fs.BoolVar(&f.Yes, "yes", false, "confirm: destroy deletes every resource of the environment's stacks")
		}
		if op == engine.OpUp {
			fs.BoolVar(&f.Refresh, "refresh", false, "refresh each stack from what runs first, so drift is repaired")
			addUpFlags(fs, &f)
		}
		if op == engine.OpPreview {
			fs.BoolVar(&f.Engine, "engine", false, "run the engine for every stack, even one whose receipt says nothing it reads changed since the engine found nothing to change")
		}
		p, t, code := parseAndLoad(fs, args, &f.envFlags, errOut)
		if t == nil {
			return code
		}
		if f.Region != "" {
			if _, ok := t.Region(f.Region); !ok {
				fmt.Fprintf(errOut, "bulwark %s: --region %s: environment %s has regions %s\n", op, f.Region, t.Environment.Name, strings.Join(t.RegionNames(), ", "))
				return exitBadInput
			}
		}
		if op == engine.OpDestroy && !f.Yes {
			fmt.Fprintf(errOut, "bulwark destroy: this deletes every resource of environment %s (%s); run again with --yes\n", t.Environment.Name, scope(t, f.Region))
			return exitBadInput
		}
		if op == engine.OpUp || op == engine.OpPreview {
			if code := requireSecrets(t, string(op), errOut); code != exitOK {
				return code
			}
		}
		if op == engine.OpUp {
			if code := policyGate(ctx, p, t, "up", errOut); code != exitOK {
				return code
			}
		}
		release, code := holdEnvironment(ctx, t, string(op), errOut)
		if release == nil {
			return code
		}
		defer release()
		o, code := orchestrator(ctx, p, t, &f, out, errOut)
		if o == nil {
			return code
		}
		if op == engine.OpUp {
			if code := refuseDataLoss(ctx, o, f.AllowDataLoss, errOut); code != exitOK {
				return code
			}
		}
		var steps *stepGraph
		if op == engine.OpPreview {
			steps = &stepGraph{}
			print := o.Progress
			o.Progress = func(e engine.Event) { steps.add(e); print(e) }
		}
		var sum orchestrate.Summary
		var err error
		switch op {
		case engine.OpUp:
			sum, err = o.Up(ctx)
		case engine.OpPreview:
			sum, err = o.Preview(ctx)
		case engine.OpRefresh:
			sum, err = o.Refresh(ctx)
		case engine.OpDestroy:
			sum, err = o.Destroy(ctx)
		}
		code = finish(ctx, sum, err, f.Format, out, errOut)
		if steps != nil && code == exitOK && f.Format == "text" {
			answered := slices.ContainsFunc(sum.Results, func(r orchestrate.StackResult) bool { return r.Answered })
			judgePreview(ctx, p, t, steps, answered, out, errOut)
		}
		if code == exitFailed && op == engine.OpUp {
			fmt.Fprintf(errOut, "\nSome stacks may be half-deployed. Once the cause is fixed, `bulwark up --env %s` converges;"+
				" or remove what was deployed with `bulwark destroy --env %s --yes`.\n", f.Env, f.Env)
		}
		return code
	}
}

// policyGate judges the offline plan before anything is deployed: a
// mandatory violation deploys nothing.
func policyGate(ctx context.Context, p *project.Project, t *topology.Topology, verb string, errOut io.Writer) int {
	_, j, code := planAndJudge(ctx, p, t, errOut)
	if code != exitOK {
		return code
	}
	if m := j.mandatory(); len(m) > 0 {
		writeJudgementText(errOut, j)
		fmt.Fprintf(errOut, "\nbulwark %s: %d mandatory policy violation(s); nothing was deployed\n", verb, len(m))
		return exitFailed
	}
	return exitOK
}

func addDeployFlags(fs *flag.FlagSet, f *deployFlags) {
	fs.StringVar(&f.Region, "region", "", "limit to this region's stack (and the global stack)")
	fs.IntVar(&f.Parallel, "parallel", 4, "regional stacks run at once")
	fs.IntVar(&f.EngineJobs, "engine-parallel", 0, "resource operations the engine runs at once per stack (0: the engine's default)")
	fs.BoolVar(&f.Verbose, "v", false, "show every resource step, unchanged ones too")
}

func scope(t *topology.Topology, region string) string {
	if region != "" {
		return "stacks " + t.Environment.Name + "." + region + " and " + t.Environment.Name + ".global"
	}
	return fmt.Sprintf("%d stacks", len(t.Regions)+1)
}

// runnerFor builds the engine runner for an environment, with its
// target's settings.
func runnerFor(ctx context.Context, p *project.Project, t *topology.Topology, parallel int, refresh bool) (*engine.Runner, error) {
	stateDir, err := project.StateDir()
	if err != nil {
		return nil, err
	}
	backend := t.Environment.State
	if backend == "" {
		backend = "file://" + filepath.Join(stateDir, "backend")
	}
	passphrase, set := os.LookupEnv("BULWARK_PASSPHRASE")
	root, err := engine.FindPulumi(p.Root)
	if err != nil {
		return nil, err
	}
	cfg := engine.Config{
		PulumiRoot: root, Project: p.Name, Backend: backend,
		Home: filepath.Join(stateDir, "pulumi-home"), WorkDir: filepath.Join(stateDir, "work"),
		SecretsProvider: t.Environment.Secrets, Passphrase: passphrase, Parallel: parallel,
		Env:             map[string]string{"BULWARK_STATE_DIR": stateDir},
		RefreshBeforeUp: refresh,
	}
	cfg.Checkpoints = engine.Checkpoints(os.Getenv(engine.CheckpointsEnv)) // the target checks it
	cfg.Profile = os.Getenv(engine.ProfileEnv)
	tgt, err := targetOf(p, t, "")
	if err != nil {
		return nil, err
	}
	if err := tgt.ConfigureEngine(ctx, &cfg, set); err != nil { // cfg.Checkpoints checked there
		return nil, err
	}
	return engine.New(cfg)
}

func orchestrator(ctx context.Context, p *project.Project, t *topology.Topology, f *deployFlags, out, errOut io.Writer) (*orchestrate.Orchestrator, int) {
	r, progress, code := engineFor(ctx, p, t, f, out, errOut)
	if r == nil {
		return nil, code
	}
	o := &orchestrate.Orchestrator{Engine: r, Topology: t, Parallel: f.Parallel, Region: f.Region, Progress: progress}
	if !f.Engine {
		o.Receipts = receiptsFor(p, t, r)
	}
	if o.Layers, code = layerRunnerFor(p, t, errOut); code != exitOK {
		return nil, code
	}
	tgt, err := targetOf(p, t, "")
	if err == nil {
		err = tgt.ConfigureDeploy(ctx, o)
	}
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return nil, exitFailed
	}
	return o, exitOK
}

// layerRunnerFor runs the environment's Terraform layers, when it has any,
// in <state>/layers/<env>.
func layerRunnerFor(p *project.Project, t *topology.Topology, errOut io.Writer) (orchestrate.LayerRunner, int) {
	if len(t.Layers) == 0 {
		return nil, exitOK
	}
	exe, err := layers.Find(p.Root)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: environment %s has Terraform layers: %v\n", t.Environment.Name, err)
		return nil, exitFailed
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return nil, exitFailed
	}
	return &layers.Runner{Exec: exe, Dir: filepath.Join(state, "layers", t.Environment.Name), Root: p.Root}, exitOK
}

// engineFor builds the engine runner for an environment and the printer of
// its progress (on out, or errOut when stdout carries JSON).
func engineFor(ctx context.Context, p *project.Project, t *topology.Topology, f *deployFlags, out, errOut io.Writer) (*engine.Runner, engine.Progress, int) {
	r, err := runnerFor(ctx, p, t, f.EngineJobs, f.Refresh)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		if errors.Is(err, engine.ErrNoPassphrase) {
			return nil, nil, exitBadInput
		}
		return nil, nil, exitFailed
	}
	progress := out
	if f.Format == "json" {
		progress = errOut // keep stdout for the JSON document
	}
	return r, newProgressPrinter(progress, f.Verbose).event, exitOK
}

// progressPrinter prints one line per resource step, prefixed by its stack.
type progressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	start   time.Time
}

func newProgressPrinter(w io.Writer, verbose bool) *progressPrinter {
	return &progressPrinter{w: w, verbose: verbose, start: time.Now()}
}

var stepSymbols = map[string]string{
	"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "+-", "delete-replaced": "-",
	"same": " ", "refresh": "?", "read": ">", "import": "=",
}

func (p *progressPrinter) event(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start).Truncate(100 * time.Millisecond)
	switch e.Kind {
	case engine.EventStepDone:
		if e.Type == "pulumi:pulumi:Stack" || !p.verbose && (e.Op == "same" || e.Op == "read" || strings.HasPrefix(e.Type, "pulumi:providers:")) {
			return
		}
		sym := stepSymbols[e.Op]
		if sym == "" {
			sym = "*"
		}
		fmt.Fprintf(p.w, "%7s  %-14s %-2s %-8s %s %s\n", elapsed, e.Stack, sym, e.Op, e.Type, e.Name)
	case engine.EventStepFailed:
		fmt.Fprintf(p.w, "%7s  %-14s !! %-8s %s %s failed\n", elapsed, e.Stack, e.Op, e.Type, e.Name)
	case engine.EventDiagnostic:
		// the orchestrator's decisions (canary, bake, layers) always show
		if e.Severity != "error" && e.Severity != "warning" && e.Severity != "decision" && !p.verbose {
			return
		}
		fmt.Fprintf(p.w, "%7s  %-14s %s: %s\n", elapsed, e.Stack, e.Severity, e.Message)
	}
}

// finish prints the summary table (or JSON) and picks the exit code.
func finish(ctx context.Context, sum orchestrate.Summary, err error, format string, out, errOut io.Writer) int {
	if err != nil && !errors.Is(err, orchestrate.ErrFailed) {
		fmt.Fprintf(errOut, "bulwark %s: %v\n", sum.Op, err)
		if errors.Is(err, orchestrate.ErrUnknownRegion) {
			return exitBadInput
		}
		return exitFailed
	}
	if format == "json" {
		type row struct {
			Stack      string         `json:"stack"`
			Status     string         `json:"status"`
			Changes    map[string]int `json:"changes,omitempty"`
			Outputs    map[string]any `json:"outputs,omitempty"`
			DurationMS int64          `json:"duration_ms"`
			Error      string         `json:"error,omitempty"`
			Note       string         `json:"note,omitempty"`
			// Answered: a preview answered from the stack's receipt
			Answered bool `json:"answered_from_receipt,omitempty"`
		}
		rows := []row{}
		for _, r := range sum.Results {
			rw := row{Stack: r.Stack, Status: string(r.Status), Changes: r.Changes, Outputs: r.Outputs, DurationMS: r.Duration.Milliseconds(), Note: r.Reason, Answered: r.Answered}
			if r.Err != nil {
				rw.Error = r.Err.Error()
			}
			rows = append(rows, rw)
		}
		if code := writeJSON(out, errOut, map[string]any{"op": sum.Op, "stacks": rows}); code != exitOK {
			return code
		}
	} else {
		sum.WriteTable(out)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(errOut, "bulwark %s: interrupted; the engine was stopped cleanly and released its locks\n", sum.Op)
		return exitInterrupted
	case err != nil:
		return exitFailed
	}
	return exitOK
}

func runOutputs(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f deployFlags
	fs := newFlagSet("outputs", errOut, &f.envFlags)
	fs.StringVar(&f.Region, "region", "", "only this region's stack (and the global stack)")
	fs.BoolVar(&f.ShowSecrets, "show-secrets", false, "print secret outputs in the clear")
	p, t, code := parseAndLoad(fs, args, &f.envFlags, errOut)
	if t == nil {
		return code
	}
	o, code := orchestrator(ctx, p, t, &f, out, errOut)
	if o == nil {
		return code
	}
	sum, err := o.Outputs(ctx, f.ShowSecrets)
	if f.Format == "json" {
		doc := map[string]any{}
		for _, r := range sum.Results {
			if r.Err == nil {
				doc[r.Stack] = r.Outputs
			}
		}
		writeJSON(out, errOut, doc)
	} else {
		for _, r := range sum.Results {
			fmt.Fprintf(out, "%s\n", r.Stack)
			if r.Err != nil {
				fmt.Fprintf(out, "  (%v)\n", r.Err)
				continue
			}
			keys := make([]string, 0, len(r.Outputs))
			for k := range r.Outputs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v, _ := json.Marshal(r.Outputs[k])
				fmt.Fprintf(out, "  %-12s %s\n", k, v)
			}
		}
	}
	if err != nil {
		for _, r := range sum.Results {
			if r.Err != nil {
				fmt.Fprintf(errOut, "bulwark outputs: %v\n", r.Err)
			}
		}
		return exitFailed
	}
	return exitOK
}

func runUnlock(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f deployFlags
	fs := newFlagSet("unlock", errOut, &f.envFlags)
	fs.StringVar(&f.Stack, "stack", "", "the stack to unlock, as <env>.<region>; default: every stack of --env")
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if f.Env == "" && f.Stack != "" {
		f.Env, _, _ = strings.Cut(f.Stack, ".")
	}
	if code, ok := parse(fs, nil, &f.envFlags, errOut); !ok {
		return code
	}
	p, t, code := load(f.Env, errOut)
	if t == nil {
		return code
	}
	release, code := holdEnvironment(ctx, t, "unlock", errOut)
	if release == nil {
		return code
	}
	defer release()
	r, err := runnerFor(ctx, p, t, 0, false)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark unlock: %v\n", err)
		return exitFailed
	}
	var names []string
	if f.Stack != "" {
		names = []string{f.Stack}
	} else {
		for _, r := range t.Regions {
			names = append(names, t.Environment.Name+"."+r.Name)
		}
		names = append(names, t.Environment.Name+".global")
	}
	failed := false
	for _, n := range names {
		exists, err := r.Exists(ctx, n)
		if err == nil && !exists {
			continue
		}
		if err == nil {
			err = r.Unlock(ctx, n)
		}
		if err != nil {
			fmt.Fprintf(errOut, "bulwark unlock: %v\n", err)
			failed = true
			continue
		}
		fmt.Fprintf(out, "%s: unlocked\n", n)
	}
	if failed {
		return exitFailed
	}
	return exitOK
}
