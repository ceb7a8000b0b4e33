package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// scenarios are the drill scenarios available today, per target.
var scenarios = map[topology.Target][]string{
	topology.TargetLocal: {"instance-loss", "zone-loss", "region-loss", "region-partition", "db-primary-loss", "backup-restore"},
	topology.TargetAWS:   {"instance-loss", "zone-loss", "region-loss", "region-partition", "db-primary-loss", "backup-restore"},
}

// fisOnly are the scenarios the AWS target injects only with a FIS
// experiment template: AWS's own actions cut a zone's or a region's network.
var fisOnly = map[string]string{
	"zone-loss":        "AWS FIS's \"AZ Availability: Power Interruption\" scenario",
	"region-partition": "AWS FIS's \"Cross-Region: Connectivity\" scenario",
}

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

func runDrill(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("drill", errOut, &f)
	scenario := fs.String("scenario", "", "what to lose: instance-loss, zone-loss, region-loss, region-partition, db-primary-loss, backup-restore")
	zone := fs.Int("zone", 1, "the zone to lose (zone-loss)")
	region := fs.String("region", "", "the region to disrupt (default: the primary; backup-restore: the vault region to restore from, default the first copy_to region)")
	noRestore := fs.Bool("no-restore", false, "stay failed over: skip the return to the steady state (recreate-region brings a lost region back)")
	service := fs.String("service", "", "the service to probe (default: the first)")
	reportDir := fs.String("report-dir", "", "where the report goes (default: a timestamped folder under the state directory)")
	var deadline deadlineFlag
	fs.Var(&deadline, "deadline", "how long, after the recovery steps, the drill waits to see the service recovered before it fails (default \"derived\": twice the assessment's RTO estimate, plus the DNS health checks' detection and the TTL; aws: Route 53's interval × threshold; at least 30s)")
	blast := fs.String("blast-radius", "", "the regions, comma-separated, whose paging alerts (aws: CloudWatch alarms) the drill expects (default: the disrupted region, or all the service's regions when its database primary is lost); one outside them aborts and restores")
	var af awsDrillFlags
	fs.StringVar(&af.fisTemplate, "fis-template", "", "aws: inject with this AWS FIS experiment template (needed for zone-loss and region-partition)")
	fs.StringVar(&af.restoreRole, "restore-role-arn", "", "aws, backup-restore: the IAM role AWS Backup restores with")
	fs.StringVar(&af.endpoint, "endpoint-url", "", "aws: one endpoint for every AWS API (a fake on loopback)")
	fs.StringVar(&af.dnsServer, "dns-server", "", "aws: the resolver the probe asks, host:port (default: the system's)")
	fs.DurationVar(&af.wait, "aws-wait", 30*time.Minute, "aws: how long each AWS operation (failover, restore, experiment) may take")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	opts, sc, code := drillOptions(ctx, p, t, drillChoice{*scenario, *region, *service, *zone, af}, errOut)
	if sc == nil {
		return code
	}
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
}

// drillOptions resolves the scenario, service and region, the environment's
// DNS server and the assessment's estimate.
func drillOptions(ctx context.Context, p *project.Project, t *topology.Topology, choice drillChoice, errOut io.Writer) (drill.Options, drill.Scenario, int) {
	scenario, region, service, zone := choice.scenario, choice.region, choice.service, choice.zone
	known := scenarios[t.Environment.Target]
	if !slices.Contains(known, scenario) {
		fmt.Fprintf(errOut, "bulwark drill: --scenario must be one of %v on target %s, not %q\n", known, t.Environment.Target, scenario)
		return drill.Options{}, nil, exitBadInput
	}
	var svc *topology.Service
	for i := range t.Services {
		if service == "" || t.Services[i].Name == service {
			svc = &t.Services[i]
			break
		}
	}
	if svc == nil {
		fmt.Fprintf(errOut, "bulwark drill: environment %s has no service %q\n", t.Environment.Name, service)
		return drill.Options{}, nil, exitBadInput
	}
	if region == "" {
		region = t.Primary().Name
		if scenario == "backup-restore" && svc.Backup != nil && len(svc.Backup.CopyTo) > 0 {
			region = svc.Backup.CopyTo[0]
		}
	}
	if _, ok := t.Region(region); !ok {
		fmt.Fprintf(errOut, "bulwark drill: environment %s has no region %q\n", t.Environment.Name, region)
		return drill.Options{}, nil, exitBadInput
	}
	var opts drill.Options
	var sc drill.Scenario
	if t.Environment.Target == topology.TargetAWS {
		opts, sc, code := awsDrillOptions(ctx, t, *svc, scenario, region, choice.aws, errOut)
		if sc == nil {
			return opts, nil, code
		}
		return withEstimate(ctx, p, t, opts, errOut), sc, exitOK
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return drill.Options{}, nil, exitFailed
	}
	plane := localcloud.Dir(state)
	if localcloud.Running(plane) == 0 {
		fmt.Fprintf(errOut, "bulwark drill: nothing of the local target runs for %s; deploy it first: bulwark up --env %s\n", state, t.Environment.Name)
		return drill.Options{}, nil, exitFailed
	}
	c := localcloud.NewClient(plane)
	dns, err := c.GetDNSServer(ctx, t.Environment.Name)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: environment %s has no DNS server running: %v (bulwark up --env %s)\n", t.Environment.Name, err, t.Environment.Name)
		return drill.Options{}, nil, exitFailed
	}
	switch scenario {
	case "instance-loss":
		sc = &drill.InstanceLoss{Plane: c, Group: t.Environment.Name + "/" + region + "/" + svc.Name}
	case "zone-loss":
		sc = &drill.ZoneLoss{Plane: c, Group: t.Environment.Name + "/" + region + "/" + svc.Name, Zone: zone}
	case "region-loss":
		sc = &drill.RegionLoss{Plane: c, Topology: t, Region: region}
	case "region-partition":
		sc = &drill.RegionPartition{Plane: c, Topology: t, Region: region}
	case "db-primary-loss":
		if svc.Database == nil {
			fmt.Fprintf(errOut, "bulwark drill: service %s has no database\n", svc.Name)
			return drill.Options{}, nil, exitBadInput
		}
		sc = &drill.DatabasePrimaryLoss{Plane: c, Topology: t, Service: *svc}
	case "backup-restore":
		if svc.Database == nil || svc.Backup == nil {
			fmt.Fprintf(errOut, "bulwark drill: service %s has no database with a backup block\n", svc.Name)
			return drill.Options{}, nil, exitBadInput
		}
		sc = &drill.BackupRestore{Plane: c, Topology: t, Service: *svc, Vault: region}
	}
	opts = drill.Options{Topology: t, Service: *svc, Region: region, DNSServer: dns.Address, Scenario: sc}
	// the environment's paging alerts are the drill's stop conditions
	if m, err := c.GetMonitor(ctx, t.Environment.Name); err == nil {
		if src, err := status.NewSource(m.Prometheus); err == nil {
			opts.StopConditions = status.StopConditions{Source: src, Env: t.Environment.Name}
		}
	}
	return withEstimate(ctx, p, t, opts, errOut), sc, exitOK
}

// withEstimate adds the assessment's estimate for the scenario's disruption.
func withEstimate(ctx context.Context, p *project.Project, t *topology.Topology, opts drill.Options, errOut io.Writer) drill.Options {
	if _, j, code := planAndJudge(ctx, p, t, errOut); code == exitOK {
		for _, e := range j.Assessment.Estimates {
			if e.Service == opts.Service.Name && e.Disruption == opts.Scenario.Disruption() {
				opts.Estimated = &drill.Numbers{RTOSeconds: e.RTO.Seconds(), RPOSeconds: e.RPO.Seconds(), Known: !e.Unrecoverable}
			}
		}
	}
	return opts
}

// awsDrillOptions makes a scenario of the AWS target: the steps of
// awsrunbook through aws-sdk-go-v2 with the default credentials, and a
// probe that resolves the service's name as any client would.
func awsDrillOptions(ctx context.Context, t *topology.Topology, svc topology.Service, scenario, region string, f awsDrillFlags, errOut io.Writer) (drill.Options, drill.Scenario, int) {
	if scenario == "zone-loss" && f.fisTemplate == "" {
		// the zone-loss template the regional stack declared for the service
		ops, err := awsrunbook.NewClients(ctx, awsrunbook.ClientOptions{Endpoint: f.endpoint})
		if err == nil {
			f.fisTemplate, err = ops.FindTemplate(ctx, region, map[string]string{contract.TagEnvironment: t.Environment.Name, contract.TagRegion: region,
				contract.TagService: svc.Name, contract.TagScenario: contract.ScenarioZoneLoss})
		}
		if err != nil && !errors.Is(err, awsrunbook.ErrNoTemplate) {
			fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
			return drill.Options{}, nil, exitFailed
		}
	}
	if why, ok := fisOnly[scenario]; ok && f.fisTemplate == "" {
		fmt.Fprintf(errOut, "bulwark drill: %s on aws needs --fis-template: an experiment template that cuts it (for example %s)\n", scenario, why)
		return drill.Options{}, nil, exitBadInput
	}
	if scenario == "instance-loss" && svc.Runtime == topology.RuntimeContainer && f.fisTemplate == "" {
		fmt.Fprintf(errOut, "bulwark drill: instance-loss of the container service %s needs --fis-template (a template with aws:ecs:stop-task)\n", svc.Name)
		return drill.Options{}, nil, exitBadInput
	}
	if scenario == "backup-restore" && f.restoreRole == "" {
		fmt.Fprintf(errOut, "bulwark drill: backup-restore on aws needs --restore-role-arn: the IAM role AWS Backup restores with\n")
		return drill.Options{}, nil, exitBadInput
	}
	if (scenario == "db-primary-loss" || scenario == "backup-restore") && (svc.Database == nil || svc.Database.Engine != topology.EnginePostgres) {
		fmt.Fprintf(errOut, "bulwark drill: %s needs an Aurora database: service %s has none\n", scenario, svc.Name)
		return drill.Options{}, nil, exitBadInput
	}
	ops, err := awsrunbook.NewClients(ctx, awsrunbook.ClientOptions{Endpoint: f.endpoint})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
		return drill.Options{}, nil, exitFailed
	}
	scope := awsrunbook.Scope{Environment: t.Environment.Name, Region: region, Service: svc.Name}
	var sc drill.Scenario
	switch scenario {
	case "instance-loss":
		sc = &drill.AWSInstanceLoss{Ops: ops, Scope: scope, Wait: f.wait}
	case "region-loss":
		sc = &drill.AWSRegionLoss{Ops: ops, Topology: t, Region: region, Wait: f.wait}
	case "db-primary-loss":
		sc = &drill.AWSDatabasePrimaryLoss{Ops: ops, Topology: t, Service: svc, Wait: f.wait}
	case "backup-restore":
		// the restored copy answers through the RDS Data API, signing in with the database's admin secret (never rotated)
		copies, err := awsrunbook.NewCopyClients(ctx, awsrunbook.ClientOptions{Endpoint: f.endpoint})
		if err != nil {
			fmt.Fprintf(errOut, "bulwark drill: %v\n", err)
			return drill.Options{}, nil, exitFailed
		}
		sc = &drill.AWSBackupRestore{Ops: ops, Copies: copies, Topology: t, Service: svc, Vault: region, Role: f.restoreRole, Wait: f.wait}
	}
	if f.fisTemplate != "" {
		// the experiment injects; a region's loss or partition still needs the runbook (fail the writer over)
		var then drill.Scenario
		kind := topology.DisruptionZone
		switch scenario {
		case "region-loss", "region-partition":
			then = &drill.AWSRegionLoss{Ops: ops, Topology: t, Region: region, Wait: f.wait}
			kind = topology.DisruptionRegion
		case "zone-loss":
		default:
			kind = sc.Disruption()
		}
		sc = &drill.FISExperiment{Ops: ops, Scenario: scenario, Kind: kind, Region: region, Template: f.fisTemplate, Then: then, Wait: f.wait}
	}
	port := 80
	if svc.HTTPS != nil {
		port = 443
	}
	return drill.Options{Topology: t, Service: svc, Region: region, DNSServer: f.dnsServer, Port: port, HTTPS: svc.HTTPS != nil, Scenario: sc,
		StopConditions: &drill.AWSStopConditions{Ops: ops, Topology: t}}, sc, exitOK
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
