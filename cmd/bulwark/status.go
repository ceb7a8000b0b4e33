package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// runStatus prints, per region and service, what the environment's
// monitoring sees, and the alerts that fire; exit 1 when a page fires.
func runStatus(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("status", errOut, &f)
	endpoint := fs.String("endpoint-url", "", "aws: one endpoint for every AWS API (a fake on loopback)")
	_, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var r *status.Report
	var err error
	if t.Environment.Target == topology.TargetAWS {
		var ops *awsrunbook.Clients
		if ops, err = awsrunbook.NewClients(ctx, awsrunbook.ClientOptions{Endpoint: *endpoint}); err == nil {
			r, err = status.ReadAWS(ctx, ops, t)
		}
	} else {
		var src *status.Source
		if src, code = localMonitoring(ctx, t, f.Env, errOut); src == nil {
			return code
		}
		r, err = status.Read(ctx, src, t)
	}
	if err != nil {
		fmt.Fprintf(errOut, "bulwark status: %v\n", err)
		return exitFailed
	}
	if f.Format == "json" {
		if c := writeJSON(out, errOut, r); c != exitOK {
			return c
		}
	} else {
		writeStatus(out, r)
	}
	for _, a := range r.Alerts {
		if a.Severity == string(slo.Page) {
			return exitFailed
		}
	}
	return exitOK
}

// localMonitoring finds the Prometheus of a local environment (nil and an
// exit code when there is none).
func localMonitoring(ctx context.Context, t *topology.Topology, envFlag string, errOut io.Writer) (*status.Source, int) {
	env := t.Environment.Name
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark status: %v\n", err)
		return nil, exitFailed
	}
	dir := localcloud.Dir(state)
	if localcloud.Running(dir) == 0 {
		fmt.Fprintf(errOut, "bulwark status: no control plane runs for %s: nothing of %s runs (bulwark up --env %s)\n", state, env, envFlag)
		return nil, exitFailed
	}
	m, err := localcloud.NewClient(dir).GetMonitor(ctx, env)
	if errors.Is(err, localcloud.ErrNotFound) {
		fmt.Fprintf(errOut, "bulwark status: %s has no monitoring deployed yet (bulwark up --env %s deploys it with the global stack)\n", env, envFlag)
		return nil, exitFailed
	}
	if err != nil {
		fmt.Fprintf(errOut, "bulwark status: %v\n", err)
		return nil, exitFailed
	}
	src, err := status.NewSource(m.Prometheus)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark status: %v\n", err)
		return nil, exitFailed
	}
	return src, exitOK
}

// writeStatus renders the report as a table and the firing alerts.
func writeStatus(w io.Writer, r *status.Report) {
	fmt.Fprintf(w, "%s at %s (%s)\n\n", r.Environment, r.At.Format(time.DateTime), r.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tSERVICE\tHEALTH\tENDPOINT\tREQ/S\t5XX\tP99\tREPL LAG\tBACKUP AGE\tBUDGET LEFT")
	num := func(v *float64, f func(float64) string) string {
		if v == nil {
			return "-"
		}
		return f(*v)
	}
	secs := func(v float64) string {
		return (time.Duration(v * float64(time.Second))).Round(time.Millisecond).String()
	}
	for _, row := range r.Rows {
		if !row.Seen {
			fmt.Fprintf(tw, "%s\t%s\tno data yet\t\t\t\t\t\t\t\n", row.Region, row.Service)
			continue
		}
		endpoint := "up"
		if !row.EndpointUp {
			endpoint = "DOWN"
		}
		budget := "-"
		if row.Budget != nil {
			budget = fmt.Sprintf("%s of %s", slo.Percent(row.Budget.Left()), slo.PromDuration(row.Budget.Window))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Region, row.Service, row.InService, row.Desired, endpoint,
			num(row.RequestRate, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }),
			num(row.ErrorRatio, slo.Percent), num(row.P99, secs), num(row.ReplicationLag, secs),
			num(row.BackupAge, func(v float64) string { return (time.Duration(v) * time.Second).String() }), budget)
	}
	_ = tw.Flush()
	if len(r.Alerts) == 0 {
		fmt.Fprintf(w, "\nno alert fires\n")
		return
	}
	fmt.Fprintf(w, "\n%d alert(s) firing:\n", len(r.Alerts))
	for _, a := range r.Alerts {
		fmt.Fprintf(w, "  %s\n", a)
		if a.Summary != "" {
			fmt.Fprintf(w, "    %s\n", strings.TrimSpace(a.Summary))
		}
	}
}
