package calibration

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/policies"
)

// The figures measured, by name in the file.
const (
	Promote   = "promote"
	Reconnect = "reconnect"
	// Restore is a restore with no WAL to replay; RestoreSegment how much
	// longer each archived WAL segment replayed makes it.
	Restore        = "restore"
	RestoreSegment = "restore_segment"
	// RestoreProbe is a restore_command call that fetches no segment: what
	// a recovery makes twice for each timeline after its backup's (a
	// timeline's history file asked for).
	RestoreProbe = "restore_probe"
)

// ErrTooFew is a measurement without a single run that shows a figure.
var ErrTooFew = errors.New("nothing measured it")

// Figure is one measured figure: the median of its runs, and their range.
type Figure struct {
	Seconds float64 `json:"seconds"`
	Runs    int     `json:"runs"`
	Min     float64 `json:"min_seconds"`
	Max     float64 `json:"max_seconds"`
	// How says what was measured.
	How string `json:"how"`
}

// File is calibration/local.json.
type File struct {
	Target      string            `json:"target"`
	Environment string            `json:"environment"`
	Measured    time.Time         `json:"measured"`
	Figures     map[string]Figure `json:"figures"`
}

// Path is where a project keeps its calibration.
func Path(projectRoot string) string {
	return filepath.Join(projectRoot, "calibration", "local.json")
}

// Load reads a project's calibration; nil, nil when it has none.
func Load(projectRoot string) (*File, error) {
	b, err := os.ReadFile(Path(projectRoot))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", Path(projectRoot), err)
	}
	for name, fig := range f.Figures {
		if fig.Seconds < 0 || fig.Runs < 1 {
			return nil, fmt.Errorf("%s: figure %q: %g s from %d runs: not a measurement", Path(projectRoot), name, fig.Seconds, fig.Runs)
		}
	}
	return &f, nil
}

// Save writes the calibration into the project.
func (f *File) Save(projectRoot string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(Path(projectRoot)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(Path(projectRoot), append(b, '\n'), 0o644)
}

// Apply puts the measured figures in place of the defaults, each with
// where and when it was measured.
func (f *File) Apply(tm policies.Timings) policies.Timings {
	if f == nil {
		return tm
	}
	set := func(into *policies.Figure, name string) {
		fig, ok := f.Figures[name]
		if !ok {
			return
		}
		*into = policies.Figure{D: seconds(fig.Seconds), Source: fmt.Sprintf("calibrated: %s, median of %d run(s) in %s on %s, %s to %s (calibration/local.json)",
			fig.How, fig.Runs, f.Environment, f.Measured.UTC().Format(time.DateOnly), seconds(fig.Min), seconds(fig.Max))}
	}
	set(&tm.Promote, Promote)
	set(&tm.Reconnect, Reconnect)
	set(&tm.Restore, Restore)
	set(&tm.RestoreSegment, RestoreSegment)
	set(&tm.RestoreProbe, RestoreProbe)
	return tm
}

// Measure reads the figures: a promotion is the recovery step of a
// db-primary-loss drill (the runbook promoting the replica through the
// control plane), a reconnection the time from its end to the probe's
// first acknowledged write; reports of failed drills are left out. A
// restore's three figures come from the restore runs (MeasureRestores): the
// base from the restore right after a fresh backup, the per-segment one
// from the restore after more segments were archived (RestoreRun), the
// per-call one from the restore_command calls timed after them (each call
// a sample).
func Measure(env string, reports []*drill.Report, restores []RestoreRun, at time.Time) (*File, error) {
	samples := map[string][]float64{}
	for _, r := range reports {
		if r == nil || !r.Passed() || r.Scenario != string(drill.DatabasePrimaryLoss) {
			continue
		}
		rec, ok := stepNamed(r, "recover")
		if !ok || rec.Error != "" {
			continue
		}
		samples[Promote] = append(samples[Promote], rec.Duration().Seconds())
		for _, a := range r.Attempts {
			if a.OK && !a.At.Before(rec.End) {
				samples[Reconnect] = append(samples[Reconnect], a.At.Sub(rec.End).Seconds())
				break
			}
		}
	}
	for _, run := range restores {
		per, err := run.PerSegment()
		if err != nil {
			continue
		}
		base, _ := run.Base()
		samples[Restore] = append(samples[Restore], base)
		samples[RestoreSegment] = append(samples[RestoreSegment], per)
	}
	for _, run := range restores {
		for _, d := range run.Probes {
			samples[RestoreProbe] = append(samples[RestoreProbe], d.Seconds())
		}
	}
	how := map[string]string{
		Promote:   "a replica promoted through the control plane (db-primary-loss's recovery step)",
		Reconnect: "the first acknowledged write after the promotion (the instances' multi-host URL finding the new primary)",
		Restore: "the newest backup restored into a copy that answers a query right after a fresh backup, no WAL to replay " +
			"(backup-restore's injection and recovery: the vault's status read, the control plane's restore copy)",
		RestoreSegment: fmt.Sprintf("each archived WAL segment a restore replays: the restore after %d segments written, switched and archived past a fresh backup, "+
			"less the one right after it, over the segments", SegmentsSwitched),
		RestoreProbe: fmt.Sprintf("each restore_command call a recovery makes for a timeline history file, two per timeline after the backup's "+
			"(PostgreSQL 15 probes the histories after the backup's timeline, then fetches them again): pgbackrest archive-get of the history file "+
			"of the timeline after the newest, which the vault does not hold, run as the restore command runs (as the database's owner, through the shell), "+
			"%d times after each restore run, each call a sample", ProbesPerRun),
	}
	f := &File{Target: "local", Environment: env, Measured: at.UTC(), Figures: map[string]Figure{}}
	for _, name := range []string{Promote, Reconnect, Restore, RestoreSegment, RestoreProbe} {
		xs := samples[name]
		if len(xs) == 0 {
			return nil, fmt.Errorf("%w: %s (%s)", ErrTooFew, name, how[name])
		}
		slices.Sort(xs)
		if m := median(xs); m < 0 {
			return nil, fmt.Errorf("%s: a median of %g s from %d run(s) (%g to %g s): no figure (%s)", name, m, len(xs), xs[0], xs[len(xs)-1], how[name])
		}
		f.Figures[name] = Figure{Seconds: median(xs), Runs: len(xs), Min: xs[0], Max: xs[len(xs)-1], How: how[name]}
	}
	return f, nil
}

func stepNamed(r *drill.Report, name string) (drill.Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return drill.Step{}, false
}

// median of sorted values.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}
