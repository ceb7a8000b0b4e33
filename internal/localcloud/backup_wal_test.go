package localcloud

import (
	"context"
	"os/exec"
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
		wal.ArchivedMax != "000000020000000100000003" || wal.SegmentsSince != 7 || wal.SegmentBytes != 16<<20 {
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
		if err := exec1(t, ctx, db.Address, "INSERT INTO t VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		if err := exec1(t, ctx, db.Address, "SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
	}
	waitArchived(t, ctx, db.Address)
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
	if err := exec1(t, ctx, db.Address, setup); err != nil {
		t.Fatal(err)
	}
	return p, ctx, db
}
