package localcloud

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

// AbandonRegion stops and forgets what is left of a region before it is
// rebuilt from code (healing its partition first, if it is cut off): its instance groups, load balancers, caches,
// links, write queues and database members, whatever state they are in (dead processes included). It keeps
// the region's address range, the environment's DNS server and the backup
// plans, whose vaults may hold the data the rebuild restores. A member that
// acted as a primary (it may hold writes no replica received) is moved
// aside, not deleted; the notes say where.
func (p *Plane) AbandonRegion(ctx context.Context, rid localapi.RegionID) ([]string, error) {
	env, region := rid.Env, rid.Region
	p.mu.Lock()
	groups, balancers := idsInRegion(p.state.Groups, rid), idsInRegion(p.state.Balancers, rid)
	dbs := inRegion(p.state.Databases, rid)
	caches, links, queues := idsInRegion(p.state.Caches, rid), idsInRegion(p.state.Links, rid), idsInRegion(p.state.Queues, rid)
	p.mu.Unlock()
	for _, spec := range dbs {
		if d, err := lookup(p, p.databases, "database", spec.ID()); err == nil && d.status(ctx).Role == "primary" {
			return nil, fmt.Errorf("database %s %w: region %s is not lost; switch its primary over to another region first", spec.ID(), localapi.ErrLivePrimary, region)
		}
	}
	var notes []string
	// a rebuild starts from a region the others can reach again
	if healed, err := p.HealRegion(rid); err != nil {
		return notes, err
	} else if healed {
		notes = append(notes, "partition of "+rid.String()+" healed")
	}
	for _, id := range groups {
		if err := p.DeleteGroup(ctx, id); err != nil {
			return notes, err
		}
		notes = append(notes, "instance group "+id.String()+" removed")
	}
	for _, id := range balancers {
		if err := p.DeleteBalancer(ctx, id); err != nil {
			return notes, err
		}
		notes = append(notes, "load balancer "+id.String()+" removed")
	}
	for _, id := range caches {
		if err := p.DeleteCache(ctx, id); err != nil {
			return notes, err
		}
		notes = append(notes, "cache "+id.String()+" removed")
	}
	for _, id := range links {
		if err := p.DeleteLink(ctx, id); err != nil {
			return notes, err
		}
		notes = append(notes, "link "+id.String()+" removed")
	}
	for _, id := range queues {
		note, err := p.abandonQueue(id)
		if err != nil {
			return notes, err
		}
		notes = append(notes, note)
	}
	if n := p.forgetParameters(rid); n > 0 {
		notes = append(notes, fmt.Sprintf("%d parameters of %s/%s removed", n, env, region))
	}
	for _, spec := range dbs {
		note, err := p.abandonDatabase(ctx, spec)
		if err != nil {
			return notes, err
		}
		notes = append(notes, note)
	}
	return notes, nil
}

// abandonDatabase stops a member and forgets it, deletion protection or
// not (its data is rebuilt from the surviving members or the vaults); a
// former primary's data is kept aside.
func (p *Plane) abandonDatabase(ctx context.Context, spec localapi.DatabaseSpec) (string, error) {
	p.mu.Lock()
	d := p.databases[spec.ID()]
	delete(p.databases, spec.ID())
	delete(p.state.Databases, spec.ID())
	err := p.save()
	p.mu.Unlock()
	if err != nil {
		return "", err
	}
	if d != nil {
		d.stop(10 * time.Second)
	}
	p.setPID("database/"+spec.ID().String(), 0)
	p.dropSlotOn(ctx, spec.Env, spec.Service, spec.Region)
	dir := p.dbDir(spec)
	if !p.hasData(spec) || p.standby(spec) {
		p.removeDBDir(dir)
		return "database " + spec.ID().String() + " removed (a replica: nothing only it held)", nil
	}
	aside := fmt.Sprintf("%s.abandoned-%s", dir, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("database %s: keep the former primary's data aside: %w", spec.ID(), err)
	}
	return fmt.Sprintf("database %s removed; its data (a former primary's) is kept in %s", spec.ID(), aside), nil
}

// dropSlotOn drops region's replication slot on every running member of the
// database (best effort), so a rebuilt member starts from a fresh one.
func (p *Plane) dropSlotOn(ctx context.Context, env, service, region string) {
	for _, d := range p.members(env, service) {
		if d.running() {
			_ = d.exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, slotName(region))
		}
	}
}

// SwitchoverDatabase makes the member in region `to` the primary of its
// database without losing an acknowledged write: the current primary is
// shut down cleanly (its WAL senders send everything first), the plane
// waits until `to` has received all of it, promotes it, and rebuilds the
// former primary as a replica of it. Writes fail for the seconds this
// takes; clients with the multi-host URL find the new primary.
func (p *Plane) SwitchoverDatabase(ctx context.Context, id localapi.ServiceID) ([]string, error) {
	env, service, to := id.Env, id.Service, id.Region
	target, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return nil, err
	}
	st := target.status(ctx)
	if st.Role == "primary" {
		return []string{fmt.Sprintf("%s is the primary already", st.ID())}, nil
	}
	if st.Role != "replica" {
		return nil, fmt.Errorf("switchover to %s: it does not run (%s)", st.ID(), st.Role)
	}
	from := p.livePrimary(ctx, st.DatabaseSpec)
	if from == "" {
		return nil, fmt.Errorf("switchover to %s: no member runs as the primary", st.ID())
	}
	old, err := lookup(p, p.databases, "database", localapi.ServiceID{Env: env, Region: from, Service: service})
	if err != nil {
		return nil, err
	}
	oldSpec := old.currentSpec()
	bin, err := pgbin.Dir()
	if err != nil {
		return nil, fmt.Errorf("switchover: %w: %w", localapi.ErrMissingProgram, err)
	}
	cred, err := pgbin.Credential()
	if err != nil {
		return nil, err
	}
	var notes []string
	old.stop(30 * time.Second)
	checkpoint, err := latestCheckpoint(bin, filepath.Join(p.dbDir(oldSpec), "data"), cred)
	if err != nil {
		return notes, fmt.Errorf("switchover: %s: %w", oldSpec.ID(), err)
	}
	notes = append(notes, fmt.Sprintf("%s shut down cleanly at %s", oldSpec.ID(), checkpoint))
	err = waitFor(ctx, st.ID().String()+" to receive "+checkpoint, func() (bool, error) {
		var caughtUp bool
		e := target.query(ctx, "SELECT coalesce(pg_last_wal_receive_lsn() > $1::pg_lsn, false)", []any{checkpoint}, &caughtUp)
		return e == nil && caughtUp, nil
	})
	if err != nil {
		return notes, fmt.Errorf("switchover: %w; %s stays down, %s a replica: promote it by hand only if you accept the loss", err, oldSpec.ID(), st.ID())
	}
	if _, err := p.PromoteDatabase(ctx, st.ID()); err != nil {
		return notes, fmt.Errorf("switchover: %w", err)
	}
	notes = append(notes, st.ID().String()+" received everything and was promoted")
	// the former primary rejoins as a replica, cloned afresh from the new one
	p.setPID("database/"+oldSpec.ID().String(), 0)
	p.removeDBDir(filepath.Join(p.dbDir(oldSpec), "data"))
	if _, err := p.PutDatabase(ctx, oldSpec); err != nil {
		return notes, fmt.Errorf("switchover: rejoin %s as a replica: %w", oldSpec.ID(), err)
	}
	notes = append(notes, oldSpec.ID().String()+" rejoined as a replica of "+to)
	// the new primary waits for synchronous replicas as its spec says
	if _, err := target.apply(ctx, bin, target.currentSpec()); err != nil {
		return notes, err
	}
	if err := target.resetSystem(ctx, "synchronous_standby_names"); err != nil {
		return notes, err
	}
	return notes, nil
}

// latestCheckpoint reads a stopped server's last checkpoint LSN (its
// shutdown checkpoint after a clean stop) with pg_controldata.
func latestCheckpoint(bin, data string, cred *syscall.Credential) (string, error) {
	out, err := runAsOutput(cred, filepath.Dir(data), filepath.Join(bin, "pg_controldata"), "-D", data)
	if err != nil {
		return "", err
	}
	var state, lsn string
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Database cluster state":
			state = strings.TrimSpace(v)
		case "Latest checkpoint location":
			lsn = strings.TrimSpace(v)
		}
	}
	if state != "shut down" {
		return "", fmt.Errorf("not shut down cleanly (cluster state %q)", state)
	}
	if lsn == "" {
		return "", fmt.Errorf("pg_controldata gave no checkpoint location")
	}
	return lsn, nil
}
