package awstarget

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The scenarios of the AWS target. Each runs the steps of package
// awsrunbook against the resources the stacks tagged; Wait bounds each of
// their waits (default 30 minutes: an Aurora failover takes minutes) on
// the scenario's Clock, which the drill sets to its own (Clocked).

func waitOr(d time.Duration) time.Duration {
	if d <= 0 {
		return 30 * time.Minute
	}
	return d
}

// withinWait runs one AWS operation, its calls and its waits, bounded by
// limit on the clock (the runbook's waits bound their polling only, on
// its clients' clock) and reports running past it as awsrunbook.ErrTimeout.
func withinWait(ctx context.Context, c clock.Clock, limit time.Duration, fn func(context.Context) error) error {
	limit = waitOr(limit)
	wctx, cancel := clock.OrReal(c).WithTimeout(ctx, limit)
	defer cancel()
	err := fn(wctx)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil && !errors.Is(err, awsrunbook.ErrTimeout) {
		return fmt.Errorf("%w after %s: %w", awsrunbook.ErrTimeout, limit, err)
	}
	return err
}

// shareClock is a scenario's clock: its own, else the drill's, which its
// runbook clients take too when they have none, so that the drill, the
// scenario and the runbook's waits run on one clock.
func shareClock(own, drill clock.Clock, ops *awsrunbook.Clients) clock.Clock {
	if own == nil {
		own = drill
	}
	if ops != nil && ops.Clock == nil {
		ops.Clock = own
	}
	return own
}

// scenario is how the aws target runs one drill scenario; each scenario's
// file registers one (register).
type scenario struct {
	disruption topology.Disruption
	// build makes the scenario from the runbook's steps, checking that the
	// service has what it needs (nil: only an experiment injects it).
	build func(ctx context.Context, b *build) (drill.Scenario, error)
	// experimentOnly, when build is nil, names an experiment that injects it.
	experimentOnly string
	// declaredTemplate is the contract.TagScenario value of the experiment
	// template the regional stack declares for it, if any.
	declaredTemplate string
	// afterExperiment is what runs after an experiment injected it (the
	// runbook's recovery and restore); nil: nothing.
	afterExperiment func(b *build) drill.Scenario
	// noGivenTemplate: the scenario finds and checks its own templates
	// (a degradation, measured by its own checks), and refuses one given
	// with --fis-template, which the generic experiment would measure as a
	// recovery.
	noGivenTemplate bool
}

// build is what a scenario is made from.
type build struct {
	req  target.DrillRequest
	topo *topology.Topology
	ops  *awsrunbook.Clients
	opts awsrunbook.ClientOptions
}

// scenarios are the aws target's, each registered by its file.
var scenarios = target.NewScenarios[scenario](topology.TargetAWS)

func register(name drill.ScenarioName, s scenario) { scenarios.Register(name, s) }

// Scenarios are the scenarios registered, in drill.ScenarioNames' order.
func (*Target) Scenarios() []drill.ScenarioName { return scenarios.Names() }

// Drill makes a scenario of the AWS target: the steps of awsrunbook
// through aws-sdk-go-v2 with the default credentials, or an AWS FIS
// experiment when a template is given (or the stack declared one for the
// scenario), and a probe that resolves the service's name as any client
// would; the stop conditions are the environment's paging alarms.
func (t *Target) Drill(ctx context.Context, req target.DrillRequest) (drill.Options, error) {
	sc, err := scenarios.Lookup(req.Scenario)
	if err != nil {
		return drill.Options{}, err
	}
	topo, svc := t.opts.Topology, req.Service
	template := req.Experiment
	if template == "" && sc.declaredTemplate != "" {
		ops, err := awsrunbook.NewClients(ctx, t.clientOptions())
		if err == nil {
			template, err = ops.FindTemplate(ctx, req.Region, map[string]string{contract.TagEnvironment: topo.Environment.Name, contract.TagRegion: req.Region,
				contract.TagService: svc.Name, contract.TagScenario: sc.declaredTemplate})
		}
		if err != nil && !errors.Is(err, awsrunbook.ErrNoTemplate) {
			return drill.Options{}, err
		}
	}
	if sc.build == nil && template == "" {
		return drill.Options{}, target.Errorf(target.ErrBadRequest, "%s on aws needs --fis-template: an experiment template that cuts it (for example %s)", req.Scenario, sc.experimentOnly)
	}
	ops, err := awsrunbook.NewClients(ctx, t.clientOptions())
	if err != nil {
		return drill.Options{}, err
	}
	b := &build{req: req, topo: topo, ops: ops, opts: t.clientOptions()}
	if sc.noGivenTemplate && req.Experiment != "" {
		if _, err := sc.build(ctx, b); err != nil {
			return drill.Options{}, err // what no template makes possible: its own refusal
		}
		return drill.Options{}, target.Errorf(target.ErrBadRequest, "%s on aws takes no --fis-template: its templates, one per region of the fault, are found by their tags (%s, %s, %s, %s=%s) and checked before the drill starts them",
			req.Scenario, contract.TagEnvironment, contract.TagRegion, contract.TagService, contract.TagScenario, req.Scenario)
	}
	var s drill.Scenario
	if template == "" {
		if s, err = sc.build(ctx, b); err != nil {
			return drill.Options{}, err
		}
	} else {
		// the experiment injects; a region's loss or partition still needs
		// the runbook (fail the writer over)
		var then drill.Scenario
		if sc.afterExperiment != nil {
			then = sc.afterExperiment(b)
		}
		s = &FISExperiment{Ops: ops, Scenario: req.Scenario, Kind: sc.disruption, Region: req.Region, Template: template, Then: then, Wait: req.Wait}
	}
	port := 80
	if svc.HTTPS != nil {
		port = 443
	}
	return drill.Options{Topology: topo, Service: svc, Region: req.Region, DNSServer: req.DNSServer, Port: port, HTTPS: svc.HTTPS != nil, Scenario: s,
		StopConditions: &StopConditions{Ops: ops, Topology: topo}, Timing: Timing()}, nil
}

// needsAurora refuses a scenario of a service without an Aurora database.
func needsAurora(b *build) error {
	if db := b.req.Service.Database; db == nil || db.Engine != topology.EnginePostgres {
		return target.Errorf(target.ErrBadRequest, "%s needs an Aurora database: service %s has none", b.req.Scenario, b.req.Service.Name)
	}
	return nil
}
