package localtarget

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/policies"
)

// restoreTimings are figures as a calibration gives them: 1.02 s to
// restore a backup, 85 ms per WAL segment replayed.
func restoreTimings() policies.Timings {
	return policies.Timings{Restore: policies.Figure{D: 1020 * time.Millisecond, Source: "base"},
		RestoreSegment: policies.Figure{D: 85 * time.Millisecond, Source: "segment"}}
}

func TestBackupRestoreConditionsItsEstimateOnTheWALFound(t *testing.T) {
	typical := drill.Numbers{RTOSeconds: 2.3, RPOSeconds: 30, Known: true, RPOUpTo: true}
	s := &BackupRestore{Timings: restoreTimings(), TimingsFrom: "calibration/local.json", walSince: 12, walKnown: true}
	got, ok := s.Condition(typical)
	if !ok {
		t.Fatal("no conditioned estimate with the WAL known")
	}
	// by hand: 1.02 s + 12 × 0.085 s = 1.02 + 1.02 = 2.04 s; the RPO stays
	if math.Abs(got.RTOSeconds-2.04) > 1e-9 || got.RPOSeconds != 30 || !got.Known || !got.RPOUpTo {
		t.Errorf("conditioned %+v, want RTO 2.04 s, RPO up to 30 s", got)
	}
	want := "restore the newest backup 1.02 s + replay 12 WAL segment(s) archived since it × 0.085 s (calibration/local.json) = 2.04 s"
	if got.How != want {
		t.Errorf("how:\n got %q\nwant %q", got.How, want)
	}

	// 7 segments: 1.02 + 0.595 = 1.615 s, said to the millisecond
	s.walSince = 7
	if got, ok := s.Condition(typical); !ok || math.Abs(got.RTOSeconds-1.615) > 1e-9 || !strings.HasSuffix(got.How, "= 1.615 s") {
		t.Errorf("7 segments: %+v %v, want 1.615 s", got, ok)
	}

	// figures whose sum a float would say as 1.7309999999999999 s: 1.234 s
	// + 7 × 0.071 s = 1.731 s
	odd := &BackupRestore{Timings: policies.Timings{Restore: policies.Figure{D: 1234 * time.Millisecond}, RestoreSegment: policies.Figure{D: 71 * time.Millisecond}},
		walSince: 7, walKnown: true}
	if got, ok := odd.Condition(typical); !ok || !strings.HasSuffix(got.How, "× 0.071 s = 1.731 s") {
		t.Errorf("1.234 s + 7 × 0.071 s: %q", got.How)
	}

	// nothing archived since the backup: the base alone
	s.walSince = 0
	if got, ok := s.Condition(typical); !ok || math.Abs(got.RTOSeconds-1.02) > 1e-9 {
		t.Errorf("no WAL since the backup: %+v %v, want 1.02 s", got, ok)
	}
}

func TestBackupRestoreKeepsTheTypicalEstimateWhenItCannotTell(t *testing.T) {
	typical := drill.Numbers{RTOSeconds: 2.3, RPOSeconds: 30, Known: true, RPOUpTo: true}
	noSegment := restoreTimings()
	noSegment.RestoreSegment = policies.Figure{}
	for _, c := range []struct {
		name    string
		s       BackupRestore
		typical drill.Numbers
	}{
		{"the plane did not report the WAL", BackupRestore{Timings: restoreTimings(), walSince: 12}, typical},
		{"no per-segment figure", BackupRestore{Timings: noSegment, walSince: 12, walKnown: true}, typical},
		{"no typical estimate", BackupRestore{Timings: restoreTimings(), walSince: 12, walKnown: true}, drill.Numbers{}},
	} {
		if got, ok := c.s.Condition(c.typical); ok {
			t.Errorf("%s: conditioned %+v", c.name, got)
		}
	}
}

func TestBackupRestoreCountsTheTimelinesAfterTheBackup(t *testing.T) {
	typical := drill.Numbers{RTOSeconds: 2.3, RPOSeconds: 30, Known: true, RPOUpTo: true}
	tm := restoreTimings()
	tm.RestoreProbe = policies.Figure{D: 15 * time.Millisecond, Source: "probe"}
	// after six promotions since a backup on timeline 1: 11 calls more
	s := &BackupRestore{Timings: tm, TimingsFrom: "calibration/local.json", walSince: 12, walKnown: true,
		historyCalls: 11, timelinesAfter: 6, timelinesKnown: true}
	got, ok := s.Condition(typical)
	// by hand: 1.02 s + 12 × 0.085 s + 11 × 0.015 s = 1.02 + 1.02 + 0.165 = 2.205 s
	if !ok || math.Abs(got.RTOSeconds-2.205) > 1e-9 || got.RPOSeconds != 30 {
		t.Fatalf("conditioned %+v %v, want RTO 2.205 s", got, ok)
	}
	want := "restore the newest backup 1.02 s + replay 12 WAL segment(s) archived since it × 0.085 s + fetch 11 timeline history file(s) " +
		"for 6 timeline(s) after the backup's × 0.015 s (calibration/local.json) = 2.205 s"
	if got.How != want {
		t.Errorf("how:\n got %q\nwant %q", got.How, want)
	}

	// the backup on the newest timeline: the term says 0 and adds nothing
	s.historyCalls, s.timelinesAfter = 0, 0
	if got, ok := s.Condition(typical); !ok || math.Abs(got.RTOSeconds-2.04) > 1e-9 || !strings.Contains(got.How, "+ fetch 0 timeline history file(s)") {
		t.Errorf("no timeline after the backup: %+v %v, want 2.04 s", got, ok)
	}

	// the plane did not list the archive, or no figure for a call: the
	// estimate of segments alone, its how without the term
	s.historyCalls, s.timelinesAfter, s.timelinesKnown = 11, 6, false
	if got, ok := s.Condition(typical); !ok || math.Abs(got.RTOSeconds-2.04) > 1e-9 || strings.Contains(got.How, "history") {
		t.Errorf("timelines unknown: %+v %v, want 2.04 s", got, ok)
	}
	s.timelinesKnown, s.Timings.RestoreProbe = true, policies.Figure{}
	if got, ok := s.Condition(typical); !ok || math.Abs(got.RTOSeconds-2.04) > 1e-9 || strings.Contains(got.How, "history") {
		t.Errorf("no probe figure: %+v %v, want 2.04 s", got, ok)
	}
}
