package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
)

// runLocal times the local target on environments/dev.hcl, in a throwaway
// state directory: up from nothing, a no-change preview, replacing a killed
// instance, and destroy.
func runLocal(bin string, runs int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	state, err := os.MkdirTemp("", "bulwark-bench-local-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	plane := localcloud.Dir(state)
	defer os.RemoveAll(localcloud.DataRoot(plane))     // databases, vaults and the data recreate-region set aside
	defer localcloud.Stop(context.Background(), plane) //nolint:errcheck // best effort at exit
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	bulwark := func(args ...string) (measurement, error) {
		m, _, err := measure(wd, []string{"BULWARK_STATE_DIR=" + state}, bin, args...)
		return m, err
	}
	rows := map[string][]time.Duration{}
	var peak int64
	for i := 0; i < runs; i++ {
		up, err := bulwark("up", "--env", "dev")
		if err != nil {
			return err
		}
		preview, err := bulwark("preview", "--env", "dev")
		if err != nil {
			return err
		}
		replace, err := replaceInstance(plane, localapi.ServiceID{Env: "dev", Region: "east", Service: "shop"})
		if err != nil {
			return err
		}
		destroy, err := bulwark("destroy", "--env", "dev", "--yes")
		if err != nil {
			return err
		}
		rows["up from nothing"] = append(rows["up from nothing"], up.wall)
		rows["preview, no changes"] = append(rows["preview, no changes"], preview.wall)
		rows["replace a killed instance"] = append(rows["replace a killed instance"], replace)
		rows["destroy"] = append(rows["destroy"], destroy.wall)
		peak = max(peak, up.maxRSS, destroy.maxRSS)
	}
	fmt.Printf("\nLocal target, environments/dev.hcl (2 regions, 2 instances each, HAProxy, PowerDNS, PostgreSQL sync replica), %d runs\n\n", runs)
	fmt.Printf("%-28s %10s %10s %10s  %s\n", "step", "median", "min", "max", "target")
	targets := map[string]time.Duration{"up from nothing": 60 * time.Second}
	for _, name := range []string{"up from nothing", "preview, no changes", "replace a killed instance", "destroy"} {
		d := rows[name]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		target := ""
		if limit, ok := targets[name]; ok {
			verdict := "met"
			if d[len(d)/2] >= limit {
				verdict = "MISSED"
			}
			target = fmt.Sprintf("< %s: %s", limit, verdict)
		}
		fmt.Printf("%-28s %10s %10s %10s  %s\n", name, d[len(d)/2].Round(10*time.Millisecond), d[0].Round(10*time.Millisecond), d[len(d)-1].Round(10*time.Millisecond), target)
	}
	fmt.Printf("peak RSS of the bulwark CLI: %.1f MiB (the engine and the control plane run as their own processes)\n", float64(peak)/1024)
	return drillTable(wd, state, bin)
}

// drillTable measures a loss and a partition of the primary region with
// synchronous and asynchronous replication (environments/dev.hcl and
// dev-async.hcl), and then the time to rebuild the region from code and
// fail back (recreate-region --failback).
func drillTable(wd, state, bin string) error {
	env := []string{"BULWARK_STATE_DIR=" + state}
	fmt.Printf("\nDrills of the primary region (east), measured by the probe, then recreate-region --failback\n\n")
	fmt.Printf("%-10s %-17s %-12s %10s %10s %12s %12s  %s\n", "env", "scenario", "replication", "RTO", "RPO", "writes lost", "recreate",
		"targets (region-loss RTO <= 3s; RPO 0 with sync; one writer after a partition; recreate < 60s)")
	for _, e := range []struct{ name, replication string }{{"dev", "sync"}, {"dev-async", "async"}} {
		for _, scenario := range []string{"region-loss", "region-partition"} {
			if _, _, err := measure(wd, env, bin, "up", "--env", e.name); err != nil {
				return err
			}
			dir := filepath.Join(state, "bench-drill-"+e.name+"-"+scenario)
			_, _, derr := measure(wd, env, bin, "drill", "--env", e.name, "--scenario", scenario, "--region", "east", "--no-restore", "--report-dir", dir)
			recreate, _, rerr := measure(wd, env, bin, "recreate-region", "--env", e.name, "--region", "east", "--failback")
			if rerr != nil {
				return fmt.Errorf("recreate-region of %s after %s: %w", e.name, scenario, rerr)
			}
			if _, _, err := measure(wd, env, bin, "destroy", "--env", e.name, "--yes"); err != nil {
				return err
			}
			b, err := os.ReadFile(filepath.Join(dir, "drill.json"))
			if err != nil {
				return fmt.Errorf("%s drill of %s: %v (%v)", scenario, e.name, err, derr)
			}
			var r struct {
				Measured struct {
					RTO        float64 `json:"rto_seconds"`
					RPO        float64 `json:"rpo_seconds"`
					WritesLost int     `json:"writes_lost"`
					Known      bool    `json:"known"`
				} `json:"measured"`
				Writers map[string][]string `json:"writers"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			verdict := "met"
			switch {
			case !r.Measured.Known, e.replication == "sync" && r.Measured.WritesLost > 0, recreate.wall >= time.Minute:
				verdict = "MISSED"
			case scenario == "region-loss" && r.Measured.RTO > 3:
				verdict = "MISSED"
			}
			for _, w := range r.Writers {
				if len(w) > 1 {
					verdict = "MISSED (two writers)"
				}
			}
			fmt.Printf("%-10s %-17s %-12s %10s %10s %12d %12s  %s\n", e.name, scenario, e.replication,
				time.Duration(r.Measured.RTO*float64(time.Second)).Round(time.Millisecond),
				time.Duration(r.Measured.RPO*float64(time.Second)).Round(time.Millisecond), r.Measured.WritesLost,
				recreate.wall.Round(100*time.Millisecond), verdict)
		}
	}
	return nil
}

// replaceInstance kills slot 0 of a group and times until the group is
// whole and healthy again with a new instance.
func replaceInstance(plane string, group localapi.ServiceID) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := localcloud.Dial(plane)
	start := time.Now()
	killed, err := localapi.Do(ctx, c, localapi.KillInstance, group, localapi.SlotRequest{Slot: 0})
	if err != nil {
		return 0, err
	}
	pid := killed.PID
	for {
		g, err := localapi.Get(ctx, c, localapi.Groups, group)
		if err == nil && g.Instances[0].PID != pid && g.Healthy() == g.Desired {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("instance %d of %s not replaced within a minute", pid, group)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
