package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// InstanceLoss kills one instance of a service's group on the local target;
// the group replaces it by itself.
type InstanceLoss struct {
	Plane *localcloud.Client
	Group string // env/region/service
	Slot  int
	pid   int
}

var _ Scenario = (*InstanceLoss)(nil)

func (s *InstanceLoss) Name() string                    { return "instance-loss" }
func (s *InstanceLoss) Disruption() topology.Disruption { return topology.DisruptionInstance }

func (s *InstanceLoss) Inject(ctx context.Context) (string, error) {
	pid, err := s.Plane.KillInstance(ctx, s.Group, s.Slot)
	s.pid = pid
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("killed instance %d of %s (slot %d)", pid, s.Group, s.Slot), nil
}

func (s *InstanceLoss) Recover(ctx context.Context) (string, error) {
	return "nothing to do: the instance group replaces the instance and the load balancer routes around it", nil
}

// Restore waits until the group is whole and healthy again.
func (s *InstanceLoss) Restore(ctx context.Context) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		g, err := s.Plane.GetGroup(ctx, s.Group)
		if err == nil && g.Healthy() == g.Current && g.Instances[s.Slot].PID != s.pid {
			return fmt.Sprintf("%s whole again: %d/%d healthy, slot %d now pid %d", s.Group, g.Healthy(), g.Current, s.Slot, g.Instances[s.Slot].PID), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s not whole again within 30s", s.Group)
}

// RegionLoss kills every process of a region on the local target (its
// instances, load balancers and database members), as the loss of the
// region would, and runs the runbook: promote a surviving replica when the
// writer was there, or stop waiting for a lost synchronous standby.
type RegionLoss struct {
	Plane    *localcloud.Client
	Topology *topology.Topology
	Region   string
	writers  map[string]string // service → region of its writer before the injection
}

var _ Scenario = (*RegionLoss)(nil)

func (s *RegionLoss) Name() string                    { return "region-loss" }
func (s *RegionLoss) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *RegionLoss) Inject(ctx context.Context) (string, error) {
	s.writers = liveWriters(ctx, s.Plane, s.Topology)
	killed, err := s.Plane.SuspendRegion(ctx, s.Topology.Environment.Name, s.Region)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("region %s lost: killed %s", s.Region, strings.Join(killed, ", ")), nil
}

// Recover runs the runbook for every service with a database.
func (s *RegionLoss) Recover(ctx context.Context) (string, error) {
	return failOver(ctx, s.Plane, s.Topology, s.Region, s.writers, false)
}

// Restore brings the region back and returns synchronous replication to the
// plan's. A former writer is left down (see ResumeRegion).
func (s *RegionLoss) Restore(ctx context.Context) (string, error) {
	notes, err := s.Plane.ResumeRegion(ctx, s.Topology.Environment.Name, s.Region)
	if err != nil {
		return strings.Join(notes, "; "), err
	}
	more, err := resetSynchronous(ctx, s.Plane, s.Topology, s.Region, s.writers)
	return strings.Join(append(notes, more...), "; "), err
}

// RegionPartition cuts a region off on the local target while everything
// in it keeps running (see localcloud.Plane.PartitionRegion): DNS health
// checks, clients and the other regions' database members cannot reach it,
// nor it them. The runbook is a region loss's, except that a writer cut
// off is fenced first, through the control plane that still reaches the
// region: nothing may accept writes on both sides. The drill audits that.
type RegionPartition struct {
	Plane    *localcloud.Client
	Topology *topology.Topology
	Region   string
	writers  map[string]string
}

var (
	_ Scenario    = (*RegionPartition)(nil)
	_ WriterAudit = (*RegionPartition)(nil)
)

func (s *RegionPartition) Name() string                    { return "region-partition" }
func (s *RegionPartition) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *RegionPartition) Inject(ctx context.Context) (string, error) {
	s.writers = liveWriters(ctx, s.Plane, s.Topology)
	table, err := s.Plane.PartitionRegion(ctx, s.Topology.Environment.Name, s.Region)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("region %s cut off, its processes running (nftables table inet %s drops what crosses its border)", s.Region, table), nil
}

// Recover fences a writer cut off, then promotes a replica elsewhere.
func (s *RegionPartition) Recover(ctx context.Context) (string, error) {
	return failOver(ctx, s.Plane, s.Topology, s.Region, s.writers, true)
}

// Restore heals the partition. A fenced writer stays down: its region is
// rebuilt (recreate-region) to rejoin it as a replica.
func (s *RegionPartition) Restore(ctx context.Context) (string, error) {
	env := s.Topology.Environment.Name
	if err := s.Plane.HealRegion(ctx, env, s.Region); err != nil {
		return "", err
	}
	notes := []string{"region " + s.Region + " reconnected"}
	for svc, w := range s.writers {
		if w == s.Region {
			notes = append(notes, fmt.Sprintf("database %s/%s/%s stays fenced: rebuild region %s (bulwark recreate-region) to rejoin it as a replica", env, s.Region, svc, s.Region))
		}
	}
	more, err := resetSynchronous(ctx, s.Plane, s.Topology, s.Region, s.writers)
	return strings.Join(append(notes, more...), "; "), err
}

// Writers lists, per service, the regions whose member accepts writes now.
func (s *RegionPartition) Writers(ctx context.Context) (map[string][]string, error) {
	return acceptingWriters(ctx, s.Plane, s.Topology)
}

// members are the regions of a service's database members.
func members(t *topology.Topology, svc topology.Service) []string {
	primary, replicas := t.PrimaryRegionOf(svc)
	return append([]string{primary}, replicas...)
}

// acceptingWriters lists, per service with a database, the regions whose
// member runs as a primary, asked through the control plane.
func acceptingWriters(ctx context.Context, plane *localcloud.Client, t *topology.Topology) (map[string][]string, error) {
	out := map[string][]string{}
	for _, svc := range t.Services {
		if svc.Database == nil {
			continue
		}
		out[svc.Name] = []string{}
		for _, r := range members(t, svc) {
			db, err := plane.GetDatabase(ctx, t.Environment.Name+"/"+r+"/"+svc.Name)
			if errors.Is(err, localcloud.ErrNotFound) {
				continue
			}
			if err != nil {
				return out, err
			}
			if db.Running && db.Role == "primary" {
				out[svc.Name] = append(out[svc.Name], r)
			}
		}
	}
	return out, nil
}

// liveWriters is the region of each service's writer now; a service whose
// writer cannot be seen keeps the plan's primary region.
func liveWriters(ctx context.Context, plane *localcloud.Client, t *topology.Topology) map[string]string {
	live, _ := acceptingWriters(ctx, plane, t)
	out := map[string]string{}
	for _, svc := range t.Services {
		if svc.Database == nil {
			continue
		}
		out[svc.Name], _ = t.PrimaryRegionOf(svc)
		if w := live[svc.Name]; len(w) == 1 {
			out[svc.Name] = w[0]
		}
	}
	return out
}

// failOver is the runbook when region is lost or cut off, for every
// service with a database there: promote the first surviving replica when
// the writer was in the region (fencing the writer first when it may still
// run), or have the writer stop waiting for its synchronous standby there.
func failOver(ctx context.Context, plane *localcloud.Client, t *topology.Topology, region string, writers map[string]string, fence bool) (string, error) {
	env := t.Environment.Name
	var steps []string
	for _, svc := range t.ServicesIn(region) {
		if svc.Database == nil {
			continue
		}
		writer := writers[svc.Name]
		survivors := slices.DeleteFunc(members(t, svc), func(r string) bool { return r == region || r == writer })
		switch {
		case writer == region && len(survivors) == 0:
			steps = append(steps, fmt.Sprintf("%s: no replica survives; restore from backup (not automated yet)", svc.Name))
		case writer == region:
			if fence {
				id := env + "/" + region + "/" + svc.Name
				pid, err := plane.KillDatabase(ctx, id)
				if err != nil {
					return strings.Join(steps, "; "), fmt.Errorf("fence %s: %w", id, err)
				}
				steps = append(steps, fmt.Sprintf("%s: fenced the writer cut off in %s (pid %d stopped through the control plane)", svc.Name, region, pid))
			}
			id := env + "/" + survivors[0] + "/" + svc.Name
			if _, err := plane.PromoteDatabase(ctx, id); err != nil {
				return strings.Join(steps, "; "), fmt.Errorf("promote %s: %w", id, err)
			}
			steps = append(steps, fmt.Sprintf("%s: promoted the replica in %s", svc.Name, survivors[0]))
		case svc.Database.Replication == topology.Synchronous:
			id := env + "/" + writer + "/" + svc.Name
			if err := plane.SetSynchronousStandbys(ctx, id, survivors, false); err != nil {
				return strings.Join(steps, "; "), fmt.Errorf("synchronous standbys of %s: %w", id, err)
			}
			how := "asynchronous until it returns"
			if len(survivors) > 0 {
				how = fmt.Sprintf("waits for %v only", survivors)
			}
			steps = append(steps, fmt.Sprintf("%s: the writer in %s stopped waiting for %s (%s)", svc.Name, writer, region, how))
		}
	}
	if len(steps) == 0 {
		return "nothing to do: DNS health checks move clients to the other regions", nil
	}
	return strings.Join(steps, "; ") + "; DNS health checks move clients", nil
}

// resetSynchronous returns every writer outside region that waited for a
// synchronous standby there to the plan's standbys.
func resetSynchronous(ctx context.Context, plane *localcloud.Client, t *topology.Topology, region string, writers map[string]string) ([]string, error) {
	var notes []string
	for _, svc := range t.ServicesIn(region) {
		if svc.Database == nil || svc.Database.Replication != topology.Synchronous || writers[svc.Name] == region {
			continue
		}
		if err := plane.SetSynchronousStandbys(ctx, t.Environment.Name+"/"+writers[svc.Name]+"/"+svc.Name, nil, true); err != nil {
			return notes, err
		}
		notes = append(notes, svc.Name+": synchronous replication restored")
	}
	return notes, nil
}

// DatabasePrimaryLoss kills the primary database member of a service; the
// runbook promotes the first surviving replica. The former primary stays
// down until its region is rebuilt (no split brain).
type DatabasePrimaryLoss struct {
	Plane    *localcloud.Client
	Topology *topology.Topology
	Service  topology.Service
}

var _ Scenario = (*DatabasePrimaryLoss)(nil)

func (s *DatabasePrimaryLoss) Name() string                    { return "db-primary-loss" }
func (s *DatabasePrimaryLoss) Disruption() topology.Disruption { return topology.DisruptionDatabase }

func (s *DatabasePrimaryLoss) ids() (primary, replica string, err error) {
	if s.Service.Database == nil {
		return "", "", fmt.Errorf("service %s has no database", s.Service.Name)
	}
	p, replicas := s.Topology.PrimaryRegionOf(s.Service)
	env := s.Topology.Environment.Name
	primary = env + "/" + p + "/" + s.Service.Name
	if len(replicas) > 0 {
		replica = env + "/" + replicas[0] + "/" + s.Service.Name
	}
	return primary, replica, nil
}

func (s *DatabasePrimaryLoss) Inject(ctx context.Context) (string, error) {
	primary, _, err := s.ids()
	if err != nil {
		return "", err
	}
	pid, err := s.Plane.KillDatabase(ctx, primary)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("killed the primary %s (pid %d)", primary, pid), nil
}

func (s *DatabasePrimaryLoss) Recover(ctx context.Context) (string, error) {
	_, replica, err := s.ids()
	if err != nil {
		return "", err
	}
	if replica == "" {
		return "", fmt.Errorf("no replica to promote: restore from backup (not automated yet)")
	}
	if _, err := s.Plane.PromoteDatabase(ctx, replica); err != nil {
		return "", err
	}
	return fmt.Sprintf("promoted %s; instances reach it through their multi-host database URL", replica), nil
}

func (s *DatabasePrimaryLoss) Restore(ctx context.Context) (string, error) {
	primary, replica, _ := s.ids()
	return fmt.Sprintf("stays failed over: %s is the primary; %s rejoins as a replica when its region is rebuilt", replica, primary), nil
}

// ZoneLoss takes one zone of a region down for a service's group: its
// instances die and are not replaced until the zone returns.
type ZoneLoss struct {
	Plane *localcloud.Client
	Group string // env/region/service
	Zone  int
}

var _ Scenario = (*ZoneLoss)(nil)

func (s *ZoneLoss) Name() string                    { return "zone-loss" }
func (s *ZoneLoss) Disruption() topology.Disruption { return topology.DisruptionZone }

func (s *ZoneLoss) Inject(ctx context.Context) (string, error) {
	killed, err := s.Plane.SetZoneDown(ctx, s.Group, s.Zone, true)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("zone %d of %s lost: killed %s", s.Zone, s.Group, strings.Join(killed, ", ")), nil
}

func (s *ZoneLoss) Recover(ctx context.Context) (string, error) {
	return "nothing to do: the load balancer routes to the other zones' instances", nil
}

func (s *ZoneLoss) Restore(ctx context.Context) (string, error) {
	if _, err := s.Plane.SetZoneDown(ctx, s.Group, s.Zone, false); err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if g, err := s.Plane.GetGroup(ctx, s.Group); err == nil && g.Healthy() == g.Current {
			return fmt.Sprintf("zone %d back: %s %d/%d healthy", s.Zone, s.Group, g.Healthy(), g.Current), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("%s not whole again within 30s", s.Group)
}

// BackupRestore restores a service's newest backup, with the WAL archived
// since, from the vault of another region into a scratch database there,
// as the runbook for a lost database with no replica would, and checks
// the acknowledged writes against it. Nothing of the running service is
// touched; the copy is removed afterwards.
type BackupRestore struct {
	Plane    *localcloud.Client
	Topology *topology.Topology
	Service  topology.Service
	Vault    string // the region whose vault the copy comes from, and where it runs
	copy     localcloud.RestoreCopy
}

var (
	_ Scenario     = (*BackupRestore)(nil)
	_ CopyVerifier = (*BackupRestore)(nil)
)

func (s *BackupRestore) Name() string                    { return "backup-restore" }
func (s *BackupRestore) Disruption() topology.Disruption { return topology.DisruptionDatabase }

// Inject declares the data lost: nothing is touched (the restore runs
// beside the service), but only writes acknowledged before now count.
func (s *BackupRestore) Inject(ctx context.Context) (string, error) {
	b, err := s.Plane.GetBackup(ctx, s.Topology.Environment.Name+"/"+s.Service.Name)
	if err != nil {
		return "", fmt.Errorf("%w: %s has no backup plan: %w", ErrPreflight, s.Service.Name, err)
	}
	var newest time.Time
	for _, bk := range b.Backups {
		if bk.Vault == s.Vault && bk.Stop.After(newest) {
			newest = bk.Stop
		}
	}
	if newest.IsZero() {
		return "", fmt.Errorf("%w: %s's vault holds no backup of %s", ErrPreflight, s.Vault, s.Service.Name)
	}
	return fmt.Sprintf("%s's data declared lost (nothing is touched); newest backup in %s's vault finished %s ago",
		s.Service.Name, s.Vault, time.Since(newest).Round(time.Second)), nil
}

// Recover restores the newest backup into a scratch database in the vault's region.
func (s *BackupRestore) Recover(ctx context.Context) (string, error) {
	c, err := s.Plane.PutRestoreCopy(ctx, s.Topology.Environment.Name, s.Service.Name, s.Vault)
	if err != nil {
		return "", err
	}
	s.copy = c
	return fmt.Sprintf("restored the newest backup and the archived WAL from %s's vault into %s (pid %d)", s.Vault, c.Address, c.PID), nil
}

func (s *BackupRestore) CopyReady() time.Time { return s.copy.Ready }

// CopyPresent reads which writes the restored copy holds.
func (s *BackupRestore) CopyPresent(ctx context.Context, first, last int64) ([]int64, error) {
	if s.copy.Address == "" {
		return nil, fmt.Errorf("no restore copy to read")
	}
	conn, err := pgx.Connect(ctx, "postgres://postgres@"+s.copy.Address+"/postgres?sslmode=disable&connect_timeout=3")
	if err != nil {
		return nil, fmt.Errorf("restore copy %s: %w", s.copy.Address, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT seq FROM writes WHERE seq BETWEEN $1 AND $2", first, last)
	if err != nil {
		return nil, fmt.Errorf("restore copy %s: %w", s.copy.Address, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// Restore removes the copy.
func (s *BackupRestore) Restore(ctx context.Context) (string, error) {
	if s.copy.Address == "" {
		return "no copy to remove", nil
	}
	if err := s.Plane.DeleteRestoreCopy(ctx, s.Topology.Environment.Name, s.Service.Name, s.Vault); err != nil {
		return "", err
	}
	return "restore copy " + s.copy.Address + " removed", nil
}
