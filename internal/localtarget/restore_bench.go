package localtarget

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/calibration"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// localRestoreBench drives the restore measurement (calibration.RestoreBench)
// on a running local environment through its control plane: backups with
// RunBackup, restores into the scratch copy backup-restore uses, and WAL
// segments switched with SQL on the member that runs as the primary.
type localRestoreBench struct {
	plane   *localapi.Client
	env     string
	service topology.Service
	vault   string // the region whose vault is restored, as backup-restore's default
	// planeDir is the control plane's folder (the restore_command calls
	// run beside the plane with its pgBackRest configuration); plan and
	// probe the backup plan and the history file they ask for, read once
	planeDir string
	plan     localapi.BackupSpec
	probe    string
}

var _ calibration.RestoreBench = (*localRestoreBench)(nil)

// NewRestoreBench is the restore measurement (`bulwark calibrate`) of the
// environment's first service with a database and a backup block,
// restoring from the vault backup-restore restores from by default, on
// the control plane of stateDir.
func NewRestoreBench(t *topology.Topology, stateDir string) (calibration.RestoreBench, error) {
	for _, s := range t.Services {
		if s.Database == nil || s.Backup == nil {
			continue
		}
		_, vault, err := drill.Choose(t, drill.BackupRestore, s.Name, "")
		if err != nil {
			return nil, err
		}
		dir := localcloud.Dir(stateDir)
		if localcloud.Running(dir) == 0 {
			return nil, fmt.Errorf("no control plane runs for %s (bulwark up --env %s)", stateDir, t.Environment.Name)
		}
		return &localRestoreBench{plane: localcloud.Dial(dir), env: t.Environment.Name, service: s, vault: vault, planeDir: dir}, nil
	}
	return nil, fmt.Errorf("environment %s has no service with a database and a backup block to restore", t.Environment.Name)
}

func (b *localRestoreBench) backupID() localapi.BackupID {
	return localapi.BackupID{Env: b.env, Service: b.service.Name}
}

// Backup takes a differential backup, as the schedule does.
func (b *localRestoreBench) Backup(ctx context.Context) error {
	_, err := localapi.Do(ctx, b.plane, localapi.RunBackup, b.backupID(), localapi.BackupRequest{Type: "diff"})
	return err
}

// SwitchSegments writes a WAL record (a logical decoding message: no table
// of the service is touched) and switches to a new segment, k times, then
// waits until the primary has archived the last one.
func (b *localRestoreBench) SwitchSegments(ctx context.Context, k int) error {
	primary, err := b.primary(ctx)
	if err != nil {
		return err
	}
	// switching WAL segments is the superuser's: over the member's socket,
	// which lets the control plane's own user in without a password
	addr := primary.Address
	conn, err := pgx.Connect(ctx, primary.OperatorConnString())
	if err != nil {
		return fmt.Errorf("primary %s: %w", addr, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var last string
	for i := range k {
		if _, err := conn.Exec(ctx, "SELECT pg_logical_emit_message(false, 'bulwark-calibrate', $1)", fmt.Sprintf("segment %d of %d", i+1, k)); err != nil {
			return fmt.Errorf("primary %s: write: %w", addr, err)
		}
		if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&last); err != nil {
			return fmt.Errorf("primary %s: switch the WAL segment: %w", addr, err)
		}
	}
	for {
		var archived bool
		if err := conn.QueryRow(ctx, "SELECT coalesce(last_archived_wal, '') >= $1 FROM pg_stat_archiver", last).Scan(&archived); err != nil {
			return fmt.Errorf("primary %s: archiver: %w", addr, err)
		}
		if archived {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("primary %s: segment %s not archived: %w", addr, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// primary is the member that runs as the primary.
func (b *localRestoreBench) primary(ctx context.Context) (localapi.Database, error) {
	var errs []error
	for _, region := range b.service.Regions {
		db, err := localapi.Get(ctx, b.plane, localapi.Databases, localapi.ServiceID{Env: b.env, Region: region, Service: b.service.Name})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if db.Running && db.Role == "primary" {
			return db, nil
		}
	}
	return localapi.Database{}, errors.Join(append([]error{fmt.Errorf("no member of %s's database runs as the primary", b.service.Name)}, errs...)...)
}

// Restore times what backup-restore's injection and recovery do: the
// vault's status read (the WAL past the newest backup), then the newest
// backup restored into the scratch copy, until the copy took queries; the
// copy is removed after.
func (b *localRestoreBench) Restore(ctx context.Context) (calibration.Restored, error) {
	start := time.Now()
	st, err := localapi.Get(ctx, b.plane, localapi.Backups, b.backupID())
	if err != nil {
		return calibration.Restored{}, err
	}
	wal, ok := st.WALIn(b.vault)
	if !ok {
		return calibration.Restored{}, fmt.Errorf("the control plane reports no WAL past the newest backup in %s's vault (a plane from an older build? bulwark local stop, then bulwark up)", b.vault)
	}
	c, err := localapi.Put(ctx, b.plane, localapi.RestoreCopies, localapi.RestoreCopySpec{Env: b.env, Service: b.service.Name, Region: b.vault})
	if err != nil {
		return calibration.Restored{}, err
	}
	took := c.Ready.Sub(start)
	if err := localapi.Delete(ctx, b.plane, localapi.RestoreCopies, c.ID()); err != nil {
		return calibration.Restored{}, fmt.Errorf("remove the restore copy: %w", err)
	}
	return calibration.Restored{Took: took, Segments: wal.SegmentsSince}, nil
}

// Probe times the restore_command call a recovery makes first: for the
// history file of the timeline after the newest, which the vault does not
// hold (PostgreSQL probes for a newer timeline), as the database's owner
// and through the shell, with the plan's pgBackRest configuration.
func (b *localRestoreBench) Probe(ctx context.Context) (time.Duration, error) {
	if b.probe == "" {
		st, err := localapi.Get(ctx, b.plane, localapi.Backups, b.backupID())
		if err != nil {
			return 0, err
		}
		wal, ok := st.WALIn(b.vault)
		if !ok || wal.Timelines == nil {
			return 0, fmt.Errorf("the control plane reports no timelines of the archive in %s's vault (a plane from an older build? bulwark local stop, then bulwark up)", b.vault)
		}
		b.plan, b.probe = st.BackupSpec, fmt.Sprintf("%08X.history", wal.Timelines.Newest+1)
	}
	return localcloud.TimeRestoreProbe(ctx, b.planeDir, b.plan, b.vault, b.probe)
}
