package policies

import (
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// calibratedRestore are the local defaults with a restore split in two, as
// a calibration gives them: 1s for the backup itself, 80ms per segment.
func calibratedRestore() *Timings {
	tm := DefaultTimings(topology.TargetLocal)
	tm.Restore = Figure{time.Second, "base measured here"}
	tm.RestoreSegment = Figure{80 * time.Millisecond, "segment measured here"}
	return &tm
}

func TestRestoreReplaysTheWALArchivedSinceTheNewestBackup(t *testing.T) {
	m, _ := model(t, "pol", good)
	m.Timings = calibratedRestore()
	a := Assess(m)
	// by hand: a backup every 1h, the newest typically 30 min old; a
	// segment archived every 30s: 60 segments, 80ms each, 4.8s; with the
	// restore's 1s, 5.8s
	e, ok := a.For("shop", ScenarioBackupRestore, "west")
	if !ok {
		t.Fatal("no backup-restore estimate")
	}
	if e.RTO != 5800*time.Millisecond {
		t.Errorf("backup-restore RTO %s (%s), want 5.8s", e.RTO, e.RTOHow)
	}
	if len(e.RTOTerms) != 2 || e.RTOTerms[1].What != "replay the WAL archived since the newest backup" || e.RTOTerms[1].D != 4800*time.Millisecond {
		t.Fatalf("terms %+v, want the restore then 4.8s of replay", e.RTOTerms)
	}
	for _, want := range []string{"base measured here", "60 segment(s) × 80ms", "segment measured here", "archive_timeout to 30s"} {
		if !strings.Contains(e.RTOHow, want) {
			t.Errorf("the estimate says %q, without %q", e.RTOHow, want)
		}
	}
	// the RPO is what is not yet archived, as before
	if e.RPO != 30*time.Second || !e.RPOUpTo {
		t.Errorf("backup-restore RPO %s up to %v, want up to 30s", e.RPO, e.RPOUpTo)
	}
}

func TestLosingTheOnlyDatabaseReplaysTheWALToo(t *testing.T) {
	// one region, its backups copied to another: losing the database
	// restores the latest backup once the runbook acts (50ms): 50ms + 1s +
	// 60 × 80ms = 5.85s
	src := strings.Replace(good, "  mode  = \"active-active\"\n", "  mode  = \"active-active\"\n  regions = [\"east\"]\n", 1)
	m, _ := model(t, "pol", src)
	m.Timings = calibratedRestore()
	e, ok := Assess(m).For("shop", ScenarioDatabasePrimaryLoss, "east")
	if !ok || e.RTO != 5850*time.Millisecond || !strings.Contains(e.RTOHow, "replay the WAL archived since the newest backup 4.8s") {
		t.Errorf("database loss without a replica: %v RTO %s (%s), want 5.85s with 4.8s of replay", ok, e.RTO, e.RTOHow)
	}
}

func TestNoReplayTermWithoutAPerSegmentFigure(t *testing.T) {
	m, _ := model(t, "pol", good)
	tm := calibratedRestore()
	tm.RestoreSegment = Figure{}
	m.Timings = tm
	e, ok := Assess(m).For("shop", ScenarioBackupRestore, "west")
	if !ok || e.RTO != time.Second || strings.Contains(e.RTOHow, "replay") {
		t.Errorf("without a per-segment figure: %v RTO %s (%s), want the restore's 1s alone", ok, e.RTO, e.RTOHow)
	}
	// nor without continuous archiving: nothing is archived between backups
	tm = calibratedRestore()
	tm.Archive = Figure{}
	m.Timings = tm
	e, ok = Assess(m).For("shop", ScenarioBackupRestore, "west")
	if !ok || e.RTO != time.Second || strings.Contains(e.RTOHow, "replay") {
		t.Errorf("without archiving: %v RTO %s (%s), want the restore's 1s alone", ok, e.RTO, e.RTOHow)
	}
}

func TestAWSRestoreIsItsDocumentedFigureAlone(t *testing.T) {
	m, _ := awsEnvModel(t, "prod")
	found := 0
	for _, e := range Assess(m).Scenarios {
		if e.Scenario != ScenarioBackupRestore {
			continue
		}
		found++
		if e.RTO != 30*time.Minute || strings.Contains(e.RTOHow, "replay") {
			t.Errorf("aws backup-restore of %s: %s (%s), want AWS Backup's 30m alone", e.Service, e.RTO, e.RTOHow)
		}
	}
	if found == 0 {
		t.Error("prod has no backup-restore estimate to check")
	}
}
