package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/teamstate"
	"github.com/bulwark-dev/bulwark/internal/teamstate/s3url"
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
	// Profile, when set, makes every run of the engine's CLI write its CPU
	// and memory profiles and an execution trace (its --profiling flag) to
	// Profile.<pid>.{cpu,mem,trace}, for `go tool pprof` (ProfileEnv).
	Profile string
}

// ProfileEnv names the file prefix of the engine's profiles (Config.Profile).
const ProfileEnv = "BULWARK_ENGINE_PROFILE"

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
// are what an operation waits on, and each lives for one operation, so
// they collect garbage only near this limit. At 1,500 resources an engine
// holds some 40 MB live at most; with 64 MiB its resident set stays under
// 150 MiB (the CLI's own pages are a third of it) for about 5 % more CPU
// and no measurable wall time, where 1 GiB let it grow to 320 MiB.
const LocalMemoryLimit = "64MiB"

// CheckpointsFor is a target's checkpoint setting: at the end for a
// target that adopts what an interrupted update created (the local
// target's control plane puts every object by its name, so a rerun adopts
// it), every step for one that does not (on aws a resource created but not
// recorded would be orphaned, and created twice); override is
// BULWARK_ENGINE_CHECKPOINTS, target names the target in the error.
func CheckpointsFor(adoptsInterrupted bool, target, override string) (Checkpoints, error) {
	switch c := Checkpoints(override); c {
	case CheckpointEveryStep:
		return c, nil
	case CheckpointAtEnd:
		if !adoptsInterrupted {
			return "", fmt.Errorf("%s=%s: the %s target does not adopt what an interrupted update created; it would be orphaned", CheckpointsEnv, c, target)
		}
		return c, nil
	case "":
		if adoptsInterrupted {
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
	// s3 is the bucket's client of an s3:// backend (s3Client).
	s3 struct {
		once sync.Once
		c    *teamstate.Client
		err  error
	}
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
	if cfg.Profile != "" {
		if cmd, err = profilingCommand(cfg); err != nil {
			return nil, err
		}
	}
	return &Runner{cfg: cfg, cmd: cmd}, nil
}

// profilingCommand is the CLI run with --profiling cfg.Profile: a script
// in the engine's home that adds the flag to every run of the checked CLI.
func profilingCommand(cfg Config) (auto.PulumiCommand, error) {
	prefix, err := filepath.Abs(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", ProfileEnv, cfg.Profile, err)
	}
	root := filepath.Join(cfg.Home, "profiling-cli")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", ProfileEnv, err)
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %s \"$@\" --profiling %s\n", shellQuote(filepath.Join(cfg.PulumiRoot, "bin", "pulumi")), shellQuote(prefix))
	if err := os.WriteFile(filepath.Join(root, "bin", "pulumi"), []byte(script), 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", ProfileEnv, err)
	}
	return auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, Version: semver.MustParse(PulumiVersion), SkipVersionCheck: true})
}

// shellQuote quotes s for a POSIX shell: single quotes, each single quote
// in s closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cliStamp identifies one build of the CLI at path (buildIdentity), with
// the version it must be ("" when it is missing).
func cliStamp(path string) string {
	id, err := buildIdentity(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s v%s\n", id, PulumiVersion)
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

// prepareBackend creates the folder of a file:// backend and checks an
// s3:// one's URL as the engine will read it (s3url.ErrInvalid).
func prepareBackend(backend string) error {
	u, err := url.Parse(backend)
	if err != nil {
		return fmt.Errorf("state backend %q: %w", backend, err)
	}
	if u.Scheme == "s3" {
		_, err := s3url.Parse(backend)
		return err
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
		auto.Pulumi(checkpointReads{PulumiCommand: r.cmd, r: r}), auto.Project(proj), auto.WorkDir(work), auto.EnvVars(env), auto.PulumiHome(r.cfg.Home),
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
