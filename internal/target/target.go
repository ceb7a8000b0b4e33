package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/steps"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

// ErrUnsupported is an operation, or a scenario, the target does not offer.
var ErrUnsupported = errors.New("not offered by this target")

// ErrBadRequest is a request the target refuses as given (a scenario that
// needs a flag it lacks, a service without the database it needs): the
// caller fixes the command line.
var ErrBadRequest = errors.New("bad request")

// ErrNotDeployed is an operation on an environment of which nothing runs
// yet, or whose monitoring or DNS is not deployed.
var ErrNotDeployed = errors.New("not deployed")

// Options are what every target is built with.
type Options struct {
	// Topology is the environment, as loaded (read-only).
	Topology *topology.Topology
	// ProjectRoot is the project's folder; StateDir bulwark's state folder.
	ProjectRoot, StateDir string
	// Endpoint, on aws, is one endpoint for every AWS API (a fake on
	// loopback); empty: AWS's regional endpoints.
	Endpoint string
}

// Target is what the operations need of one target.
type Target interface {
	// Name is the target's name, as environment files write it.
	Name() topology.Target

	// ConfigureEngine adds the target's settings to the engine's
	// configuration (plugins, parallelism, checkpoints, what must run
	// first): cfg.Checkpoints comes as BULWARK_ENGINE_CHECKPOINTS said (or
	// empty) and leaves as the target allows (engine.CheckpointsFor);
	// passphraseSet says whether BULWARK_PASSPHRASE was set at all.
	ConfigureEngine(ctx context.Context, cfg *engine.Config, passphraseSet bool) error
	// ConfigureDeploy gives the orchestrator the target's rollout checks:
	// the canary's bake, the images to roll back to, blue-green and what
	// runs once the primary regions are up.
	ConfigureDeploy(ctx context.Context, o *orchestrate.Orchestrator) error

	// Scenarios are the drill scenarios the target runs.
	Scenarios() []drill.ScenarioName
	// Drill prepares a drill: the scenario, the probe's way in, the stop
	// conditions and the target's timing, in drill.Options.
	Drill(ctx context.Context, req DrillRequest) (drill.Options, error)
	// WritersRestored says whether a drill's restore step returns a
	// failed-over writer to its planned region (aws: a switchover back),
	// or leaves it failed over until the region is rebuilt (local).
	WritersRestored() bool
	// Status reads how the environment is doing.
	Status(ctx context.Context) (*status.Report, error)
	// Recreator rebuilds lost regions from code; it fails before anything
	// runs when the target cannot (ErrUnsupported) or nothing of the
	// environment runs (ErrNotDeployed).
	Recreator(ctx context.Context) (Recreator, error)

	// EstimateTimings are the target's figures for the RTO/RPO estimate
	// (nil: policies.DefaultTimings): the local target's calibration, when
	// the project has one.
	EstimateTimings() (*policies.Timings, error)
	// CheckPlan judges an offline plan against what the target's API
	// accepts (nil: the target has no such suite).
	CheckPlan(pl *plan.Plan) *Constraints
	// ReplaceKeys are the inputs of a resource type whose change replaces
	// the resource; known is false for a type the target does not know.
	ReplaceKeys(typ string) (keys []string, known bool)
	// PreviewsOffline says whether the engine can preview a stack of the
	// target without cloud credentials (a review's live preview).
	PreviewsOffline() bool
	// UsesImageManifests says whether the target deploys the images the
	// manifests under images/ pin (golden images), rather than building
	// each service's image from source.
	UsesImageManifests() bool
	// Images releases golden images (ErrUnsupported on a target that has none).
	Images(ctx context.Context) (Images, error)
}

// DrillRequest is the drill the command line asked for, resolved to one
// service and region (drill.Choose).
type DrillRequest struct {
	Scenario drill.ScenarioName
	Service  topology.Service
	Region   string
	// Zone is the zone to lose (zone-loss; 1-based).
	Zone int
	// Experiment is an experiment template that injects the failure
	// (aws: an AWS FIS template); empty: the target's own steps or the
	// template the stack declared.
	Experiment string
	// RestoreRole is the role a restore runs as (aws: AWS Backup's).
	RestoreRole string
	// DNSServer is the resolver the probe asks, host:port (empty: the
	// environment's on local, the system's on aws).
	DNSServer string
	// Wait bounds each of the target's operations (failover, restore,
	// experiment); 0: the target's default.
	Wait time.Duration
	// Fault is what a degradation scenario (drill.DegradationNames) does:
	// the dependency it cuts or slows, the caller's regions, the latency,
	// jitter and ramp, the hold. The command line resolves it
	// (drill.ResolveFault); a target resolves it again, so that a caller
	// that left it zero gets the defaults, and refuses what does not fit
	// its environment as ErrBadRequest.
	Fault drill.Fault
}

// Recreator rebuilds one region of an environment from code.
type Recreator interface {
	RecreateRegion(ctx context.Context, req RecreateRequest) (*RecreateReport, error)
}

// RecreateRequest is which region to rebuild, and with what.
type RecreateRequest struct {
	Region string
	// Failback makes the rebuilt region's members the primaries again
	// where the environment plans them there.
	Failback bool
	Engine   RecreateEngine
	// Layers runs the environment's Terraform layers (nil: none).
	Layers orchestrate.LayerRunner
	// Wait bounds each waiting step (default 60 s).
	Wait time.Duration
	// Progress receives a line per step; EngineProgress the engine's events.
	Progress       func(string)
	EngineProgress engine.Progress
}

// RecreateEngine is what recreate-region needs of the engine: the
// orchestrator's verbs and removing a stack's state.
type RecreateEngine interface {
	orchestrate.Engine
	Remove(ctx context.Context, stack string) error
}

// RecreateReport is what recreate-region did, every step with its timing.
type RecreateReport struct {
	Environment string        `json:"environment"`
	Region      string        `json:"region"`
	Failback    bool          `json:"failback"`
	Steps       []steps.Step  `json:"steps"`
	Total       time.Duration `json:"total_ns"`
}

// Constraints are what a target's suite of API constraints found in a
// plan: the rules it ran and their violations (empty, not nil, when none).
type Constraints struct {
	// Suite names it ("AWS constraints"); RulePrefix prefixes its rule IDs
	// in SARIF ("aws/").
	Suite      string       `json:"-"`
	RulePrefix string       `json:"-"`
	Rules      []Constraint `json:"-"`
	RuleCount  int          `json:"rules"`
	Violations []Violation  `json:"violations"`
}

// Constraint is one rule of a suite.
type Constraint struct {
	ID, Summary string
	// Source is the page of the target's API reference that states it.
	Source string
}

// Violation is a resource (or a data source read) a real account would refuse.
type Violation struct {
	Stack string `json:"stack"`
	// URN and Type are the resource's; for a data source read, URN is
	// empty and Type is the data source's token.
	URN     string `json:"urn,omitempty"`
	Type    string `json:"type"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Source is the page that states the rule.
	Source string `json:"source"`
}

// Images releases golden images: checks their build templates, copies a
// build to every region and verifies the copies.
type Images interface {
	// CheckTemplate checks an image's build template, offline, covers the
	// regions; the files are for the diagnostics' snippets.
	CheckTemplate(imagesDir, image string, regions []string) (hcl.Diagnostics, map[string]*hcl.File)
	// Promote copies a build to every region that lacks it, waits until
	// each copy is available, and returns the manifest merged with old.
	Promote(ctx context.Context, req Promotion) (*imagemanifest.Manifest, error)
	// Verify checks that the manifest's image is available in each region.
	Verify(ctx context.Context, m *imagemanifest.Manifest, regions []string) error
}

// Promotion is one image build to copy to the regions.
type Promotion struct {
	Image        string // the image's name (images/<name>/)
	SourceImage  string // the build, as the target names it (an AMI ID on aws)
	SourceRegion string
	Regions      []string
	// MaxWait bounds the wait for each region's copy (0: the target's default).
	MaxWait time.Duration
	// Old is the manifest before, if any: a promotion of its build adds to it.
	Old      *imagemanifest.Manifest
	Progress io.Writer
}

// Errorf makes an error of a kind (ErrBadRequest, ErrUnsupported,
// ErrNotDeployed) that errors.Is matches and that reads as its message
// alone: the message says what to do, the kind picks the exit code.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }

// Unwrap gives the kind and the wrapped errors of the message.
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
