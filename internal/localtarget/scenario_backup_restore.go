package localtarget

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/policies"
)

func init() {
	register(drill.BackupRestore, func(b *build) (drill.Scenario, error) {
		if b.req.Service.Database == nil || b.req.Service.Backup == nil {
			return nil, target.Errorf(target.ErrBadRequest, "service %s has no database with a backup block", b.req.Service.Name)
		}
		return &BackupRestore{Plane: b.plane, Topology: b.topo, Service: b.req.Service, Vault: b.req.Region,
			Timings: b.timings, TimingsFrom: b.timingsFrom}, nil
	})
}

// BackupRestore restores a service's newest backup, with the WAL archived
// since, from the vault of another region into a scratch database there,
// as the runbook for a lost database with no replica would, and checks
// the acknowledged writes against it. Nothing of the running service is
// touched; the copy is removed afterwards.
//
// Its estimate depends on what it finds (drill.Conditioned): the restore
// replays every WAL segment archived since the newest backup, so the
// estimate is the restore's base figure and the per-segment figure times
// the segments the vault holds past the backup at the injection; and the
// recovery asks for the history file of every timeline after the backup's
// (each promotion since the backup started one), twice, so the estimate
// adds those calls times the figure of a call that fetches no segment.
type BackupRestore struct {
	Plane    *localapi.Client
	Topology *topology.Topology
	Service  topology.Service
	Vault    string // the region whose vault the copy comes from, and where it runs
	// Timings are the target's figures for the estimate (the calibrated
	// ones when the project has them); TimingsFrom says where they come
	// from, in a few words.
	Timings     policies.Timings
	TimingsFrom string
	copy        localapi.RestoreCopy
	// walSince is how many WAL segments the vault held past its newest
	// backup at the injection; walKnown whether the plane said.
	walSince int
	walKnown bool
	// historyCalls is how many more restore_command calls for timeline
	// history files the recovery makes than one on a single timeline, for
	// timelinesAfter timelines after the backup's; timelinesKnown whether
	// the plane said.
	historyCalls, timelinesAfter int
	timelinesKnown               bool
}

var (
	_ drill.Scenario     = (*BackupRestore)(nil)
	_ drill.CopyVerifier = (*BackupRestore)(nil)
	_ drill.Conditioned  = (*BackupRestore)(nil)
)

func (s *BackupRestore) Name() drill.ScenarioName        { return drill.BackupRestore }
func (s *BackupRestore) Disruption() topology.Disruption { return topology.DisruptionDatabase }

// Inject declares the data lost: nothing is touched (the restore runs
// beside the service), but only writes acknowledged before now count.
func (s *BackupRestore) Inject(ctx context.Context) (string, error) {
	b, err := localapi.Get(ctx, s.Plane, localapi.Backups, localapi.BackupID{Env: s.Topology.Environment.Name, Service: s.Service.Name})
	if err != nil {
		return "", fmt.Errorf("%w: %s has no backup plan: %w", drill.ErrPreflight, s.Service.Name, err)
	}
	var newest time.Time
	for _, bk := range b.Backups {
		if bk.Vault == s.Vault && bk.Stop.After(newest) {
			newest = bk.Stop
		}
	}
	if newest.IsZero() {
		return "", fmt.Errorf("%w: %s's vault holds no backup of %s", drill.ErrPreflight, s.Vault, s.Service.Name)
	}
	msg := fmt.Sprintf("%s's data declared lost (nothing is touched); newest backup in %s's vault finished %s ago",
		s.Service.Name, s.Vault, time.Since(newest).Round(time.Second))
	s.walSince, s.walKnown = 0, false
	s.historyCalls, s.timelinesAfter, s.timelinesKnown = 0, 0, false
	if w, ok := b.WALIn(s.Vault); ok {
		s.walSince, s.walKnown = w.SegmentsSince, true
		msg += fmt.Sprintf(", %d WAL segment(s) archived since it (%s to %s)", w.SegmentsSince, w.NewestStop, w.ArchivedMax)
		if tl := w.Timelines; tl != nil {
			s.historyCalls, s.timelinesAfter, s.timelinesKnown = tl.HistoryCalls, tl.Newest-tl.Backup, true
			msg += fmt.Sprintf(", on timeline %d, the backup on %d", tl.Newest, tl.Backup)
		}
	}
	return msg, nil
}

// Condition is the estimate for the WAL found at the injection: the
// restore of the newest backup, then each segment archived since it
// replayed, and, when the target has a figure for a restore_command call
// that fetches no segment and the plane listed the archive's timelines,
// the calls for the history files of the timelines after the backup's.
// The RPO stays the typical one. It cannot tell (false) when the plane did
// not report the vault's WAL, when the target has no per-segment figure
// (its restore figure is the whole restore), or when there is no typical
// estimate to take the RPO from.
func (s *BackupRestore) Condition(typical drill.Numbers) (drill.Numbers, bool) {
	base, segment, probe := s.Timings.Restore.D, s.Timings.RestoreSegment.D, s.Timings.RestoreProbe.D
	if !s.walKnown || !typical.Known || segment <= 0 {
		return typical, false
	}
	rto := base + time.Duration(s.walSince)*segment
	timelines := ""
	if probe > 0 && s.timelinesKnown {
		rto += time.Duration(s.historyCalls) * probe
		timelines = fmt.Sprintf(" + fetch %d timeline history file(s) for %d timeline(s) after the backup's × %s",
			s.historyCalls, s.timelinesAfter, seconds(probe))
	}
	from := ""
	if s.TimingsFrom != "" {
		from = " (" + s.TimingsFrom + ")"
	}
	how := fmt.Sprintf("restore the newest backup %s + replay %d WAL segment(s) archived since it × %s%s%s = %s",
		seconds(base), s.walSince, seconds(segment), timelines, from, seconds(rto))
	return drill.Numbers{RTOSeconds: rto.Seconds(), RPOSeconds: typical.RPOSeconds, Known: true, RPOUpTo: typical.RPOUpTo, How: how}, true
}

// seconds writes a duration as seconds, to the millisecond.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Round(time.Millisecond)/time.Millisecond)/1000, 'f', -1, 64) + " s"
}

// Recover restores the newest backup into a scratch database in the vault's region.
func (s *BackupRestore) Recover(ctx context.Context) (string, error) {
	c, err := localapi.Put(ctx, s.Plane, localapi.RestoreCopies, localapi.RestoreCopySpec{Env: s.Topology.Environment.Name, Service: s.Service.Name, Region: s.Vault})
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
	// as the superuser, over the copy's socket: the drill runs as the
	// control plane's user, the one the socket lets in without a password
	conn, err := pgx.Connect(ctx, s.copy.OperatorConnString())
	if err != nil {
		return nil, fmt.Errorf("restore copy %s: %w", s.copy.Address, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT seq FROM writes WHERE seq BETWEEN $1 AND $2", first, last)
	if err == nil {
		var held []int64
		held, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err == nil {
			return held, nil
		}
	}
	// a copy of a database whose service had not made its table by the
	// newest archived WAL (an environment younger than archive_timeout)
	// holds none of the writes, as the AWS runbook reads it too
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P01" { // undefined_table
		return nil, nil
	}
	return nil, fmt.Errorf("restore copy %s: %w", s.copy.Address, err)
}

// Restore removes the copy.
func (s *BackupRestore) Restore(ctx context.Context) (string, error) {
	if s.copy.Address == "" {
		return "no copy to remove", nil
	}
	if err := localapi.Delete(ctx, s.Plane, localapi.RestoreCopies, s.copy.ID()); err != nil {
		return "", err
	}
	return "restore copy " + s.copy.Address + " removed", nil
}
