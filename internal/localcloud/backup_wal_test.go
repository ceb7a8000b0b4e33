package localcloud

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// pgbackrestInfoAcrossALogAndATimeline is `pgbackrest info --output=json
// --repo=1` (pgBackRest 2.45, PostgreSQL 15, 16 MB segments) captured on
// this project's machine from a cluster whose WAL was started at
// 0/F8000000 (pg_resetwal -l): a full backup in segment F9, a differential
// one ending in FC, two segment switches, a standby promoted (timeline 2,
// from segment 1/00), four switches there. The archive's newest segment is
// 000000020000000100000003: past a log boundary and on another timeline
// than the newest backup.
const pgbackrestInfoAcrossALogAndATimeline = `[{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000020000000100000003","min":"0000000100000000000000F8"}],"backup":[{"archive":{"start":"0000000100000000000000F9","stop":"0000000100000000000000F9"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":22992659,"repository":{"delta":3043943,"size":3043943},"size":22992659},"label":"20261206-083150F","lsn":{"start":"0/F9000028","stop":"0/F9000100"},"prior":null,"reference":null,"timestamp":{"start":1796545910,"stop":1796545912},"type":"full"},{"archive":{"start":"0000000100000000000000FB","stop":"0000000100000000000000FC"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":598283,"repository":{"delta":51140,"size":3044006},"size":23000850},"label":"20261206-083150F_20261206-083152D","lsn":{"start":"0/FB000028","stop":"0/FC000050"},"prior":"20261206-083150F","reference":["20261206-083150F"],"timestamp":{"start":1796545912,"stop":1796545914},"type":"diff"}],"cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7716105922616736075,"version":"15"}],"name":"cap","repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]`

// pgControlDataExcerpt is the start and the WAL lines of pg_controldata's
// output for the same cluster (LC_ALL=C).
const pgControlDataExcerpt = `pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7716105922616736075
Database cluster state:               shut down
Latest checkpoint's REDO WAL file:    000000020000000100000004
Latest checkpoint's TimeLineID:       2
Database block size:                  8192
Blocks per segment of large relation: 131072
WAL block size:                       8192
Bytes per WAL segment:                16777216
Maximum length of identifiers:        64
`

func TestVaultInfoCountsTheSegmentsArchivedAfterTheNewestBackup(t *testing.T) {
	backups, wal, err := readVaultInfo([]byte(pgbackrestInfoAcrossALogAndATimeline), "west", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 2 {
		t.Fatalf("%d backups, want the full and the differential one: %+v", len(backups), backups)
	}
	diff := backups[1]
	if diff.Vault != "west" || diff.Type != "diff" || diff.Label != "20261206-083150F_20261206-083152D" ||
		diff.WALStart != "0000000100000000000000FB" || diff.WALStop != "0000000100000000000000FC" ||
		!diff.Stop.Equal(time.Unix(1796545914, 0)) {
		t.Errorf("the differential backup read as %+v", diff)
	}
	if wal == nil {
		t.Fatal("no WAL reported past the newest backup")
	}
	// by hand: after FC come FD, FE, FF on timeline 1, then 1/00, 1/01,
	// 1/02, 1/03 on timeline 2 (256 segments of 16 MB to a log): 7
	if wal.Vault != "west" || wal.NewestBackup != diff.Label || wal.NewestStop != "0000000100000000000000FC" ||
		wal.ArchivedMax != "000000020000000100000003" || wal.SegmentsSince != 7 || wal.SegmentBytes != 16<<20 || wal.ArchiveID != "15-1" {
		t.Errorf("WAL past the newest backup: %+v, want 7 segments from FC to 2/1/03", *wal)
	}
}

func TestVaultInfoWithoutASegmentSizeReportsNoWAL(t *testing.T) {
	backups, wal, err := readVaultInfo([]byte(pgbackrestInfoAcrossALogAndATimeline), "west", 0)
	if err != nil || len(backups) != 2 || wal != nil {
		t.Errorf("unknown segment size: %d backups, WAL %+v, %v; want the backups and no WAL", len(backups), wal, err)
	}
}

func TestVaultInfoOfAnEmptyVault(t *testing.T) {
	backups, wal, err := readVaultInfo([]byte(`[{"archive":[],"backup":[],"name":"dev-shop"}]`), "west", 16<<20)
	if err != nil || len(backups) != 0 || wal != nil {
		t.Errorf("empty vault: %+v, %+v, %v", backups, wal, err)
	}
}

func TestSegmentsAfter(t *testing.T) {
	for _, c := range []struct {
		from, to string
		bytes    int64
		want     int
	}{
		{"0000000100000000000000FC", "0000000100000000000000FC", 16 << 20, 0},
		{"0000000100000000000000FE", "000000010000000100000001", 16 << 20, 3}, // FF, 1/00, 1/01
		{"000000030000000200000010", "000000050000000200000012", 16 << 20, 2}, // timelines ignored
		{"000000020000000300000000", "000000010000000200000005", 16 << 20, 0}, // not past: none
		// 64 MB segments: 64 to a log; 0/3F then 1/00 and 1/01
		{"00000001000000000000003E", "000000010000000100000001", 64 << 20, 3},
	} {
		got, err := segmentsAfter(c.from, c.to, c.bytes)
		if err != nil || got != c.want {
			t.Errorf("segments after %s to %s (%d-byte segments): %d, %v; want %d", c.from, c.to, c.bytes, got, err, c.want)
		}
	}
	for _, c := range []struct {
		from, to string
		bytes    int64
		why      string
	}{
		{"00000001000000000000FC", "000000010000000000000100", 16 << 20, "not 24"},
		{"0000000100000000000000FC", "0000000100000000000000XY", 16 << 20, "not 24"},
		{"000000010000000000000100", "000000010000000100000001", 16 << 20, "past the 256"},
		{"0000000100000000000000FC", "0000000100000000000000FD", 3 << 20, "not a divisor"},
	} {
		if _, err := segmentsAfter(c.from, c.to, c.bytes); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("segments after %s to %s (%d-byte segments): %v, want an error with %q", c.from, c.to, c.bytes, err, c.why)
		}
	}
}

func TestControlDataSegmentBytes(t *testing.T) {
	n, err := controlDataSegmentBytes(pgControlDataExcerpt)
	if err != nil || n != 16777216 {
		t.Errorf("segment size %d, %v; want 16777216", n, err)
	}
	if _, err := controlDataSegmentBytes("Database block size: 8192\n"); err == nil {
		t.Error("no segment size line, and no error")
	}
}

// The plane reports, per vault, the segments archived since the newest
// backup: none right after it, one per switch after writes, none again
// after the next backup.
func TestBackupReportsTheWALArchivedSinceTheNewestBackup(t *testing.T) {
	p, ctx, db := backedUpDatabase(t, "wal", "CREATE TABLE t (n int)")
	t.Cleanup(func() {
		_ = p.DeleteDatabase(context.Background(), localapi.DatabaseSpec{Env: "wal", Region: "east", Service: "shop"}.ID())
	})
	plan := localapi.BackupSpec{Env: "wal", Service: "shop", Primary: "east", Vaults: []string{"west"}, Every: time.Hour, Keep: 24 * time.Hour}
	b, err := p.PutBackup(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.DeleteBackup(context.Background(), plan.ID()) })
	since := func(when string) localapi.VaultWAL {
		t.Helper()
		w, ok := b.WALIn("west")
		if !ok {
			t.Fatalf("%s: no WAL reported for west's vault: %+v", when, b)
		}
		if w.SegmentBytes != 16<<20 || w.NewestStop != b.Backups[len(b.Backups)-1].WALStop {
			t.Errorf("%s: %+v, want 16 MB segments counted from the newest backup's stop %s", when, w, b.Backups[len(b.Backups)-1].WALStop)
		}
		return w
	}
	if w := since("right after the first backup"); w.SegmentsSince != 0 {
		t.Errorf("right after the backup: %d segments since it (%+v), want 0", w.SegmentsSince, w)
	}
	// three segments written and switched: the current one (opened when the
	// backup stopped), then two more
	for i := range 3 {
		if err := exec1(t, ctx, db.OperatorConnString(), "INSERT INTO t VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		if err := exec1(t, ctx, db.OperatorConnString(), "SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
	}
	waitArchived(t, ctx, db.OperatorConnString())
	if b, err = p.GetBackup(ctx, plan.ID()); err != nil {
		t.Fatal(err)
	}
	if w := since("after three switches"); w.SegmentsSince != 3 {
		t.Errorf("after three switches: %d segments since the backup (%+v), want 3", w.SegmentsSince, w)
	}
	if b, err = p.RunBackup(ctx, plan.ID(), "diff"); err != nil {
		t.Fatal(err)
	}
	if w := since("after the next backup"); w.SegmentsSince != 0 || w.NewestBackup != b.Backups[1].Label {
		t.Errorf("after the next backup: %+v, want 0 segments since %s", w, b.Backups[1].Label)
	}
}

// backedUpDatabase is a test plane with an asynchronous primary of shop in
// east for env, set up by setup, ready for a backup plan (pgBackRest must
// be installed); the context ends with the test or in two minutes.
func backedUpDatabase(t *testing.T, env, setup string) (*Plane, context.Context, localapi.Database) {
	t.Helper()
	needPostgres(t)
	if _, err := exec.LookPath("pgbackrest"); err != nil {
		t.Fatal("pgbackrest not installed (make test installs it)")
	}
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	db, err := p.PutDatabase(ctx, localapi.DatabaseSpec{Env: env, Region: "east", Service: "shop", Primary: "east", Replication: "async"})
	if err != nil {
		t.Fatal(err)
	}
	if err := exec1(t, ctx, db.OperatorConnString(), setup); err != nil {
		t.Fatal(err)
	}
	return p, ctx, db
}

// archiveAfterSixPromotions is the listing (listArchive) of a vault's
// archive captured on this project's machine after a game day of three
// db-primary-loss runs, each failed back (two promotions a run): the
// newest backup ended in segment 4 on timeline 1, the cluster is on
// timeline 7. A scratch restore of it with restore_command logged made 15
// calls for history files (2 to 8 probed, 7 read, 2 to 6 fetched again,
// 8 probed and 7 read at the end) and 18 for segments, none of them for a
// segment on a timeline that does not hold it.
var archiveAfterSixPromotions = []string{
	"00000002.history", "00000003.history", "00000004.history", "00000005.history", "00000006.history", "00000007.history",
	"0000000100000000/000000010000000000000002-78b3da1ea436594055fe06c659711157f23ea9fd.gz",
	"0000000100000000/000000010000000000000002.00000028.backup",
	"0000000100000000/000000010000000000000003-3bdec2d7dcdf06729db2dc926bc5bdbb32688263.gz",
	"0000000100000000/000000010000000000000004-4c9ee4aebce703d5aa2f27e8ad1ed9271cc6f593.gz",
	"0000000100000000/000000010000000000000005.partial-abcd5e5825164a0072485ebfbf34b4d472cfa147.gz",
	"0000000200000000/000000020000000000000005-d11b870ed0f7e24afdf76a5ae283bfabdd04f5ad.gz",
	"0000000200000000/000000020000000000000006-8ad2615f3f5eed28e48ee791ae1e3c4b5c4787f9.gz",
	"0000000200000000/000000020000000000000006.000000D8.backup",
	"0000000200000000/000000020000000000000007.partial-ceb262b4d12da484b3f318b780195d82e765b18c.gz",
	"0000000300000000/000000030000000000000007-d8917a9d812b82f454f4da865ae8665e1797037f.gz",
	"0000000300000000/000000030000000000000008-f36ef2c1f9e39a1ee5899b6019269de26bce762e.gz",
	"0000000400000000/000000040000000000000009-87ec01d11f09653ad696dbac30b2cc75f41de7dd.gz",
	"0000000400000000/00000004000000000000000A-f77762c3a92735a63a9ac62164b2e8ceadb90fe1.gz",
	"0000000500000000/00000005000000000000000B-0258b0fa259fdebc1ddc6eca027fe04911ad0793.gz",
	"0000000500000000/00000005000000000000000C-952c2450adb185cbe97d1205a0de9a06f75f9945.gz",
	"0000000600000000/00000006000000000000000D-2d3798580d3f1bc580094d4e75b21501a563052d.gz",
	"0000000600000000/00000006000000000000000E-a73492b4e16163d459b8237fc60fe75d1f4e3da8.gz",
	"0000000700000000/00000007000000000000000F-ae14e985aaa56f750b696e86ce5d83c321a5f827.gz",
	"0000000700000000/000000070000000000000010-4d0474d012681a4e960a5057e4bd08cb04d3856d.gz",
	"0000000700000000/000000070000000000000011-b76dc0da9fee3e649d09127103f44b7a35f4336f.gz",
}

func TestArchiveTimelinesAfterSixPromotions(t *testing.T) {
	tl, err := archiveTimelines(archiveAfterSixPromotions, "000000010000000000000004")
	if err != nil {
		t.Fatal(err)
	}
	// by hand: histories 2 to 7 are consecutive after the backup's 1, so
	// the target is 7; 6 timelines after the backup's: 6 probed and found
	// + 5 fetched again (2 to 6; timeline 1 has none) = 11 calls more than
	// a restore on one timeline. Segments: 3 on timeline 1 (2, 3, 4; the
	// partial one and the backup file are not segments), 2 on each of 2
	// to 6, 3 on 7.
	want := map[string]int{"00000001": 3, "00000002": 2, "00000003": 2, "00000004": 2, "00000005": 2, "00000006": 2, "00000007": 3}
	if tl.Backup != 1 || tl.Newest != 7 || tl.Histories != 6 || tl.HistoryCalls != 11 || !maps.Equal(tl.Segments, want) {
		t.Errorf("timelines %+v, want backup 1, newest 7, 6 histories, 11 calls, segments %v", *tl, want)
	}
}

func TestArchiveTimelines(t *testing.T) {
	for _, c := range []struct {
		name        string
		names       []string
		stop        string
		newest      int
		calls       int
		histories   int
		segmentsOn3 int
	}{
		// the backup on timeline 3, histories of 2 to 5: 2 timelines after
		// it, each probed and fetched again (3 and 4: 3 is not timeline 1)
		{"backup on 3 of 5", []string{"00000002.history", "00000003.history", "00000004.history", "00000005.history",
			"0000000300000000/000000030000000000000010-0123456789abcdef0123456789abcdef01234567",
			"0000000300000000/000000030000000000000011-0123456789abcdef0123456789abcdef01234567.gz",
			"0000000500000000/000000050000000000000012-0123456789abcdef0123456789abcdef01234567.zst"},
			"000000030000000000000010", 5, 4, 4, 2},
		// a gap: 4's history is missing, so the recovery stops probing at
		// 4 and targets 3 (5 is not reached): 2 after 1, 2 + 1 calls
		{"a gap in the histories", []string{"00000002.history", "00000003.history", "00000005.history"},
			"0000000100000000000000FE", 3, 3, 3, 0},
		// the backup on the newest timeline: nothing more than the base
		{"backup on the newest", []string{"00000002.history", "00000003.history",
			"0000000300000001/000000030000000100000000-0123456789abcdef0123456789abcdef01234567.gz"},
			"000000030000000000000040", 3, 0, 2, 1},
		// one promotion after a backup on timeline 1: 2 probed, nothing
		// fetched again
		{"one promotion", []string{"00000002.history"}, "000000010000000000000003", 2, 1, 1, 0},
		// names it does not know: skipped (a history name in lower case, a
		// segment in the wrong folder, a folder of 15 digits, a lone file)
		{"unknown names", []string{"0000000a.history", "00000002.history.tmp", "archive.info",
			"0000000300000000/000000040000000000000001-0123456789abcdef0123456789abcdef01234567.gz",
			"000000030000000/000000030000000000000001-0123456789abcdef0123456789abcdef01234567.gz",
			"0000000300000000/000000030000000000000001"},
			"000000030000000000000001", 3, 0, 0, 0},
	} {
		tl, err := archiveTimelines(c.names, c.stop)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tl.Newest != c.newest || tl.HistoryCalls != c.calls || tl.Histories != c.histories || tl.Segments["00000003"] != c.segmentsOn3 {
			t.Errorf("%s: %+v, want newest %d, %d calls, %d histories, %d segment(s) on 3", c.name, *tl, c.newest, c.calls, c.histories, c.segmentsOn3)
		}
	}
	if _, err := archiveTimelines(archiveAfterSixPromotions, "00000001000000000000004"); err == nil || !strings.Contains(err.Error(), "not 24") {
		t.Errorf("a backup segment of 23 digits: %v, want an error", err)
	}
}

func TestListArchive(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"00000002.history", "0000000100000000/000000010000000000000003-0123456789abcdef0123456789abcdef01234567.gz",
		"0000000200000000/000000020000000000000004-0123456789abcdef0123456789abcdef01234567.gz", "notes/000000010000000000000009-x.gz"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// the history file, and the two segments in their folders, in the
	// order of names ("0000000100000000" before "00000002.history"); the
	// folder that is no TTTTTTTTLLLLLLLL is not listed
	got, err := listArchive(dir)
	want := []string{"0000000100000000/000000010000000000000003-0123456789abcdef0123456789abcdef01234567.gz", "00000002.history",
		"0000000200000000/000000020000000000000004-0123456789abcdef0123456789abcdef01234567.gz"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("listed %q, %v; want %q", got, err, want)
	}
	if _, err := listArchive(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing archive listed without an error")
	}
}
