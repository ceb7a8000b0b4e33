package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PulumiVersion is the Pulumi CLI version bulwark is built and tested with
// (tools/pulumi pins it).
const PulumiVersion = "3.212.0"

var (
	// ErrNoPulumi is returned when the pinned Pulumi CLI cannot be found.
	ErrNoPulumi = errors.New("pulumi CLI not found")
	// ErrNoPassphrase is returned when a passphrase is needed and not given.
	ErrNoPassphrase = errors.New("BULWARK_PASSPHRASE is not set")
	// ErrLocked is returned when another update holds the stack's lock.
	ErrLocked = errors.New("stack is locked by another update")
	// ErrEngine wraps every failed engine operation.
	ErrEngine = errors.New("pulumi engine")
	// ErrNoProvider is returned when the local target's provider plugin is missing.
	ErrNoProvider = errors.New("provider plugin not found")
	// ErrNoStack is returned by Outputs for a stack that was never deployed.
	ErrNoStack = errors.New("stack does not exist")
)

// Config says where the engine is and where the stacks' state goes.
type Config struct {
	// PulumiRoot holds bin/pulumi (see FindPulumi).
	PulumiRoot string
	// Project is the Pulumi project name; stacks live under it.
	Project string
	// Backend is the state backend URL (file://, s3://, https://...).
	Backend string
	// Home is PULUMI_HOME for the engine (plugins, workspace settings).
	Home string
	// WorkDir holds one scratch folder per stack for the inline workspace.
	WorkDir string
	// SecretsProvider is "passphrase" or a KMS URL.
	SecretsProvider string
	// Passphrase encrypts secrets when SecretsProvider is "passphrase".
	Passphrase string
	// Parallel bounds the engine's concurrent resource operations; 0 = its default.
	Parallel int
	// PluginPaths are provider plugin folders (Pulumi.yaml plugins.providers).
	// The local target's (ProviderPackage) is replaced by the running
	// executable when that is its own plugin (ProvideFromExecutable).
	PluginPaths []workspace.PluginOptions
	// Env holds extra environment variables for the engine and its plugins.
	Env map[string]string
	// RefreshBeforeUp refreshes each stack's state from reality before Up
	// (pulumi up --refresh), so drift is repaired.
	RefreshBeforeUp bool
	// Checkpoints is when the engine writes a stack's state during an
	// operation (the zero value: after every step).
	Checkpoints Checkpoints
}

// Checkpoints is when the engine writes a stack's state during an operation.
type Checkpoints string

const (
	// CheckpointEveryStep is the engine's default: the whole state is
	// written after every step, so an interrupted update's state records
	// every resource created before it stopped. Its cost grows with the
	// square of the stack's size.
	CheckpointEveryStep Checkpoints = "every-step"
	// CheckpointAtEnd writes the state once, when the operation ends
	// (PULUMI_SKIP_CHECKPOINTS). An update killed mid-way leaves the state
	// as it was before: what it created is not recorded. Only for a target
	// whose resources the next update adopts by name, as the local control
	// plane does, rather than creating them a second time.
	CheckpointAtEnd Checkpoints = "end"
)

// CheckpointsEnv overrides a target's checkpoint setting.
const CheckpointsEnv = "BULWARK_ENGINE_CHECKPOINTS"

// LocalParallel is the engine's parallelism on the local target: its steps
// wait on the control plane (a group's health, a server's start) far more
// than they use a CPU, so more run at once than the engine's default of
// four per core.
const LocalParallel = 32

// LocalMemoryLimit is the engine's and the provider plugin's GOMEMLIMIT on
// the local target, where they run with GOGC=off: they, not a cloud's API,
// are what an operation waits on, and each lives for one operation.
const LocalMemoryLimit = "1GiB"

// CheckpointsFor is a target's checkpoint setting: at the end for local,
// whose control plane puts every object by its name so a rerun adopts it,
// every step for aws, where a resource created but not recorded would be
// orphaned (and created twice); override is BULWARK_ENGINE_CHECKPOINTS.
func CheckpointsFor(target, override string) (Checkpoints, error) {
	switch c := Checkpoints(override); c {
	case CheckpointEveryStep:
		return c, nil
	case CheckpointAtEnd:
		if target != "local" {
			return "", fmt.Errorf("%s=%s: only the local target adopts what an interrupted update created; on %s it would be orphaned", CheckpointsEnv, c, target)
		}
		return c, nil
	case "":
		if target == "local" {
			return CheckpointAtEnd, nil
		}
		return CheckpointEveryStep, nil
	default:
		return "", fmt.Errorf("%s=%q: want %q or %q", CheckpointsEnv, override, CheckpointEveryStep, CheckpointAtEnd)
	}
}

// Op is an engine verb.
type Op string

const (
	OpUp      Op = "up"
	OpPreview Op = "preview"
	OpRefresh Op = "refresh"
	// OpDrift is a refresh in preview-only mode: what reality differs in,
	// with the state left as it is.
	OpDrift   Op = "drift"
	OpDestroy Op = "destroy"
)

// EventKind classifies progress events.
type EventKind string

const (
	EventStep       EventKind = "step"      // a resource step begins
	EventStepDone   EventKind = "step-done" // a resource step finished
	EventStepFailed EventKind = "step-failed"
	EventDiagnostic EventKind = "diagnostic"
)

// Event is one line of progress from the engine's event stream.
type Event struct {
	Stack    string
	Kind     EventKind
	Op       string // create, update, delete, replace, same, refresh, read
	URN      string
	Type     string
	Name     string
	Severity string // for diagnostics: info, warning, error; "decision" for the orchestrator's own
	Message  string
	// For steps: the resource's parent URN, whether a provider manages it
	// (custom), and its inputs (secrets masked by the engine).
	Parent string
	Custom bool
	Inputs map[string]any
	// For refresh steps: the properties that differ, and the resource's
	// outputs as the state records them (Old) and as read now (New).
	Diffs    []string
	Old, New map[string]any
}

// Progress receives events; it is called from one goroutine per operation.
type Progress func(Event)

// Result is the outcome of one operation on one stack.
type Result struct {
	Stack    string
	Op       Op
	Changes  map[string]int // resource count per step kind (create, same, ...)
	Outputs  map[string]any // after up; secrets masked
	Duration time.Duration
}

// Runner runs engine operations on stacks of one project.
type Runner struct {
	cfg Config
	cmd auto.PulumiCommand
}

// New checks the CLI (its version must be PulumiVersion) and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Project == "" {
		cfg.Project = "bulwark"
	}
	if cfg.SecretsProvider == "" {
		cfg.SecretsProvider = "passphrase"
	}
	if err := prepareBackend(cfg.Backend); err != nil {
		return nil, err
	}
	if err := cfg.provideFromExecutable(); err != nil {
		return nil, err
	}
	// the CLI's version is checked once per build of it: the check runs the
	// CLI, and every bulwark command would pay for it
	checked := filepath.Join(cfg.Home, "bulwark-checked-pulumi")
	stamp := cliStamp(filepath.Join(cfg.PulumiRoot, "bin", "pulumi"))
	prev, _ := os.ReadFile(checked)
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cfg.PulumiRoot, Version: semver.MustParse(PulumiVersion),
		SkipVersionCheck: stamp != "" && string(prev) == stamp})
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %v (run `make pulumi` to build the pinned CLI)", ErrNoPulumi, cfg.PulumiRoot, err)
	}
	if stamp != "" && string(prev) != stamp && os.MkdirAll(cfg.Home, 0o700) == nil {
		_ = os.WriteFile(checked, []byte(stamp), 0o600)
	}
	return &Runner{cfg: cfg, cmd: cmd}, nil
}

// cliStamp identifies one build of the CLI at path: its path, size and
// modification time, with the version it must be ("" when it is missing).
func cliStamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d v%s\n", path, fi.Size(), fi.ModTime().UnixNano(), PulumiVersion)
}

// FindPulumi returns the folder holding bin/pulumi: $BULWARK_PULUMI (the
// binary's path), else the project's own bin/pulumi, else one beside the
// running bulwark executable.
func FindPulumi(projectRoot string) (string, error) {
	var tried []string
	if p := os.Getenv("BULWARK_PULUMI"); p != "" {
		if filepath.Base(filepath.Dir(p)) == "bin" && isFile(p) {
			return filepath.Dir(filepath.Dir(p)), nil
		}
		return "", fmt.Errorf("%w: BULWARK_PULUMI=%s must name an existing <dir>/bin/pulumi", ErrNoPulumi, p)
	}
	candidates := []string{projectRoot}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Dir(filepath.Dir(exe)))
	}
	for _, root := range candidates {
		p := filepath.Join(root, "bin", "pulumi")
		tried = append(tried, p)
		if isFile(p) {
			return root, nil
		}
	}
	return "", fmt.Errorf("%w (looked for %s): run `make pulumi` to build the pinned v%s CLI into bin/", ErrNoPulumi, strings.Join(tried, ", "), PulumiVersion)
}

// The local target's provider plugin: its package name and executable.
const (
	ProviderPackage = "bulwark"
	ProviderName    = "pulumi-resource-" + ProviderPackage
)

// FindProvider returns the folder holding the local target's provider plugin:
// the running executable's own when it is its own plugin
// (ProvideFromExecutable; New then links it into the engine's home under the
// plugin's name), else the project's bin/, else the folder of the running
// bulwark executable.
func FindProvider(projectRoot string) (string, error) {
	if selfProvider.Load() {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("%w: the running executable: %w", ErrNoProvider, err)
		}
		return filepath.Dir(exe), nil
	}
	dirs := []string{filepath.Join(projectRoot, "bin")}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		if isFile(filepath.Join(d, ProviderName)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: %s not in %s: run `make build`", ErrNoProvider, ProviderName, strings.Join(dirs, " or "))
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// prepareBackend creates the folder of a file:// backend.
func prepareBackend(backend string) error {
	u, err := url.Parse(backend)
	if err != nil {
		return fmt.Errorf("state backend %q: %w", backend, err)
	}
	if u.Scheme != "file" {
		return nil
	}
	if err := os.MkdirAll(u.Path, 0o700); err != nil {
		return fmt.Errorf("state backend: %w", err)
	}
	return nil
}

// options are the workspace options for a scratch folder below WorkDir:
// the project with its backend and plugins, the engine's environment (no
// network reach, the passphrase, PULUMI_HOME, the extra variables) and the
// secrets provider.
func (r *Runner) options(folder string) ([]auto.LocalWorkspaceOption, error) {
	work := filepath.Join(r.cfg.WorkDir, r.cfg.Project, folder)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, err
	}
	proj := workspace.Project{
		Name:    tokens.PackageName(r.cfg.Project),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: r.cfg.Backend},
	}
	if len(r.cfg.PluginPaths) > 0 {
		proj.Plugins = &workspace.Plugins{Providers: r.cfg.PluginPaths}
	}
	env := map[string]string{
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_CONFIG_PASSPHRASE":                    r.cfg.Passphrase,
		"PULUMI_HOME":                                 r.cfg.Home,
	}
	if r.cfg.Checkpoints == CheckpointAtEnd {
		env["PULUMI_SKIP_CHECKPOINTS"] = "true"
	}
	maps.Copy(env, r.cfg.Env)
	return []auto.LocalWorkspaceOption{
		auto.Pulumi(r.cmd), auto.Project(proj), auto.WorkDir(work), auto.EnvVars(env), auto.PulumiHome(r.cfg.Home),
		auto.SecretsProvider(r.cfg.SecretsProvider),
	}, nil
}

func (r *Runner) stack(ctx context.Context, name string, program pulumi.RunFunc) (auto.Stack, error) {
	opts, err := r.options(name)
	if err != nil {
		return auto.Stack{}, fmt.Errorf("stack %s: %w", name, err)
	}
	ws, err := auto.NewLocalWorkspace(ctx, append(opts, auto.Program(program))...)
	if err != nil {
		return auto.Stack{}, classify(name, "select stack", err)
	}
	s, err := auto.UpsertStack(ctx, name, knownStacks{Workspace: ws, r: r})
	if err != nil {
		return auto.Stack{}, classify(name, "select stack", err)
	}
	return s, nil
}

// pump forwards the engine's events to progress until the channel closes,
// keeping the error diagnostics (the engine's own account of a failure).
func pump(stack string, progress Progress) (chan events.EngineEvent, <-chan struct{}, *[]string) {
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	var errs []string
	go func() {
		defer close(done)
		for e := range ch {
			ev, ok := convert(stack, e)
			if !ok {
				continue
			}
			if ev.Kind == EventDiagnostic && ev.Severity == "error" {
				errs = append(errs, ev.Message)
			}
			if progress != nil {
				progress(ev)
			}
		}
	}()
	return ch, done, &errs
}

// drain waits for the last events to be delivered. The Automation API closes
// the event channel when the CLI ends its event stream; a CLI that fails
// before the engine starts (a lock, a bad backend) never opens one, so a
// failed operation waits only briefly.
func drain(done <-chan struct{}, opErr error) {
	grace := 10 * time.Second
	if opErr != nil {
		grace = time.Second
	}
	select {
	case <-done:
	case <-time.After(grace):
	}
}

func convert(stack string, e events.EngineEvent) (Event, bool) {
	step := func(kind EventKind, m apitype.StepEventMetadata) Event {
		ev := Event{Stack: stack, Kind: kind, Op: string(m.Op), URN: m.URN, Type: m.Type, Name: urnName(m.URN)}
		state := m.New
		if state == nil {
			state = m.Old
		}
		if state != nil {
			ev.Parent, ev.Custom, ev.Inputs = state.Parent, state.Custom, state.Inputs
		}
		ev.Diffs = m.Diffs
		if m.Old != nil {
			ev.Old = m.Old.Outputs
		}
		if m.New != nil {
			ev.New = m.New.Outputs
		}
		return ev
	}
	switch {
	case e.ResourcePreEvent != nil:
		return step(EventStep, e.ResourcePreEvent.Metadata), true
	case e.ResOutputsEvent != nil:
		return step(EventStepDone, e.ResOutputsEvent.Metadata), true
	case e.ResOpFailedEvent != nil:
		return step(EventStepFailed, e.ResOpFailedEvent.Metadata), true
	case e.DiagnosticEvent != nil && !e.DiagnosticEvent.Ephemeral:
		d := e.DiagnosticEvent
		return Event{Stack: stack, Kind: EventDiagnostic, URN: d.URN, Name: urnName(d.URN), Severity: d.Severity, Message: strings.TrimSpace(d.Message)}, true
	}
	return Event{}, false
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func changes[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// call runs one engine operation on a stack with the event channel wired in,
// returning the resource changes and (for up) the outputs.
type call func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, parallel int) (map[string]int, auto.OutputMap, error)

// operate is the shape of every verb: select the stack, pump its events into
// progress, run, classify the error.
func (r *Runner) operate(ctx context.Context, op Op, stack string, program pulumi.RunFunc, progress Progress, run call) (Result, error) {
	start := time.Now()
	out := Result{Stack: stack, Op: op}
	s, err := r.stack(ctx, stack, program)
	if err != nil {
		return out, err
	}
	for _, note := range r.repairAfterCrash(stack) {
		if progress != nil {
			progress(Event{Stack: stack, Kind: EventDiagnostic, Severity: "decision", Message: note})
		}
	}
	ch, done, diags := pump(stack, progress)
	changes, outputs, err := run(ctx, s, ch, r.cfg.Parallel)
	drain(done, err)
	out.Duration = time.Since(start)
	if err != nil {
		select {
		case <-done:
			if len(*diags) > 0 && !auto.IsConcurrentUpdateError(err) && ctx.Err() == nil {
				return out, fmt.Errorf("%w: %s %s: %s", ErrEngine, op, stack, strings.Join(*diags, "\n"))
			}
		default:
		}
		return out, classify(stack, string(op), err)
	}
	out.Changes, out.Outputs = changes, plainOutputs(outputs, false)
	return out, nil
}

// Up deploys one stack.
func (r *Runner) Up(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpUp, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optup.Option{optup.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optup.Parallel(n))
		}
		if r.cfg.RefreshBeforeUp {
			opts = append(opts, optup.Refresh())
		}
		res, err := s.Up(ctx, opts...)
		return summaryChanges(res.Summary), res.Outputs, err
	})
}

// Preview shows what Up would change, without changing anything.
func (r *Runner) Preview(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpPreview, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optpreview.Option{optpreview.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optpreview.Parallel(n))
		}
		res, err := s.Preview(ctx, opts...)
		return changes(res.ChangeSummary), nil, err
	})
}

// Refresh reads the actual state of every resource into the stack's state.
func (r *Runner) Refresh(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.refresh(ctx, OpRefresh, stack, program, progress)
}

// DriftCheck refreshes a stack in preview-only mode: each resource is read
// from the provider and compared with the state, and nothing is written.
// Progress receives a step per resource ("update" when it differs,
// "delete" when it is gone, with Diffs, Old and New).
func (r *Runner) DriftCheck(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.refresh(ctx, OpDrift, stack, program, progress)
}

// refresh is Refresh (OpRefresh) or its preview-only form (OpDrift).
func (r *Runner) refresh(ctx context.Context, op Op, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, op, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optrefresh.Option{optrefresh.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optrefresh.Parallel(n))
		}
		if op == OpDrift {
			res, err := s.PreviewRefresh(ctx, opts...)
			return changes(res.ChangeSummary), nil, err
		}
		res, err := s.Refresh(ctx, opts...)
		return summaryChanges(res.Summary), nil, err
	})
}

// Destroy deletes every resource of one stack; the (empty) stack remains.
func (r *Runner) Destroy(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpDestroy, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optdestroy.Option{optdestroy.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optdestroy.Parallel(n))
		}
		res, err := s.Destroy(ctx, opts...)
		return summaryChanges(res.Summary), nil, err
	})
}

func summaryChanges(s auto.UpdateSummary) map[string]int {
	if s.ResourceChanges == nil {
		return nil
	}
	return changes(*s.ResourceChanges)
}

// Outputs returns a deployed stack's outputs; secrets are masked unless showSecrets.
func (r *Runner) Outputs(ctx context.Context, stack string, showSecrets bool) (map[string]any, error) {
	exists, err := r.Exists(ctx, stack)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", ErrNoStack, stack)
	}
	s, err := r.stack(ctx, stack, noProgram)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, classify(stack, "outputs", err)
	}
	return plainOutputs(outs, showSecrets), nil
}

// Exists reports whether the backend holds the stack.
func (r *Runner) Exists(ctx context.Context, stack string) (bool, error) {
	if exists, known := r.inFileBackend(stack); known {
		return exists, nil
	}
	ws, err := r.workspace(ctx)
	if err != nil {
		return false, err
	}
	list, err := ws.ListStacks(ctx)
	if err != nil {
		return false, classify(stack, "list stacks", err)
	}
	for _, s := range list {
		if s.Name == stack || strings.HasSuffix(s.Name, "/"+stack) {
			return true, nil
		}
	}
	return false, nil
}

// Remove deletes a stack and its state, abandoning whatever resources the
// state names (they are not destroyed): for a region rebuilt from scratch,
// whose resources are gone or already forgotten. A lock an interrupted
// update left is removed first. Removing a stack that does not exist is
// not an error.
func (r *Runner) Remove(ctx context.Context, stack string) error {
	exists, err := r.Exists(ctx, stack)
	if err != nil || !exists {
		return err
	}
	_ = r.Unlock(ctx, stack)
	ws, err := r.workspace(ctx)
	if err != nil {
		return err
	}
	if err := ws.RemoveStack(ctx, stack, optremove.Force()); err != nil {
		return classify(stack, "remove stack", err)
	}
	return nil
}

// Unlock removes the locks another (crashed) update left on the stack.
func (r *Runner) Unlock(ctx context.Context, stack string) error {
	s, err := r.stack(ctx, stack, noProgram)
	if err != nil {
		return err
	}
	if err := s.Cancel(ctx); err != nil {
		return classify(stack, "unlock", err)
	}
	return nil
}

// fileBackend is the folder of a file backend (ok false for another kind).
func (r *Runner) fileBackend() (root string, ok bool) {
	u, err := url.Parse(r.cfg.Backend)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	return u.Path, true
}

// stateFile is where a file backend keeps a stack's state, with a suffix
// (".json", ".json.gz", ".json.bak"...).
func (r *Runner) stateFile(root, stack, suffix string) string {
	return filepath.Join(root, ".pulumi", "stacks", r.cfg.Project, stack+suffix)
}

// repairAfterCrash undoes what a killed update can leave in a file backend
// that would stop the next one: a lock whose process is gone, and a state
// file's metadata sidecar (.attrs, which the backend's storage layer
// truncates and then writes, not atomically) left empty or cut short, which
// fails every later read of the stack with "failed to load checkpoint:
// EOF". A missing sidecar is read as the defaults, so removing a broken one
// loses nothing. It returns what it did.
func (r *Runner) repairAfterCrash(stack string) []string {
	notes := r.clearStaleLocks(stack)
	root, ok := r.fileBackend()
	if !ok {
		return notes
	}
	for _, name := range []string{".json", ".json.gz", ".json.bak", ".json.gz.bak"} {
		attrs := r.stateFile(root, stack, name+".attrs")
		b, err := os.ReadFile(attrs)
		if err != nil || json.Valid(b) {
			continue
		}
		if os.Remove(attrs) == nil {
			notes = append(notes, fmt.Sprintf("removed %s, the metadata of the stack's state, which an interrupted write left broken (%d bytes)", filepath.Base(attrs), len(b)))
		}
	}
	return notes
}

// clearStaleLocks removes a stack's locks left in a file backend by an
// update whose process died on this machine (a kill -9, a power loss): its
// lock names the host and the PID of the pulumi process that took it. A
// lock of another host, or of a process that runs, is left alone (the
// operation then fails with ErrLocked). It returns what it removed.
func (r *Runner) clearStaleLocks(stack string) []string {
	root, ok := r.fileBackend()
	if !ok {
		return nil
	}
	host, err := os.Hostname()
	if err != nil {
		return nil
	}
	locks := filepath.Join(root, ".pulumi", "locks")
	files, _ := filepath.Glob(filepath.Join(locks, "*", r.cfg.Project, stack, "*.json"))
	legacy, _ := filepath.Glob(filepath.Join(locks, stack, "*.json"))
	var notes []string
	for _, f := range append(files, legacy...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var lock struct {
			PID       int       `json:"pid"`
			Hostname  string    `json:"hostname"`
			Timestamp time.Time `json:"timestamp"`
		}
		if json.Unmarshal(b, &lock) != nil || lock.Hostname != host || lock.PID <= 0 || processRuns(lock.PID) {
			continue
		}
		if os.Remove(f) == nil {
			_ = os.Remove(f + ".attrs") // the file backend's sidecar of the lock
			notes = append(notes, fmt.Sprintf("removed the lock left by update process %d (taken %s), which no longer runs", lock.PID, lock.Timestamp.Format(time.RFC3339)))
		}
	}
	return notes
}

// inFileBackend reports whether a stack exists, when the backend is a file
// backend (known): it keeps a stack as .pulumi/stacks/<project>/<stack>.json
// (gzipped: .json.gz), so a look at the folder answers, not a CLI run.
func (r *Runner) inFileBackend(stack string) (exists, known bool) {
	root, ok := r.fileBackend()
	if !ok {
		return false, false
	}
	for _, suffix := range []string{".json", ".json.gz"} {
		if _, err := os.Stat(r.stateFile(root, stack, suffix)); err == nil {
			return true, true
		}
	}
	return false, true
}

// StateOutputs reads a stack's outputs from a file backend's state, without
// the CLI (ok is false when the backend is not a file backend, the stack has
// no state, or an output is secret: those take the CLI, which decrypts).
// The global stack's program gets its regions' outputs so on the local
// target: reading them through stack references costs the engine a key
// derivation of the passphrase secrets manager per region.
func (r *Runner) StateOutputs(stack string) (map[string]any, bool) {
	root, ok := r.fileBackend()
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(r.stateFile(root, stack, ".json"))
	if err != nil {
		return nil, false // absent, or gzipped: the CLI reads it
	}
	var state struct {
		Checkpoint struct {
			Latest struct {
				Resources []struct {
					Type    string         `json:"type"`
					Outputs map[string]any `json:"outputs"`
				} `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if json.Unmarshal(b, &state) != nil {
		return nil, false
	}
	for _, res := range state.Checkpoint.Latest.Resources {
		if res.Type == "pulumi:pulumi:Stack" {
			if hasSecret(res.Outputs) {
				return nil, false
			}
			if res.Outputs == nil {
				res.Outputs = map[string]any{}
			}
			return res.Outputs, true
		}
	}
	return nil, false
}

// hasSecret reports whether a value from a state file holds a secret (or
// another of the engine's special values, all marked by sig.Key).
func hasSecret(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[sig.Key]; ok {
			return true
		}
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	}
	return false
}

// knownStacks is a workspace that selects a stack the file backend already
// holds without running the CLI: every operation names its stack
// (--stack), so selecting one only checks that it exists, and a CLI run
// per stack and operation costs a few hundred milliseconds of CPU.
type knownStacks struct {
	auto.Workspace
	r *Runner
}

func (k knownStacks) SelectStack(ctx context.Context, stack string) error {
	if exists, _ := k.r.inFileBackend(stack); exists {
		return nil
	}
	return k.Workspace.SelectStack(ctx, stack)
}

// processRuns reports whether a process with that PID exists.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (r *Runner) workspace(ctx context.Context) (auto.Workspace, error) {
	opts, err := r.options("_list")
	if err != nil {
		return nil, err
	}
	ws, err := auto.NewLocalWorkspace(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: workspace: %w", ErrEngine, err)
	}
	return ws, nil
}

func noProgram(*pulumi.Context) error { return nil }

func plainOutputs(outs auto.OutputMap, showSecrets bool) map[string]any {
	m := make(map[string]any, len(outs))
	for k, v := range outs {
		if v.Secret && !showSecrets {
			m[k] = "[secret]"
			continue
		}
		m[k] = v.Value
	}
	return m
}

// classify wraps an engine error so callers can tell a lock from the rest;
// the engine's own message (stderr) is kept, trimmed.
func classify(stack, verb string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: cancelled: %w", verb, stack, err)
	}
	if auto.IsConcurrentUpdateError(err) {
		return fmt.Errorf("%s %s: %w; if no other bulwark or pulumi is running, clear it with `bulwark unlock --stack %s`", verb, stack, ErrLocked, stack)
	}
	return fmt.Errorf("%w: %s %s: %s", ErrEngine, verb, stack, engineMessage(err))
}

// engineMessage keeps what the CLI wrote to stderr (the Automation API's
// error text carries it after "stderr: "), else the error's first line.
func engineMessage(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "\nstderr: "); ok && strings.TrimSpace(after) != "" {
		msg = after
	} else if first, _, ok := strings.Cut(msg, "\n"); ok {
		msg = first
	}
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
