package localtarget

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/steps"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// ErrNotReady is returned when the rebuilt region did not become healthy,
// or did not rejoin DNS or replication, in time.
var ErrNotReady = errors.New("the rebuilt region is not ready")

// RecreateRegion rebuilds one region of the environment from code: it
// moves the primary of every database out of the region when it still
// runs there (a switchover, losing nothing) or promotes a survivor when no
// primary runs, abandons what is left of the region (its processes and its
// stack's state), deploys the region's stack afresh and then the global
// stack, waits until the rebuilt database members stream from the primary
// (or were restored from the cross-region backup when no member survived),
// the region's instance groups are healthy and the environment's DNS
// answers with the region again, and, when asked, fails the primaries back
// to it. Every step is printed with its timing and is safe to run again: a
// rerun after an interruption abandons the half-built region and
// converges. The report holds every step run, also on error.
func RecreateRegion(ctx context.Context, t *topology.Topology, plane *localapi.Client, o target.RecreateRequest) (*target.RecreateReport, error) {
	if o.Wait <= 0 {
		o.Wait = time.Minute
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	env := t.Environment.Name
	if _, ok := t.Region(o.Region); !ok {
		return nil, fmt.Errorf("%w %q: environment %s has %v", orchestrate.ErrUnknownRegion, o.Region, env, t.RegionNames())
	}
	r := &target.RecreateReport{Environment: env, Region: o.Region, Failback: o.Failback}
	start := time.Now()
	defer func() { r.Total = time.Since(start) }()
	step := func(name string, fn func() (string, error)) error { return steps.Run(&r.Steps, o.Progress, name, fn) }
	b := &rebuilder{RecreateRequest: o, Topology: t, Plane: plane, env: env}
	for _, s := range []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"move primaries out", b.movePrimariesOut},
		{"abandon what is left", b.abandon},
		{"deploy " + stacks.Ref{Env: env, Region: o.Region}.String() + " and " + stacks.Global(env).String(), b.deploy},
		{"rejoin replication", b.rejoinReplication},
		{"wait for health", b.waitHealthy},
		{"rejoin DNS", b.rejoinDNS},
	} {
		if err := step(s.name, func() (string, error) { return s.fn(ctx) }); err != nil {
			return r, err
		}
	}
	if o.Failback {
		if err := step("fail back", func() (string, error) { return b.failBack(ctx) }); err != nil {
			return r, err
		}
	}
	return r, nil
}

type rebuilder struct {
	target.RecreateRequest
	Topology *topology.Topology
	Plane    *localapi.Client
	env      string
}

// databases are the services with a database member in the region.
func (b *rebuilder) databases() []topology.Service {
	var out []topology.Service
	for _, svc := range b.Topology.ServicesIn(b.Region) {
		if svc.Database != nil {
			out = append(out, svc)
		}
	}
	return out
}

func (b *rebuilder) member(region, service string) localapi.ServiceID {
	return localapi.ServiceID{Env: b.env, Region: region, Service: service}
}

// roles returns, per region of a service's database, the member's role now
// ("primary", "replica", "" when it does not run or does not exist).
func (b *rebuilder) roles(ctx context.Context, svc topology.Service) (live string, running []string) {
	primary, replicas := b.Topology.PrimaryRegionOf(svc)
	for _, region := range append([]string{primary}, replicas...) {
		db, err := localapi.Get(ctx, b.Plane, localapi.Databases, b.member(region, svc.Name))
		if err != nil || !db.Running {
			continue
		}
		running = append(running, region)
		if db.Role == "primary" {
			live = region
		}
	}
	return live, running
}

// movePrimariesOut switches a primary still running in the region over to
// a survivor, and promotes a survivor where no primary runs at all.
func (b *rebuilder) movePrimariesOut(ctx context.Context) (string, error) {
	var notes []string
	for _, svc := range b.databases() {
		live, running := b.roles(ctx, svc)
		survivors := slices.DeleteFunc(slices.Clone(running), func(r string) bool { return r == b.Region })
		switch {
		case live != "" && live != b.Region:
			notes = append(notes, fmt.Sprintf("%s: the primary runs in %s", svc.Name, live))
		case live == b.Region && len(survivors) > 0:
			if _, err := localapi.Do(ctx, b.Plane, localapi.SwitchoverDatabase, b.member(survivors[0], svc.Name), localapi.None{}); err != nil {
				return strings.Join(notes, "; "), fmt.Errorf("%s: switch the primary over to %s: %w", svc.Name, survivors[0], err)
			}
			notes = append(notes, fmt.Sprintf("%s: the primary still ran in %s; switched over to %s (nothing lost)", svc.Name, b.Region, survivors[0]))
		case live == b.Region:
			return "", fmt.Errorf("%s: %s holds the only running member of the database (the primary); rebuilding it would lose its newest writes", svc.Name, b.Region)
		case len(survivors) > 0:
			if _, err := localapi.Do(ctx, b.Plane, localapi.PromoteDatabase, b.member(survivors[0], svc.Name), localapi.None{}); err != nil {
				return strings.Join(notes, "; "), fmt.Errorf("%s: promote %s: %w", svc.Name, survivors[0], err)
			}
			notes = append(notes, fmt.Sprintf("%s: no primary ran; promoted the replica in %s", svc.Name, survivors[0]))
		default:
			notes = append(notes, fmt.Sprintf("%s: no member survives; the rebuilt one is restored from the backup vault", svc.Name))
		}
	}
	if len(notes) == 0 {
		return "no database in " + b.Region, nil
	}
	return strings.Join(notes, "; "), nil
}

func (b *rebuilder) abandon(ctx context.Context) (string, error) {
	out, err := localapi.Do(ctx, b.Plane, localapi.AbandonRegion, localapi.RegionID{Env: b.env, Region: b.Region}, localapi.None{})
	notes := out.Notes
	if err != nil {
		return strings.Join(notes, "; "), err
	}
	ref := stacks.Ref{Env: b.env, Region: b.Region}
	if err := b.Engine.Remove(ctx, ref.String()); err != nil {
		return strings.Join(notes, "; "), err
	}
	notes = append(notes, "stack "+ref.String()+" removed (its state abandoned)")
	return fmt.Sprintf("%d parts forgotten; %s", len(notes)-1, strings.Join(notes, "; ")), nil
}

func (b *rebuilder) deploy(ctx context.Context) (string, error) {
	o := &orchestrate.Orchestrator{Engine: b.Engine, Topology: b.Topology, Region: b.Region, Progress: b.EngineProgress, Layers: b.Layers}
	sum, err := o.Up(ctx)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, res := range sum.Results {
		parts = append(parts, fmt.Sprintf("%s: %s in %s", res.Stack, res.ChangeSummary(), res.Duration.Round(time.Millisecond)))
	}
	return strings.Join(parts, "; "), nil
}

// rejoinReplication waits until the region's rebuilt members stream from
// the primary, and makes a synchronous primary wait for them again.
func (b *rebuilder) rejoinReplication(ctx context.Context) (string, error) {
	var notes []string
	for _, svc := range b.databases() {
		live, running := b.roles(ctx, svc)
		if live == "" {
			return strings.Join(notes, "; "), fmt.Errorf("%w: %s has no running primary", ErrNotReady, svc.Name)
		}
		if live == b.Region {
			notes = append(notes, fmt.Sprintf("%s: the rebuilt member is the primary (restored from the backup vault)", svc.Name))
			continue
		}
		err := wait(ctx, b.Wait, func() bool {
			db, err := localapi.Get(ctx, b.Plane, localapi.Databases, b.member(live, svc.Name))
			return err == nil && slices.Contains(db.Streaming, b.Region)
		})
		if err != nil {
			return strings.Join(notes, "; "), fmt.Errorf("%w: %s's member does not stream from %s: %v", ErrNotReady, svc.Name, live, err)
		}
		note := fmt.Sprintf("%s: streams from %s", svc.Name, live)
		if svc.Database.Replication == topology.Synchronous {
			planned, _ := b.Topology.PrimaryRegionOf(svc)
			var err error
			if live == planned {
				_, err = localapi.Do(ctx, b.Plane, localapi.SetSynchronousStandbys, b.member(live, svc.Name), localapi.SyncRequest{Reset: true})
			} else {
				standbys := slices.DeleteFunc(slices.Clone(running), func(r string) bool { return r == live })
				_, err = localapi.Do(ctx, b.Plane, localapi.SetSynchronousStandbys, b.member(live, svc.Name), localapi.SyncRequest{Standbys: standbys})
			}
			if err != nil {
				return strings.Join(notes, "; "), fmt.Errorf("%s: synchronous replication: %w", svc.Name, err)
			}
			note += ", synchronously again"
		}
		notes = append(notes, note)
	}
	if len(notes) == 0 {
		return "no database in " + b.Region, nil
	}
	return strings.Join(notes, "; "), nil
}

func (b *rebuilder) waitHealthy(ctx context.Context) (string, error) {
	var notes []string
	for _, svc := range b.Topology.ServicesIn(b.Region) {
		id := b.member(b.Region, svc.Name)
		var g localapi.Group
		err := wait(ctx, b.Wait, func() bool {
			var err error
			g, err = localapi.Get(ctx, b.Plane, localapi.Groups, id)
			return err == nil && g.Current >= svc.Capacity.Min && g.Healthy() == g.Current
		})
		if err != nil {
			return strings.Join(notes, "; "), fmt.Errorf("%w: instance group %s: %d/%d healthy: %v", ErrNotReady, id, g.Healthy(), g.Current, err)
		}
		notes = append(notes, fmt.Sprintf("%s %d/%d healthy", svc.Name, g.Healthy(), g.Current))
	}
	return strings.Join(notes, "; "), nil
}

// rejoinDNS waits until the environment's DNS answers with the region's
// load balancer (active-active), or until the region's endpoint passes the
// DNS health check (hot-standby: it answers when its turn comes).
func (b *rebuilder) rejoinDNS(ctx context.Context) (string, error) {
	server, err := localapi.Get(ctx, b.Plane, localapi.DNSServers, localapi.EnvID(b.env))
	if err != nil {
		return "", err
	}
	resolver := drill.Resolver(server.Address)
	var notes []string
	for _, svc := range b.Topology.ServicesIn(b.Region) {
		lb, err := localapi.Get(ctx, b.Plane, localapi.Balancers, b.member(b.Region, svc.Name))
		if err != nil {
			return strings.Join(notes, "; "), err
		}
		host, _, _ := net.SplitHostPort(lb.Address)
		name := svc.DNS.FQDN()
		if svc.Mode != topology.ActiveActive {
			notes = append(notes, fmt.Sprintf("%s: %s serves %s when its turn comes (%s)", svc.Name, host, name, svc.Mode))
			continue
		}
		var got []string
		err = wait(ctx, b.Wait, func() bool {
			lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			got, _ = resolver.LookupHost(lctx, name)
			return slices.Contains(got, host)
		})
		if err != nil {
			return strings.Join(notes, "; "), fmt.Errorf("%w: %s resolves to %v, without %s: %v", ErrNotReady, name, got, host, err)
		}
		notes = append(notes, fmt.Sprintf("%s resolves to %s", name, strings.Join(got, ", ")))
	}
	return strings.Join(notes, "; "), nil
}

// failBack switches the primaries the environment plans in the region back
// to it.
func (b *rebuilder) failBack(ctx context.Context) (string, error) {
	var notes []string
	for _, svc := range b.databases() {
		planned, _ := b.Topology.PrimaryRegionOf(svc)
		if planned != b.Region {
			continue
		}
		live, _ := b.roles(ctx, svc)
		if live == b.Region {
			notes = append(notes, svc.Name+": the primary is here already")
			continue
		}
		steps, err := localapi.Do(ctx, b.Plane, localapi.SwitchoverDatabase, b.member(b.Region, svc.Name), localapi.None{})
		if err != nil {
			return strings.Join(notes, "; "), fmt.Errorf("%s: %w", svc.Name, err)
		}
		notes = append(notes, fmt.Sprintf("%s: %s", svc.Name, strings.Join(steps.Notes, ", ")))
	}
	if len(notes) == 0 {
		return "no primary is planned in " + b.Region, nil
	}
	return strings.Join(notes, "; "), nil
}

// wait polls cond every 200 ms until it holds, ctx ends or limit passes.
func wait(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
