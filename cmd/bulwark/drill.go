package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// scenarios are the drill scenarios available today, per target.
var scenarios = map[topology.Target][]string{topology.TargetLocal: {"instance-loss", "zone-loss", "region-loss", "db-primary-loss", "backup-restore"}}

func runDrill(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("drill", errOut, &f)
	scenario := fs.String("scenario", "", "what to lose: instance-loss, zone-loss, region-loss, db-primary-loss, backup-restore")
	zone := fs.Int("zone", 1, "the zone to lose (zone-loss)")
	region := fs.String("region", "", "the region to disrupt (default: the primary; backup-restore: the vault region to restore from, default the first copy_to region)")
	noRestore := fs.Bool("no-restore", false, "stay failed over: skip the return to the steady state (recreate-region brings a lost region back)")
	service := fs.String("service", "", "the service to probe (default: the first)")
	reportDir := fs.String("report-dir", "", "where the report goes (default: a timestamped folder under the state directory)")
	deadline := fs.Duration("deadline", 30*time.Second, "how long recovery may take before the drill fails")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	opts, sc, code := drillOptions(ctx, p, t, *scenario, *region, *service, *zone, errOut)
	if sc == nil {
		return code
	}
	opts.Deadline = *deadline
	opts.NoRestore = *noRestore
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

// drillOptions resolves the scenario, service and region, the environment's
// DNS server and the assessment's estimate.
func drillOptions(ctx context.Context, p *project.Project, t *topology.Topology, scenario, region, service string, zone int, errOut io.Writer) (drill.Options, drill.Scenario, int) {
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
	if _, ok := t.Region(region); !ok {
		fmt.Fprintf(errOut, "bulwark drill: environment %s has no region %q\n", t.Environment.Name, region)
		return drill.Options{}, nil, exitBadInput
	}
	var sc drill.Scenario
	switch scenario {
	case "instance-loss":
		sc = &drill.InstanceLoss{Plane: c, Group: t.Environment.Name + "/" + region + "/" + svc.Name}
	case "zone-loss":
		sc = &drill.ZoneLoss{Plane: c, Group: t.Environment.Name + "/" + region + "/" + svc.Name, Zone: zone}
	case "region-loss":
		sc = &drill.RegionLoss{Plane: c, Topology: t, Region: region}
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
	opts := drill.Options{Topology: t, Service: *svc, Region: region, DNSServer: dns.Address, Scenario: sc}
	if _, j, code := planAndJudge(ctx, p, t, errOut); code == exitOK {
		for _, e := range j.Assessment.Estimates {
			if e.Service == svc.Name && e.Disruption == sc.Disruption() {
				opts.Estimated = &drill.Numbers{RTOSeconds: e.RTO.Seconds(), RPOSeconds: e.RPO.Seconds(), Known: !e.Unrecoverable}
			}
		}
	}
	return opts, sc, exitOK
}
