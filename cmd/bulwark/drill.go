package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// deadlineFlag is --deadline: a duration, or "derived" (the default): the
// drill derives it from the estimate, the target and the DNS TTL
// (drill.DeriveDeadline).
type deadlineFlag struct{ d time.Duration }

func (f *deadlineFlag) String() string {
	if f == nil || f.d == 0 {
		return "derived"
	}
	return f.d.String()
}

func (f *deadlineFlag) Set(v string) error {
	if v == "derived" {
		f.d = 0
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("a positive duration or \"derived\", not %q", v)
	}
	f.d = d
	return nil
}

// awsDrillFlags are the drill's flags for the AWS target.
type awsDrillFlags struct {
	fisTemplate, restoreRole, endpoint, dnsServer string
	wait                                          time.Duration
}

// register adds the aws flags to a command's flags (drill, gameday).
func (af *awsDrillFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&af.fisTemplate, "fis-template", "", "aws: inject with this AWS FIS experiment template (needed for zone-loss and region-partition)")
	fs.StringVar(&af.restoreRole, "restore-role-arn", "", "aws, backup-restore: the IAM role AWS Backup restores with")
	fs.StringVar(&af.endpoint, "endpoint-url", "", "aws: one endpoint for every AWS API (a fake on loopback)")
	fs.StringVar(&af.dnsServer, "dns-server", "", "aws: the resolver the probe asks, host:port (default: the system's)")
	fs.DurationVar(&af.wait, "aws-wait", 30*time.Minute, "aws: how long each AWS operation (failover, restore, experiment) may take")
}

func runDrill(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("drill", errOut, &f)
	scenario := fs.String("scenario", "", "what to lose: instance-loss, zone-loss, region-loss, region-partition, db-primary-loss, backup-restore; or what the service is to ride out degraded: dependency-loss, latency, origin-loss")
	zone := fs.Int("zone", 1, "the zone to lose (zone-loss)")
	region := fs.String("region", "", "the region to disrupt (default: the primary; backup-restore: the vault region to restore from, default the first copy_to region; dependency-loss, latency, origin-loss: the service's regions, comma-separated, whose links or origins the fault reaches, default every one)")
	noRestore := fs.Bool("no-restore", false, "stay failed over: skip the return to the steady state (recreate-region brings a lost region back; not for the degradations, which are always healed)")
	var fault faultFlags
	fault.register(fs)
	service := fs.String("service", "", "the service to probe (default: the first)")
	reportDir := fs.String("report-dir", "", "where the report goes (default: a timestamped folder under the state directory)")
	var deadline deadlineFlag
	fs.Var(&deadline, "deadline", "how long, after the recovery steps, the drill waits to see the service recovered before it fails (default \"derived\": twice the assessment's RTO estimate, plus the DNS health checks' detection and the TTL; aws: Route 53's interval × threshold; at least 30s)")
	blast := fs.String("blast-radius", "", "the regions, comma-separated, whose paging alerts (aws: CloudWatch alarms) the drill expects (default: the disrupted region, or all the service's regions when its database primary is lost); one outside them aborts and restores")
	var af awsDrillFlags
	af.register(fs)
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	if *noRestore && drill.IsDegradation(drill.ScenarioName(*scenario)) {
		fmt.Fprintf(errOut, "bulwark drill: --no-restore is for failovers; %s is always healed\n", *scenario)
		return exitBadInput
	}
	opts, sc, code := drillOptions(ctx, p, t, drillChoice{*scenario, *region, *service, *zone, af, fault.fault()}, errOut)
	if sc == nil {
		return code
	}
	release, code := holdEnvironment(ctx, t, "drill", errOut)
	if release == nil {
		return code
	}
	defer release()
	opts.Deadline = deadline.d // 0: derived; the drill reports how
	if tf, code := layerRunnerFor(p, t, errOut); code != exitOK {
		return code
	} else if tf != nil {
		opts.Checks = append(opts.Checks, layersApplied(t, tf))
	}
	opts.NoRestore = *noRestore
	if *blast != "" {
		opts.BlastRadius = strings.Split(*blast, ",")
		for _, r := range opts.BlastRadius {
			if _, ok := t.Region(r); !ok {
				fmt.Fprintf(errOut, "bulwark drill: --blast-radius: environment %s has no region %q\n", t.Environment.Name, r)
				return exitBadInput
			}
		}
	}
	opts.Progress = func(line string) { fmt.Fprintf(errOut, "drill: %s\n", line) }
	r, err := drill.Run(ctx, opts)
	dir := *reportDir
	if dir == "" {
		state, _ := project.StateDir()
		dir = filepath.Join(state, "drills", fmt.Sprintf("%s-%s-%s", t.Environment.Name, *scenario, r.Started.Format("20060102-150405")))
	}
	if werr := r.Write(dir); werr != nil {
		fmt.Fprintf(errOut, "bulwark drill: write the report: %v\n", werr)
		return exitFailed
	}
	if f.Format == "json" {
		writeJSON(out, errOut, r)
	} else {
		fmt.Fprint(out, r.Markdown())
	}
	fmt.Fprintf(errOut, "report: %s (drill.json, drill.md, drill.junit.xml, drill.svg)\n", dir)
	switch {
	case err != nil:
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return exitFailed
	case !r.Passed():
		return exitFailed
	}
	return exitOK
}

// drillChoice is what the command line chose.
type drillChoice struct {
	scenario, region, service string
	zone                      int
	aws                       awsDrillFlags
	// fault is a degradation's (the regions come from region)
	fault drill.Fault
}

// faultFlags are the degradation scenarios' flags.
type faultFlags struct {
	dependency                  string
	hold, latency, jitter, ramp time.Duration
}

func (ff *faultFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ff.dependency, "dependency", "", "dependency-loss, latency: what the service loses or waits on: a service it declares a depends_on block for, or (dependency-loss) \"database\", its own database")
	fs.DurationVar(&ff.hold, "hold", 0, fmt.Sprintf("dependency-loss, latency, origin-loss: how long the failure is held (default %s; latency: after the ramp)", drill.DefaultHold))
	fs.DurationVar(&ff.latency, "latency", 0, "latency: the delay added to each chunk of data each way (default twice the dependency's per-attempt timeout)")
	fs.DurationVar(&ff.jitter, "jitter", 0, "latency: the delay's variation, ± (default a tenth of --latency)")
	fs.DurationVar(&ff.ramp, "ramp", 0, "latency: how long the delay takes to reach --latency, in steps (default 4 × the dependency's budget)")
}

func (ff *faultFlags) fault() drill.Fault {
	return drill.Fault{Dependency: ff.dependency, Hold: ff.hold, Latency: ff.latency, Jitter: ff.jitter, Ramp: ff.ramp}
}

// drillOptions resolves the scenario, service and region, asks the
// environment's target for the drill, and adds the assessment's estimate.
func drillOptions(ctx context.Context, p *project.Project, t *topology.Topology, choice drillChoice, errOut io.Writer) (drill.Options, drill.Scenario, int) {
	tgt, err := targetOf(p, t, choice.aws.endpoint)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return drill.Options{}, nil, exitFailed
	}
	scenario, err := drill.ParseScenarioName(choice.scenario)
	if err != nil || !slices.Contains(tgt.Scenarios(), scenario) {
		fmt.Fprintf(errOut, "bulwark drill: --scenario must be one of %v on target %s, not %q\n", tgt.Scenarios(), t.Environment.Target, choice.scenario)
		return drill.Options{}, nil, exitBadInput
	}
	chosen := choice.region
	if drill.IsDegradation(scenario) && chosen != "" {
		// the fault's regions; the drill's own is the primary
		choice.fault.Regions, chosen = strings.Split(chosen, ","), ""
	}
	svc, region, err := drill.Choose(t, scenario, choice.service, chosen)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return drill.Options{}, nil, exitBadInput
	}
	fault, err := drill.ResolveFault(t, svc, scenario, choice.fault)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return drill.Options{}, nil, exitBadInput
	}
	opts, err := tgt.Drill(ctx, target.DrillRequest{Scenario: scenario, Service: svc, Region: region, Zone: choice.zone,
		Experiment: choice.aws.fisTemplate, RestoreRole: choice.aws.restoreRole, DNSServer: choice.aws.dnsServer, Wait: choice.aws.wait, Fault: fault})
	if err != nil {
		return drill.Options{}, nil, targetFailed(errOut, "drill", err)
	}
	if drill.IsDegradation(scenario) {
		return opts, opts.Scenario, exitOK // judged by what was served, not by an RTO estimate
	}
	return withEstimate(ctx, p, t, opts, errOut), opts.Scenario, exitOK
}

// withEstimate adds the assessment's estimate for the scenario in its
// region (what a client should see of it, typically), or the estimate of
// its disruption when there is none for the scenario.
func withEstimate(ctx context.Context, p *project.Project, t *topology.Topology, opts drill.Options, errOut io.Writer) drill.Options {
	_, j, code := planAndJudge(ctx, p, t, errOut)
	if code != exitOK {
		return opts
	}
	if e, ok := j.Assessment.For(opts.Service.Name, string(opts.Scenario.Name()), opts.Region); ok {
		typical := drill.Numbers{RTOSeconds: e.RTO.Seconds(), RPOSeconds: e.RPO.Seconds(), Known: !e.Unrecoverable, RPOUpTo: e.RPOUpTo}
		opts.Estimated = &typical
		if typical.Known {
			opts.GivenDNSMove = func(moved time.Duration) (drill.Numbers, bool) {
				rto, why, ok := e.GivenDNSMove(moved)
				given := typical
				given.RTOSeconds, given.How = rto.Seconds(), fmt.Sprintf("%s = %s (typically %s)", why, rto.Round(time.Millisecond), e.RTO)
				return given, ok
			}
		}
		return opts
	}
	for _, e := range j.Assessment.Estimates {
		if e.Service == opts.Service.Name && e.Disruption == opts.Scenario.Disruption() {
			opts.Estimated = &drill.Numbers{RTOSeconds: e.RTO.Seconds(), RPOSeconds: e.RPO.Seconds(), Known: !e.Unrecoverable}
		}
	}
	return opts
}

// layersApplied checks that every Terraform layer of the environment has
// been applied: a drill of an environment whose layers are missing would
// measure the wrong thing.
func layersApplied(t *topology.Topology, tf orchestrate.LayerRunner) drill.PreflightCheck {
	return drill.PreflightCheck{Name: "terraform layers", Run: func(ctx context.Context) (string, error) {
		for _, l := range t.Layers {
			outs, err := tf.Outputs(ctx, l)
			if err != nil {
				return "", err
			}
			if outs == nil {
				return "", fmt.Errorf("layer %s has not been applied (bulwark up --env %s)", l.Name, t.Environment.Name)
			}
		}
		return fmt.Sprintf("%d Terraform layer(s) applied", len(t.Layers)), nil
	}}
}
