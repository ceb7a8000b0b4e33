package localcloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// SuspendRegion kills every process of a region (instances, load balancers,
// database members, write queues, caches, the links' server) with SIGKILL, as the loss of the region would, and keeps
// its instance groups from replacing instances until ResumeRegion. The DNS
// server (global) is untouched: its health checks see the region go.
func (p *Plane) SuspendRegion(rid localapi.RegionID) ([]string, error) {
	if _, err := p.regionOf(rid); err != nil {
		return nil, err
	}
	var killed []string
	p.mu.Lock()
	groups := inRegion(p.groups, rid)
	var procs []*managed
	var names []string
	// group: the processes whose whole process group goes (nginx's
	// workers hold its listening socket; its master alone is not it)
	group := map[int]bool{}
	for id, b := range p.balancers {
		if id.RegionID() == rid {
			procs, names = append(procs, &b.managed), append(names, "load balancer "+id.String())
		}
	}
	for id, d := range p.databases {
		if id.RegionID() == rid {
			procs, names = append(procs, &d.managed), append(names, "database "+id.String())
		}
	}
	for id, q := range p.queues {
		if id.RegionID() == rid {
			procs, names = append(procs, &q.managed), append(names, "write queue "+id.String())
		}
	}
	for id, c := range p.caches {
		if id.RegionID() == rid {
			group[len(procs)] = true
			procs, names = append(procs, &c.managed), append(names, "cache "+id.String())
		}
	}
	if s, ok := p.linkServers[rid]; ok {
		procs, names = append(procs, &s.managed), append(names, "links of "+rid.String())
	}
	p.mu.Unlock()
	for _, g := range groups {
		killed = append(killed, g.suspend()...)
	}
	for i, m := range procs {
		if pid, running := m.pid(); running {
			if group[i] {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed = append(killed, fmt.Sprintf("%s (pid %d)", names[i], pid))
		}
	}
	return killed, nil
}

// suspend kills the group's instances and stops replacing them.
func (g *groupRunner) suspend() []string {
	g.mu.Lock()
	g.suspended = true
	var killed []string
	for _, s := range g.slots {
		if s.proc.running() {
			_ = syscall.Kill(s.proc.PID, syscall.SIGKILL)
			killed = append(killed, fmt.Sprintf("instance %s (pid %d)", s.inst.Name, s.proc.PID))
		}
	}
	g.mu.Unlock()
	return killed
}

// ResumeRegion brings a suspended region back: its groups replace their
// instances, its load balancers, database members, write queues, caches and
// links restart (the links healed of their faults). A member that
// was the primary is not restarted when another member has been promoted
// meanwhile (two primaries would split the data): it stays down until the
// region is rebuilt, and the returned notes say so.
func (p *Plane) ResumeRegion(ctx context.Context, rid localapi.RegionID) ([]string, error) {
	p.mu.Lock()
	groups := inRegion(p.groups, rid)
	balancers := inRegion(p.state.Balancers, rid)
	dbs := inRegion(p.state.Databases, rid)
	queues := inRegion(p.state.Queues, rid)
	caches := inRegion(p.state.Caches, rid)
	links := inRegion(p.state.Links, rid)
	p.mu.Unlock()
	var notes []string
	for _, spec := range dbs {
		_, err := p.PutDatabase(ctx, spec)
		switch {
		case errors.Is(err, localapi.ErrSplitBrain):
			notes = append(notes, fmt.Sprintf("database %s stays down: %v", spec.ID(), err))
		case err != nil:
			return notes, err
		default:
			notes = append(notes, "database "+spec.ID().String()+" restarted")
		}
	}
	for _, spec := range queues {
		if _, err := p.PutQueue(ctx, spec); err != nil {
			return notes, err
		}
		notes = append(notes, "write queue "+spec.ID().String()+" restarted")
	}
	for _, spec := range links {
		if _, err := p.PutLink(ctx, spec); err != nil {
			return notes, err
		}
		notes = append(notes, "link "+spec.ID().String()+" restarted")
	}
	for _, g := range groups {
		g.mu.Lock()
		g.suspended = false
		g.mu.Unlock()
		g.poke()
	}
	for _, spec := range balancers {
		if _, err := p.PutBalancer(ctx, spec); err != nil {
			return notes, err
		}
		notes = append(notes, "load balancer "+spec.ID().String()+" restarted")
	}
	for _, spec := range caches {
		if _, err := p.PutCache(ctx, spec); err != nil {
			return notes, err
		}
		notes = append(notes, "cache "+spec.ID().String()+" restarted")
	}
	return notes, nil
}

// SetSynchronousStandbys changes which replicas a primary waits for (none:
// asynchronous), in postgresql.auto.conf, reloaded: the runbook step when a
// synchronous standby is lost. ResetSynchronousStandbys returns to the plan's.
func (p *Plane) SetSynchronousStandbys(ctx context.Context, id localapi.ServiceID, standbys []string) error {
	d, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return err
	}
	value := ""
	if len(standbys) > 0 {
		value = "ANY 1 (" + strings.Join(quoteIdents(standbys), ", ") + ")"
	}
	return d.alterSystem(ctx, "synchronous_standby_names", value)
}

// ResetSynchronousStandbys drops the runbook's override: the member waits
// for the standbys its spec names again.
func (p *Plane) ResetSynchronousStandbys(ctx context.Context, id localapi.ServiceID) error {
	d, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return err
	}
	return d.resetSystem(ctx, "synchronous_standby_names")
}

// KillDatabase kills one database member's server with SIGKILL (a lost
// primary, for drills). It is not restarted: the member is managed, and a
// former primary stays down once a replica is promoted.
func (p *Plane) KillDatabase(id localapi.ServiceID) (int, error) {
	d, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return 0, err
	}
	pid, running := d.pid()
	if !running {
		return 0, fmt.Errorf("database %s is not running", id)
	}
	return pid, syscall.Kill(pid, syscall.SIGKILL)
}

// SetZoneDown takes one zone of a group down (its instances killed and not
// replaced) or brings it back.
func (p *Plane) SetZoneDown(id localapi.ServiceID, zone int, down bool) ([]string, error) {
	g, err := lookup(p, p.groups, "instance group", id)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	if g.downZones == nil {
		g.downZones = map[int]bool{}
	}
	g.downZones[zone] = down
	var killed []string
	if down {
		for _, s := range g.slots {
			if s.inst.Zone == zone && s.proc.running() {
				_ = syscall.Kill(s.proc.PID, syscall.SIGKILL)
				killed = append(killed, fmt.Sprintf("instance %s (pid %d)", s.inst.Name, s.proc.PID))
			}
		}
	}
	g.mu.Unlock()
	g.poke()
	return killed, nil
}
