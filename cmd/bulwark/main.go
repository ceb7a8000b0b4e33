package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

func main() {
	// bulwark is also the local target's provider plugin and its control
	// plane: the engine runs this very file as the plugin, which starts
	// the plane from it too, so the three are one build however it was
	// built (make build, go build, go install)
	if localtarget.ProviderInvoked(os.Args) {
		stop := cpuProfile("plugin", true)
		code := localtarget.ProviderMain(os.Args[1:])
		stop()
		os.Exit(code)
	}
	tuneGC(os.Args[1:])
	engine.ProvideFromExecutable()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	role := "" // the CLI; the control plane it starts is this file too
	if len(os.Args) > 2 && os.Args[1] == "local" && os.Args[2] == "serve" {
		role = "plane"
	}
	stopProfile := cpuProfile(role, false)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) int
}

func commands() []command {
	return []command{
		{"validate", "check an environment file and print its diagnostics", runValidate},
		{"plan", "offline plan: every stack's resources, policy verdicts and RTO/RPO estimates; no credentials", runPlan},
		{"policies", "list the built-in redundancy policies and their parameters", runPolicies},
		{"graph", "draw what each service needs and where it runs, with the hidden single points (SVG)", runGraph},
		{"review", "review a change offline: resource, policy and RTO/RPO diffs between two git revisions, as Markdown", runReview},
		{"up", "deploy every regional stack, then the global stack", engineVerb(engine.OpUp)},
		{"preview", "show what up would change", engineVerb(engine.OpPreview)},
		{"refresh", "read the actual state of every resource into the stacks' state", engineVerb(engine.OpRefresh)},
		{"status", "per region and service: health, traffic, errors, p99, replication lag, backup age, error budget left, alerts", runStatus},
		{"drift", "what runs differs from the stacks' state, per resource and property (nothing changed); exit 1 on drift", runDrift},
		{"destroy", "delete every resource: on aws the global stack, then the regions; on the local target all at once", engineVerb(engine.OpDestroy)},
		{"outputs", "print every stack's outputs", runOutputs},
		{"unlock", "clear the lock a crashed update left on a stack", runUnlock},
		{"drill", "rehearse a disaster: inject, observe, recover, measure RTO/RPO, report", runDrill},
		{"gameday", "every drill that applies, several times each: medians against estimates and targets, history, a regression gate", runGameday},
		{"calibrate", "measure the local target's figures for the estimate (promotion, reconnection, restore) into calibration/local.json", runCalibrate},
		{"recreate-region", "rebuild a lost region from code: its stack afresh, its data from the survivors, back in DNS", runRecreateRegion},
		{"images", "golden images on aws: promote an AMI to every region, verify the regions, check the Packer template", runImages},
		{"local", "the local target's control plane: serve, status, stop", runLocal},
		{"version", "print versions", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "bulwark: multi-region infrastructure as code\n\nUsage: bulwark <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `bulwark <command> -h` for a command's flags.\n")
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(errOut)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], out, errOut)
		}
	}
	fmt.Fprintf(errOut, "bulwark: unknown command %q\n\n", args[0])
	usage(errOut)
	return exitBadInput
}

// envFlags are the flags every environment verb takes.
type envFlags struct {
	Env    string
	Format string
	// extraFormats are formats a verb accepts beyond text and json.
	extraFormats []string
}

func newFlagSet(name string, errOut io.Writer, f *envFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("bulwark "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&f.Env, "env", "", "environment: a name from environments/ (dev) or a path to an .hcl file")
	fs.StringVar(&f.Format, "format", "text", "output format: "+strings.Join(append([]string{"text", "json"}, f.extraFormats...), ", "))
	return fs
}

// parse parses flags and checks the common ones; ok is false on bad usage.
func parse(fs *flag.FlagSet, args []string, f *envFlags, errOut io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitBadInput, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(errOut, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitBadInput, false
	}
	if !slices.Contains(append([]string{"text", "json"}, f.extraFormats...), f.Format) {
		fmt.Fprintf(errOut, "%s: --format must be one of %s, not %q\n", fs.Name(), strings.Join(append([]string{"text", "json"}, f.extraFormats...), ", "), f.Format)
		return exitBadInput, false
	}
	if f.Env == "" {
		fmt.Fprintf(errOut, "%s: --env is required\n", fs.Name())
		return exitBadInput, false
	}
	return 0, true
}

// parseAndLoad parses a verb's flags and loads its environment; a nil
// topology means stop with the returned exit code.
func parseAndLoad(fs *flag.FlagSet, args []string, f *envFlags, errOut io.Writer) (*project.Project, *topology.Topology, int) {
	if code, ok := parse(fs, args, f, errOut); !ok {
		return nil, nil, code
	}
	return load(f.Env, errOut)
}

// load finds the project and loads the environment, printing diagnostics.
func load(env string, errOut io.Writer) (*project.Project, *topology.Topology, int) {
	return loadWith(env, errOut, (*project.Project).LoadEnvironment)
}

// loadWith is load with the project's loading method of choice.
func loadWith(env string, errOut io.Writer, loadEnv func(*project.Project, string) (*topology.Topology, error)) (*project.Project, *topology.Topology, int) {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return nil, nil, exitFailed
	}
	p, err := project.Find(wd)
	if err != nil && !errors.Is(err, project.ErrNoProject) {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return nil, nil, exitBadInput
	}
	if p == nil {
		// an environment file outside a project: its folder's parent stands in.
		p = &project.Project{Root: wd, Name: "bulwark"}
	}
	t, err := loadEnv(p, env)
	if err != nil {
		var de *topology.DiagnosticsError
		if errors.As(err, &de) {
			writeDiagnostics(errOut, de, env)
			return nil, nil, exitBadInput
		}
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return nil, nil, exitBadInput
	}
	return p, t, exitOK
}

// diagnosticWidth is where diagnostic details wrap.
const diagnosticWidth = 100

// writeDiagnostics prints an environment's diagnostics with snippets, and
// says that nothing was deployed.
func writeDiagnostics(w io.Writer, de *topology.DiagnosticsError, env string) {
	_ = de.WriteText(w, diagnosticWidth, false)
	n := 0
	for _, d := range de.Diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	fmt.Fprintf(w, "%d error(s) in %s; nothing was deployed.\n", n, env)
}

func runVersion(ctx context.Context, args []string, out, errOut io.Writer) int {
	fmt.Fprintf(out, "bulwark %s\npulumi engine v%s (pinned)\n", version, engine.PulumiVersion)
	return exitOK
}

// version is stamped by the Makefile (-ldflags -X main.version=...).
var version = "dev"

// cpuProfile writes a CPU profile of this process, for `go tool pprof`,
// when BULWARK_CPUPROFILE=file is set: the CLI's (and its inline Pulumi
// programs') to file, a process of another role (the control plane, a
// provider plugin, which the CLI starts from this same file and which
// inherit the variable) to file.<role>.<pid>. onSignal also stops it at
// SIGINT or SIGTERM (then delivered again), for a process its parent ends
// so. The returned function stops it.
func cpuProfile(role string, onSignal bool) (stop func()) {
	path := os.Getenv("BULWARK_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	if role != "" {
		path = fmt.Sprintf("%s.%s.%d", path, role, os.Getpid())
	}
	f, err := os.Create(path)
	if err != nil || pprof.StartCPUProfile(f) != nil {
		return func() {}
	}
	var once sync.Once
	stop = func() { once.Do(func() { pprof.StopCPUProfile(); f.Close() }) }
	if onSignal {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
		go func() {
			s := <-signals
			stop()
			signal.Reset(s)
			_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		}()
	}
	return stop
}
