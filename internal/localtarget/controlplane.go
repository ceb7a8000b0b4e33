package localtarget

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
)

// ProviderInvoked reports whether the engine started this binary as the
// local target's provider plugin (or the plugin's control plane).
func ProviderInvoked(args []string) bool { return localprovider.Invoked(args) }

// ProviderMain serves the provider plugin (or its control plane) and
// returns the exit code.
func ProviderMain(args []string) int { return localprovider.Main(args) }

// ServeControlPlane runs the control plane of the state folder in the
// foreground until ctx ends (it starts by itself when needed).
func ServeControlPlane(ctx context.Context, stateDir string, logger *log.Logger) error {
	return localcloud.Serve(ctx, localcloud.Dir(stateDir), logger)
}

// StopControlPlane stops the control plane of the state folder and every
// process it runs (their desired state is kept); pid is the plane's, 0
// when none ran.
func StopControlPlane(ctx context.Context, stateDir string) (pid int, err error) {
	dir := localcloud.Dir(stateDir)
	if pid = localcloud.Running(dir); pid == 0 {
		return 0, nil
	}
	return pid, localcloud.Stop(ctx, dir)
}

// Inventory is everything the control plane holds: regions, processes,
// addresses and health.
type Inventory struct{ st localapi.Status }

// ReadInventory asks the control plane of the state folder what it runs
// (nil, nil when no control plane runs).
func ReadInventory(ctx context.Context, stateDir string) (*Inventory, error) {
	dir := localcloud.Dir(stateDir)
	if localcloud.Running(dir) == 0 {
		return nil, nil
	}
	st, err := localcloud.Dial(dir).Status(ctx)
	if err != nil {
		return nil, err
	}
	return &Inventory{st: st}, nil
}

// MarshalJSON is the control plane's status document.
func (i *Inventory) MarshalJSON() ([]byte, error) { return json.Marshal(i.st) }

// WriteText renders the inventory for a person.
func (i *Inventory) WriteText(w io.Writer) {
	st := i.st
	fmt.Fprintf(w, "control plane: pid %d, %s\n", st.PID, st.Dir)
	if len(st.Regions) == 0 {
		fmt.Fprintf(w, "\nnothing deployed\n")
		return
	}
	fmt.Fprintf(w, "\n%-24s %s\n", "REGION", "LOOPBACK RANGE")
	for _, r := range st.Regions {
		fmt.Fprintf(w, "%-24s %s\n", r.ID(), r.CIDR())
	}
	balancers := map[localapi.ServiceID]localapi.Balancer{}
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
	promoted := map[string]localapi.ServiceID{} // env/service -> a member that is primary now
	for _, d := range st.Databases {
		if d.Running && d.Role == "primary" {
			promoted[d.Env+"/"+d.Service] = d.ID()
		}
	}
	for _, d := range st.Databases {
		state := d.Role
		switch {
		case !d.Running && d.IsPrimary() && promoted[d.Env+"/"+d.Service] != (localapi.ServiceID{}):
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
	down := func(running bool) string {
		if running {
			return "running"
		}
		return "DOWN (drift: `bulwark up --refresh` restores it)"
	}
	for _, q := range st.Queues {
		fmt.Fprintf(w, "\nwrite queue %s: %s pid %d %s (stream %s, kept %s, %d deliveries at most)\n", q.ID(), q.URL, q.PID, down(q.Running), q.Stream, q.Keep, q.MaxReceives)
	}
	for _, c := range st.Caches {
		fmt.Fprintf(w, "\ncache %s: %s pid %d %s, caching %s for %s (stale for %s), origins %s\n", c.ID(), c.Address, c.PID, down(c.Running),
			strings.Join(c.Paths, ", "), c.TTL, c.StaleFor, strings.Join(c.OriginAddresses, ", "))
	}
	for _, l := range st.Links {
		fault := "healthy"
		switch f := l.Fault; {
		case f.Down:
			fault = "CUT (a drill's fault)"
		case f.Latency > 0:
			fault = fmt.Sprintf("SLOWED by %s ± %s (a drill's fault)", f.Latency, f.Jitter)
		}
		fmt.Fprintf(w, "\nlink %s: %s -> %s (%s), toxiproxy pid %d %s, %s\n", l.ID(), l.Address, l.UpstreamAddress, l.Upstream, l.PID, down(l.Running), fault)
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
			perService[p.ID().ServiceID().String()]++
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
			digests = append(digests, i.Name+" sha256:"+localcloud.ShortDigest(i.Digest))
		}
		fmt.Fprintf(w, "\nimages: %s\n", strings.Join(digests, ", "))
	}
}
