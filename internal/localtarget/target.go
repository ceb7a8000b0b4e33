package localtarget

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bulwark-dev/bulwark/internal/calibration"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

// Target is the local target of one environment: the control plane of
// the state folder runs what it deploys.
type Target struct {
	opts target.Options
}

var _ target.Target = (*Target)(nil)

// New makes the local target of opts.Topology.
func New(opts target.Options) *Target { return &Target{opts: opts} }

// Name is local.
func (*Target) Name() topology.Target { return topology.TargetLocal }

func (t *Target) dir() string { return localcloud.Dir(t.opts.StateDir) }

// plane is a client of the control plane, which must be running: nothing
// of the environment runs otherwise.
func (t *Target) plane() (*localapi.Client, error) {
	if localcloud.Running(t.dir()) == 0 {
		return nil, target.Errorf(target.ErrNotDeployed, "nothing of the local target runs for %s; deploy it first: bulwark up --env %s", t.opts.StateDir, t.opts.Topology.Environment.Name)
	}
	return localcloud.Dial(t.dir()), nil
}

// ConfigureEngine points the engine at bulwark's own provider plugin,
// starts the control plane (what it runs must be up before the engine
// compares state with reality; a (re)started plane restarts or re-adopts
// it all), and tunes the engine for one machine. A local environment holds
// nothing secret: an empty passphrase is documented.
func (t *Target) ConfigureEngine(ctx context.Context, cfg *engine.Config, passphraseSet bool) error {
	// the control plane adopts what an interrupted update created: one
	// checkpoint at the end
	c, err := engine.CheckpointsFor(true, "local", string(cfg.Checkpoints))
	if err != nil {
		return err
	}
	cfg.Checkpoints = c
	if cfg.Parallel == 0 {
		cfg.Parallel = engine.LocalParallel
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// the engine and the plugin are CPU-bound on this machine, not
		// waiting on a cloud, and live for one operation: they collect
		// garbage only near a memory limit (engine.LocalMemoryLimit)
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
		cfg.Env["GOGC"], cfg.Env["GOMEMLIMIT"] = "off", engine.LocalMemoryLimit
	}
	dir, err := engine.FindProvider(t.opts.ProjectRoot)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if _, err := localcloud.EnsureRunning(context.WithoutCancel(ctx), t.dir(), []string{exe, "local", "serve"}); err != nil {
		return err
	}
	cfg.PluginPaths = []workspace.PluginOptions{{Name: engine.ProviderPackage, Path: dir}}
	return nil
}

// ConfigureDeploy gives the orchestrator the canary's bake (the groups and
// HAProxy's counters, through the control plane) and the images a failed
// canary goes back to (what the other regions run).
func (t *Target) ConfigureDeploy(_ context.Context, o *orchestrate.Orchestrator) error {
	plane := localcloud.Dial(t.dir())
	o.Bake, o.PreviousImages = Bake(plane, t.opts.Topology), PreviousImages(plane, t.opts.Topology)
	return nil
}

// WritersRestored is false: a lost writer stays down (or fenced) until
// recreate-region rebuilds its region.
func (*Target) WritersRestored() bool { return false }

// Status reads the environment's Prometheus.
func (t *Target) Status(ctx context.Context) (*status.Report, error) {
	src, err := t.monitoring(ctx)
	if err != nil {
		return nil, err
	}
	return status.Read(ctx, src, t.opts.Topology)
}

// monitoring finds the environment's Prometheus.
func (t *Target) monitoring(ctx context.Context) (*status.Source, error) {
	env := t.opts.Topology.Environment.Name
	if localcloud.Running(t.dir()) == 0 {
		return nil, target.Errorf(target.ErrNotDeployed, "no control plane runs for %s: nothing of %s runs (bulwark up --env %s)", t.opts.StateDir, env, env)
	}
	m, err := localapi.Get(ctx, localcloud.Dial(t.dir()), localapi.Monitors, localapi.EnvID(env))
	if errors.Is(err, localapi.ErrNotFound) {
		return nil, target.Errorf(target.ErrNotDeployed, "%s has no monitoring deployed yet (bulwark up --env %s deploys it with the global stack)", env, env)
	}
	if err != nil {
		return nil, err
	}
	return status.NewSource(m.Prometheus)
}

// Recreator rebuilds lost regions through the control plane, which must
// run (RecreateRegion).
func (t *Target) Recreator(context.Context) (target.Recreator, error) {
	plane, err := t.plane()
	if err != nil {
		return nil, err
	}
	return recreator{topo: t.opts.Topology, plane: plane}, nil
}

type recreator struct {
	topo  *topology.Topology
	plane *localapi.Client
}

func (r recreator) RecreateRegion(ctx context.Context, req target.RecreateRequest) (*target.RecreateReport, error) {
	return RecreateRegion(ctx, r.topo, r.plane, req)
}

// EstimateTimings are the local defaults with the project's calibration
// (calibration/local.json, written by `bulwark calibrate`) in place, when
// it has one.
func (t *Target) EstimateTimings() (*policies.Timings, error) {
	f, err := calibration.Load(t.opts.ProjectRoot)
	if err != nil || f == nil {
		return nil, err
	}
	tm := f.Apply(policies.DefaultTimings(topology.TargetLocal))
	return &tm, nil
}

// CheckPlan is nil: the local target's API is bulwark's own, and its
// provider checks each resource's inputs as it takes them.
func (*Target) CheckPlan(*plan.Plan) *target.Constraints { return nil }

// ReplaceKeys are the provider's replace-on-change inputs of a local type.
func (*Target) ReplaceKeys(typ string) ([]string, bool) {
	keys, known := localprovider.ReplaceOnChanges()[typ]
	return keys, known
}

// PreviewsOffline is true: the engine previews against the local state.
func (*Target) PreviewsOffline() bool { return true }

// UsesImageManifests is false: the local target builds each service's
// image from its source.
func (*Target) UsesImageManifests() bool { return false }

// Images is unsupported: golden images are for target aws.
func (t *Target) Images(context.Context) (target.Images, error) {
	return nil, target.Errorf(target.ErrUnsupported, "environment %q has target local; golden images are for target aws (the local target runs each service's program)", t.opts.Topology.Environment.Name)
}

// Timing is how the local target recovers: in seconds (DESIGN.md: DNS
// failover about 1 s, a dead backend out of HAProxy in 2 s, a promotion
// in 0.2 s), PowerDNS's ifurlup checks every second, one failure enough.
func Timing() drill.Timing {
	return drill.Timing{Target: topology.TargetLocal, TypicalRecovery: 3 * time.Second, DNSDetection: func(topology.Service) (time.Duration, string) {
		return time.Second, "PowerDNS ifurlup checks every 1s"
	}}
}

// build is what a scenario is made from.
type build struct {
	// ctx bounds what a builder asks the control plane (the degradation
	// scenarios look up their links and caches).
	ctx   context.Context
	req   target.DrillRequest
	topo  *topology.Topology
	plane *localapi.Client
	// timings are the estimate's figures (EstimateTimings, else the
	// defaults), for a scenario that conditions its estimate on what it
	// finds; timingsFrom says where they come from
	timings     policies.Timings
	timingsFrom string
}

// scenarioTimings are the figures the estimate uses (EstimateTimings),
// and where they come from in a few words: the project's calibration, or
// the local defaults when it has none or it cannot be read.
func (t *Target) scenarioTimings() (policies.Timings, string) {
	tm, err := t.EstimateTimings()
	switch {
	case err != nil:
		return policies.DefaultTimings(topology.TargetLocal), fmt.Sprintf("the local defaults: calibration/local.json: %v", err)
	case tm == nil:
		return policies.DefaultTimings(topology.TargetLocal), "the local defaults, not calibrated"
	default:
		return *tm, "calibration/local.json"
	}
}

// group is the ID of the service's instance group in the region.
func (b *build) group() localapi.ServiceID {
	return localapi.ServiceID{Env: b.topo.Environment.Name, Region: b.req.Region, Service: b.req.Service.Name}
}

// scenarios are the local target's, each registered by its file.
var scenarios = target.NewScenarios[func(b *build) (drill.Scenario, error)](topology.TargetLocal)

func register(name drill.ScenarioName, make func(b *build) (drill.Scenario, error)) {
	scenarios.Register(name, make)
}

// Scenarios are the scenarios registered, in drill.AllScenarioNames' order.
func (*Target) Scenarios() []drill.ScenarioName { return scenarios.Names() }

// Drill makes a scenario of the local target, its probe asking the
// environment's DNS server; the environment's paging alerts are the
// drill's stop conditions.
func (t *Target) Drill(ctx context.Context, req target.DrillRequest) (drill.Options, error) {
	make, err := scenarios.Lookup(req.Scenario)
	if err != nil {
		return drill.Options{}, err
	}
	plane, err := t.plane()
	if err != nil {
		return drill.Options{}, err
	}
	env := t.opts.Topology.Environment.Name
	dns, err := localapi.Get(ctx, plane, localapi.DNSServers, localapi.EnvID(env))
	if err != nil {
		return drill.Options{}, target.Errorf(target.ErrNotDeployed, "environment %s has no DNS server running: %v (bulwark up --env %s)", env, err, env)
	}
	tm, from := t.scenarioTimings()
	sc, err := make(&build{ctx: ctx, req: req, topo: t.opts.Topology, plane: plane, timings: tm, timingsFrom: from})
	if err != nil {
		return drill.Options{}, err
	}
	opts := drill.Options{Topology: t.opts.Topology, Service: req.Service, Region: req.Region, DNSServer: dns.Address, Scenario: sc, Timing: Timing()}
	if m, err := localapi.Get(ctx, plane, localapi.Monitors, localapi.EnvID(env)); err == nil {
		if src, err := status.NewSource(m.Prometheus); err == nil {
			opts.StopConditions = status.StopConditions{Source: src, Env: env}
		}
	}
	if req.DNSServer != "" {
		opts.DNSServer = req.DNSServer
	}
	return opts, nil
}
