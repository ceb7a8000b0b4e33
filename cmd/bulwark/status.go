package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/status"
)

// runStatus prints, per region and service, what the environment's
// monitoring sees, and the alerts that fire; exit 1 when a page fires.
func runStatus(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("status", errOut, &f)
	endpoint := fs.String("endpoint-url", "", "aws: one endpoint for every AWS API (a fake on loopback)")
	p, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tgt, err := targetOf(p, t, *endpoint)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark status: %v\n", err)
		return exitFailed
	}
	r, err := tgt.Status(ctx)
	if err != nil {
		return targetFailed(errOut, "status", err)
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
