package calibration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// SegmentsSwitched is how many WAL segments the per-segment measurement
// has archived past a fresh backup before it restores again: enough for
// their replay to stand out of a restore's noise, few enough to take
// seconds.
const SegmentsSwitched = 8

// RestoreBench is what the restore measurement drives of a running
// environment: one service's database, its backups and restores.
type RestoreBench interface {
	// Backup takes a backup of the database now, into the vault restored
	// from.
	Backup(ctx context.Context) error
	// SwitchSegments writes to the primary and switches to a new WAL
	// segment k times, and returns once the k segments are archived.
	SwitchSegments(ctx context.Context, k int) error
	// Restore restores the newest backup and the WAL archived since into a
	// scratch copy, as backup-restore's recovery does, and removes the
	// copy.
	Restore(ctx context.Context) (Restored, error)
	// Probe makes once the restore_command call a recovery makes for a
	// timeline's history file the vault does not hold, and returns how
	// long it took.
	Probe(ctx context.Context) (time.Duration, error)
}

// ProbesPerRun is how many restore_command calls the measurement times
// after each run's restores: a call takes milliseconds, so many samples
// cost nothing.
const ProbesPerRun = 10

// Restored is one restore: how long it took until the copy answered a
// query, and how many WAL segments the vault held past the backup.
type Restored struct {
	Took     time.Duration
	Segments int
}

// RestoreRun is one run of the restore measurement: a restore right after
// a fresh backup (Fresh), then one after more segments were archived
// (Replayed), then restore_command calls that fetch nothing (Probes).
type RestoreRun struct {
	Fresh, Replayed Restored
	Probes          []time.Duration
}

// PerSegment is how much longer the restore took per segment it replayed
// more: (t_replayed - t_fresh) / (n_replayed - n_fresh), in seconds.
func (r RestoreRun) PerSegment() (float64, error) {
	more := r.Replayed.Segments - r.Fresh.Segments
	if more <= 0 {
		return 0, fmt.Errorf("the second restore found %d segment(s) past the backup, the first %d: no more WAL to replay", r.Replayed.Segments, r.Fresh.Segments)
	}
	return (r.Replayed.Took - r.Fresh.Took).Seconds() / float64(more), nil
}

// Base is the restore with nothing to replay: the fresh restore, less the
// replay of the segments it found past the backup (none, unless one was
// archived between the backup and the restore), in seconds.
func (r RestoreRun) Base() (float64, error) {
	per, err := r.PerSegment()
	if err != nil {
		return 0, err
	}
	return r.Fresh.Took.Seconds() - float64(r.Fresh.Segments)*per, nil
}

// MeasureRestores runs the restore measurement runs times, each bounded by
// perRun: a backup, a restore, k segments switched and archived, a
// restore, ProbesPerRun restore_command calls. A run that fails is left out, its error returned with the
// others'; progress receives a line per run.
func MeasureRestores(ctx context.Context, bench RestoreBench, runs, k int, perRun time.Duration, progress func(string)) ([]RestoreRun, error) {
	var out []RestoreRun
	var errs []error
	for i := range runs {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		run, err := measureRestore(ctx, bench, k, perRun)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore run %d: %w", i+1, err))
			progress(fmt.Sprintf("restore run %d of %d: %v", i+1, runs, err))
			continue
		}
		out = append(out, run)
		progress(fmt.Sprintf("restore run %d of %d: %s right after a backup (%d segment(s) past it), %s with %d segment(s) past it; %d restore_command call(s) finding nothing, %s to %s",
			i+1, runs, run.Fresh.Took.Round(time.Millisecond), run.Fresh.Segments, run.Replayed.Took.Round(time.Millisecond), run.Replayed.Segments,
			len(run.Probes), slices.Min(run.Probes).Round(100*time.Microsecond), slices.Max(run.Probes).Round(100*time.Microsecond)))
	}
	return out, errors.Join(errs...)
}

func measureRestore(ctx context.Context, bench RestoreBench, k int, limit time.Duration) (RestoreRun, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var run RestoreRun
	var err error
	if err = bench.Backup(ctx); err != nil {
		return run, fmt.Errorf("backup: %w", err)
	}
	if run.Fresh, err = bench.Restore(ctx); err != nil {
		return run, fmt.Errorf("restore right after the backup: %w", err)
	}
	if err = bench.SwitchSegments(ctx, k); err != nil {
		return run, fmt.Errorf("switch %d WAL segment(s): %w", k, err)
	}
	if run.Replayed, err = bench.Restore(ctx); err != nil {
		return run, fmt.Errorf("restore after %d WAL segment(s): %w", k, err)
	}
	for i := range ProbesPerRun {
		d, err := bench.Probe(ctx)
		if err != nil {
			return run, fmt.Errorf("restore_command call %d of %d: %w", i+1, ProbesPerRun, err)
		}
		run.Probes = append(run.Probes, d)
	}
	return run, nil
}
