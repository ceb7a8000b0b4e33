package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// runLocal dispatches `bulwark local <serve|status|stop>`.
func runLocal(ctx context.Context, args []string, out, errOut io.Writer) int {
	usage := func() int {
		fmt.Fprintf(errOut, "Usage: bulwark local <command>\n\n"+
			"  serve   run the local control plane in the foreground (it starts by itself when needed)\n"+
			"  status  every region, process, address and health the control plane holds\n"+
			"  stop    stop the control plane and every process it runs (their desired state is kept)\n")
		return exitBadInput
	}
	if len(args) == 0 {
		return usage()
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark local: %v\n", err)
		return exitFailed
	}
	dir := localcloud.Dir(state)
	fs := flag.NewFlagSet("bulwark local "+args[0], flag.ContinueOnError)
	fs.SetOutput(errOut)
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args[1:]); err != nil {
		return exitBadInput
	}
	switch args[0] {
	case "serve":
		logger := log.New(errOut, "", log.LstdFlags)
		if err := localcloud.Serve(ctx, dir, logger); err != nil {
			fmt.Fprintf(errOut, "bulwark local serve: %v\n", err)
			return exitFailed
		}
		return exitOK
	case "stop":
		pid := localcloud.Running(dir)
		if pid == 0 {
			fmt.Fprintf(out, "no control plane runs for %s\n", state)
			return exitOK
		}
		if err := localcloud.Stop(ctx, dir); err != nil {
			fmt.Fprintf(errOut, "bulwark local stop: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(out, "control plane %d stopped, and every process it ran; `bulwark up` starts them again\n", pid)
		return exitOK
	case "status":
		if localcloud.Running(dir) == 0 {
			fmt.Fprintf(out, "no control plane runs for %s (nothing of the local target runs)\n", state)
			return exitOK
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		st, err := localcloud.NewClient(dir).Status(ctx)
		if err != nil {
			fmt.Fprintf(errOut, "bulwark local status: %v\n", err)
			return exitFailed
		}
		if *format == "json" {
			return writeJSON(out, errOut, st)
		}
		writeLocalStatus(out, st)
		return exitOK
	default:
		fmt.Fprintf(errOut, "bulwark local: unknown command %q\n\n", args[0])
		return usage()
	}
}

func writeLocalStatus(w io.Writer, st localcloud.Status) {
	fmt.Fprintf(w, "control plane: pid %d, %s\n", st.PID, st.Dir)
	if len(st.Regions) == 0 {
		fmt.Fprintf(w, "\nnothing deployed\n")
		return
	}
	fmt.Fprintf(w, "\n%-24s %s\n", "REGION", "LOOPBACK RANGE")
	for _, r := range st.Regions {
		fmt.Fprintf(w, "%-24s %s\n", r.ID(), r.CIDR())
	}
	balancers := map[string]localcloud.Balancer{}
	for _, b := range st.Balancers {
		balancers[b.ID()] = b
	}
	for _, g := range st.Groups {
		b, ok := balancers[g.ID()]
		lb := "no load balancer"
		if ok {
			state := "running"
			if !b.Running {
				state = "DOWN (drift: `bulwark up` restores it)"
			}
			lb = fmt.Sprintf("load balancer %s pid %d %s", b.Address, b.PID, state)
		}
		fmt.Fprintf(w, "\n%s: %d/%d healthy (declared %d, min %d, max %d), replaced %d; %s\n", g.ID(), g.Healthy(), g.Current, g.Desired, g.Min, g.Max, g.Replaced, lb)
		if g.LastScaling != "" {
			fmt.Fprintf(w, "  autoscaling: %s\n", g.LastScaling)
		}
		if r := g.Rollout; r != nil {
			fmt.Fprintf(w, "  rollout: %s -> %s %s %s\n", localcloud.ShortDigest(r.From), localcloud.ShortDigest(r.To), r.State, r.Reason)
		}
		for _, in := range g.Instances {
			fmt.Fprintf(w, "  slot %-2d zone %d  %-20s pid %-7d %-9s %s\n", in.Slot, in.Zone, in.Address, in.PID, in.State, in.Name)
		}
	}
	promoted := map[string]string{} // env/service -> a member that is primary now
	for _, d := range st.Databases {
		if d.Running && d.Role == "primary" {
			promoted[d.Env+"/"+d.Service] = d.ID()
		}
	}
	for _, d := range st.Databases {
		state := d.Role
		switch {
		case !d.Running && d.IsPrimary() && promoted[d.Env+"/"+d.Service] != "":
			state = fmt.Sprintf("DOWN: %s was promoted in its place; rebuild region %s to rejoin it as a replica", promoted[d.Env+"/"+d.Service], d.Region)
		case !d.Running:
			state = "DOWN (drift: `bulwark up --refresh` restores it)"
		}
		fmt.Fprintf(w, "\ndatabase %s: %s pid %d, %s (created as %s, %s replication)", d.ID(), d.Address, d.PID, state,
			map[bool]string{true: "primary", false: "replica of " + d.Primary}[d.IsPrimary()], d.Replication)
	}
	if len(st.Databases) > 0 {
		fmt.Fprintln(w)
	}
	for _, b := range st.Backups {
		last := "no backup yet"
		if n := len(b.Backups); n > 0 {
			bk := b.Backups[n-1]
			last = fmt.Sprintf("%d backups, the latest %s %s (%s ago)", n, bk.Type, bk.Label, time.Since(bk.Stop).Round(time.Second))
		}
		fmt.Fprintf(w, "\nbackups %s: primary in %s, every %s, kept %s, into the vaults of %v: %s\n", b.ID(), b.Primary, b.Every, b.Keep, b.Vaults, last)
		if b.LastError != "" {
			fmt.Fprintf(w, "  last error: %s\n", b.LastError)
		}
	}
	for _, d := range st.DNSServers {
		state := "running"
		if !d.Running {
			state = "DOWN (drift: `bulwark up --refresh` restores it)"
		}
		fmt.Fprintf(w, "\ndns %s: %s pid %d %s\n", d.Env, d.Address, d.PID, state)
		for _, r := range st.DNSRecords {
			if r.Env == d.Env {
				fmt.Fprintf(w, "  %-28s ttl %-3d health-checked %v on port %d %s\n", r.FQDN(), r.TTL, r.Targets, r.Port, r.HealthPath)
			}
		}
	}
	for _, m := range st.Monitors {
		state := "running"
		if !m.Running {
			state = "DOWN (drift: `bulwark up --refresh` restores it)"
		}
		var procs []string
		for _, name := range slices.Sorted(maps.Keys(m.PIDs)) {
			procs = append(procs, fmt.Sprintf("%s %d", name, m.PIDs[name]))
		}
		fmt.Fprintf(w, "\nmonitoring %s: %s, %s (pids: %s); `bulwark status --env %s` reads it\n", m.Env, m.Prometheus, state, strings.Join(procs, ", "), m.Env)
	}
	if len(st.Parameters) > 0 {
		perService := map[string]int{} // env/region/service → count
		for _, p := range st.Parameters {
			perService[p.Env+"/"+p.Region+"/"+p.Service]++
		}
		var parts []string
		for _, id := range slices.Sorted(maps.Keys(perService)) {
			parts = append(parts, fmt.Sprintf("%s %d", id, perService[id]))
		}
		fmt.Fprintf(w, "\nparameters: %s\n", strings.Join(parts, ", "))
	}
	if len(st.Images) > 0 {
		var digests []string
		for _, i := range st.Images {
			digests = append(digests, i.Name+" "+i.Digest[:19])
		}
		fmt.Fprintf(w, "\nimages: %s\n", strings.Join(digests, ", "))
	}
}
