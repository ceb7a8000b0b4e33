package localcloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/bulwark-dev/bulwark/internal/contract"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

func needPostgres(t *testing.T) {
	t.Helper()
	if _, err := pgbin.Dir(); err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}

func exec1(t *testing.T, ctx context.Context, dsn, sql string, args ...any) error {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

func count(t *testing.T, ctx context.Context, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// commitAt runs a statement in a transaction on a member and commits it,
// returning the WAL insert position read inside the transaction after the
// statement: the commit's record ends past it.
func commitAt(t *testing.T, ctx context.Context, dsn, sql string, args ...any) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	var at string
	if err := tx.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return at
}

// holdsCommits fails unless a replica has received (flushed) the WAL of a
// commit acknowledged at position at: what synchronous_commit = on
// promises. It promises durability, not that a read on the replica sees
// the row at once (replay may lag; remote_apply would promise that), so
// the rows are counted once replay has caught up, within a bound.
func holdsCommits(t *testing.T, ctx context.Context, at, replica string, want int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, replica)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var received bool
	if err := conn.QueryRow(ctx, "SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn", at).Scan(&received); err != nil {
		t.Fatal(err)
	}
	if !received {
		t.Fatalf("the replica has not received the WAL of a commit acknowledged at %s", at)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n := count(t, ctx, replica); n != want; n = count(t, ctx, replica) {
		if time.Now().After(deadline) {
			t.Fatalf("the replica holds %d rows 5 s after it received their WAL, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReplicatedDatabase(t *testing.T) {
	needPostgres(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := localapi.DatabaseSpec{Env: "db", Service: "shop", Primary: "east", Replicas: []string{"west"}, Replication: "sync"}
	primarySpec, replicaSpec := base, base
	primarySpec.Region, replicaSpec.Region = "east", "west"
	primarySpec.DeletionProtection = true

	// the replica waits for the primary, as concurrent regional stacks do
	replicaDone := make(chan error, 1)
	var replica localapi.Database
	go func() {
		var err error
		replica, err = p.PutDatabase(ctx, replicaSpec)
		replicaDone <- err
	}()
	primary, err := p.PutDatabase(ctx, primarySpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-replicaDone; err != nil {
		t.Fatal(err)
	}
	if primary.Role != "primary" || replica.Role != "replica" {
		t.Fatalf("roles: %s %s", primary.Role, replica.Role)
	}
	if err := exec1(t, ctx, primary.OperatorConnString(), "CREATE TABLE t (n int)"); err != nil {
		t.Fatal(err)
	}
	// synchronous: an acknowledged commit is already on the replica
	var at string
	for i := 0; i < 20; i++ {
		at = commitAt(t, ctx, primary.OperatorConnString(), "INSERT INTO t VALUES ($1)", i)
	}
	holdsCommits(t, ctx, at, replica.OperatorConnString(), 20)
	// the instances' URL names every member and picks the writable one
	rt, err := p.DatabaseRuntime("db", "shop", 0, []string{"east", "west"}, "west")
	if err != nil {
		t.Fatal(err)
	}
	if rt[contract.DatabaseReaderURL] != "postgres://"+replica.Address+"/postgres?connect_timeout=2&sslmode=disable" {
		t.Errorf("west's reader = %s, want its own member %s", rt[contract.DatabaseReaderURL], replica.Address)
	}
	cfg, err := pgx.ParseConfig(rt[contract.DatabaseWriterURL])
	if err != nil {
		t.Fatal(err)
	}
	// with the application role's credentials, which own what they create
	if rt[contract.DatabaseUser] != contract.DatabaseAppUser("shop") || rt[contract.DatabasePassword] == "" {
		t.Fatalf("the instances' credentials: user %q, a password of %d characters", rt[contract.DatabaseUser], len(rt[contract.DatabasePassword]))
	}
	cfg.User, cfg.Password = rt[contract.DatabaseUser], rt[contract.DatabasePassword]
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE service_rows (n int); INSERT INTO service_rows VALUES (100)"); err != nil {
		t.Fatalf("write through the multi-host URL: %v", err)
	}
	conn.Close(ctx)

	// without its synchronous replica the primary does not acknowledge commits
	p.mu.Lock()
	rr := p.databases[replicaSpec.ID()]
	p.mu.Unlock()
	rr.stop(10 * time.Second)
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	err = exec1(t, short, primary.OperatorConnString(), "INSERT INTO t VALUES (999)")
	cancelShort()
	if err == nil {
		t.Fatal("a synchronous commit was acknowledged with no replica")
	}
	// (the cancelled commit stays local to the primary: it was never acknowledged)
	if replica, err = p.PutDatabase(ctx, replicaSpec); err != nil || !replica.Running {
		t.Fatalf("restart replica: %+v %v", replica, err)
	}

	// promotion makes the replica writable
	promoted, err := p.PromoteDatabase(ctx, replicaSpec.ID())
	if err != nil || promoted.Role != "primary" {
		t.Fatalf("promote: %+v %v", promoted, err)
	}
	if err := exec1(t, ctx, promoted.OperatorConnString(), "INSERT INTO t VALUES (200)"); err != nil {
		t.Fatalf("write to the promoted replica: %v", err)
	}

	// deletion protection
	if err := p.DeleteDatabase(ctx, primarySpec.ID()); !errors.Is(err, localapi.ErrProtected) {
		t.Fatalf("delete a protected database: %v", err)
	}
	for _, id := range []localapi.ServiceID{replicaSpec.ID()} {
		if err := p.DeleteDatabase(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	pid := primary.PID
	primarySpec.DeletionProtection = false
	if _, err := p.PutDatabase(ctx, primarySpec); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteDatabase(ctx, primarySpec.ID()); err != nil {
		t.Fatal(err)
	}
	if alive(pid) || alive(replica.PID) {
		t.Errorf("postgres still running after delete")
	}
}

// waitArchived waits until the member has archived its last WAL segment.
func waitArchived(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var pending bool
		// close the current segment (a no-op without new WAL): with
		// archive_timeout the server also switches by itself, and the
		// segment the check waits for may be the one it just opened
		_, _ = conn.Exec(ctx, "SELECT pg_switch_wal()")
		err = conn.QueryRow(ctx, `SELECT last_archived_wal IS NULL OR last_archived_wal < pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver`).Scan(&pending)
		conn.Close(ctx)
		if err == nil && !pending {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("WAL not archived within 30s")
}

// A region whose primary was lost is rebuilt: its member joins the promoted
// one as a replica, and a switchover gives it the primary back without
// losing a row.
func TestRebuildAfterFailoverAndSwitchBack(t *testing.T) {
	needPostgres(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := localapi.DatabaseSpec{Env: "rb", Service: "shop", Primary: "east", Replicas: []string{"west"}, Replication: "sync"}
	east, west := base, base
	east.Region, west.Region = "east", "west"
	for _, s := range []localapi.DatabaseSpec{east, west} {
		if _, err := p.PutDatabase(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	eastDB, _ := p.GetDatabase(ctx, east.ID())
	westDB, _ := p.GetDatabase(ctx, west.ID())
	if err := exec1(t, ctx, eastDB.OperatorConnString(), "CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 10)"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.KillDatabase(east.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PromoteDatabase(ctx, west.ID()); err != nil {
		t.Fatal(err)
	}
	if err := exec1(t, ctx, westDB.OperatorConnString(), "INSERT INTO t SELECT generate_series(11, 20)"); err != nil {
		t.Fatal(err)
	}
	// east's former primary may not come back as a second primary
	if _, err := p.PutDatabase(ctx, east); !errors.Is(err, localapi.ErrSplitBrain) {
		t.Fatalf("restart the former primary: %v", err)
	}
	// nor after a control plane restart, which starts every member: the one
	// on the later timeline runs as the primary, whichever starts first
	p.Shutdown()
	p.Start()
	if st, _ := p.GetDatabase(ctx, west.ID()); !st.Running || st.Role != "primary" {
		t.Fatalf("west after a control plane restart: %+v", st)
	}
	if st, _ := p.GetDatabase(ctx, east.ID()); st.Running || st.Region != "east" {
		t.Fatalf("east's former primary after a control plane restart: %+v", st)
	}
	notes, err := p.AbandonRegion(ctx, localapi.RegionID{Env: "rb", Region: "east"})
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "kept in") {
		t.Fatalf("abandon east: %v %v", notes, err)
	}
	t.Cleanup(func() {
		_ = os.RemoveAll(strings.TrimSpace(notes[0][strings.Index(notes[0], "kept in")+len("kept in"):]))
	})
	rebuilt, err := p.PutDatabase(ctx, east)
	if err != nil || rebuilt.Role != "replica" {
		t.Fatalf("rebuild east: %+v %v", rebuilt, err)
	}
	if n := count(t, ctx, rebuilt.OperatorConnString()); n != 20 {
		t.Fatalf("rebuilt east holds %d rows, want 20", n)
	}
	if st, _ := p.GetDatabase(ctx, west.ID()); !slices.Contains(st.Streaming, "east") {
		t.Fatalf("east does not stream from west: %+v", st)
	}
	// fail back: east is the primary again, west its synchronous replica
	if notes, err = p.SwitchoverDatabase(ctx, localapi.ServiceID{Env: "rb", Region: "east", Service: "shop"}); err != nil {
		t.Fatalf("switchover: %v %v", notes, err)
	}
	eastDB, _ = p.GetDatabase(ctx, east.ID())
	westDB, _ = p.GetDatabase(ctx, west.ID())
	if eastDB.Role != "primary" || westDB.Role != "replica" || !slices.Contains(eastDB.Streaming, "west") {
		t.Fatalf("after the switchover: east %+v, west %+v", eastDB, westDB)
	}
	holdsCommits(t, ctx, commitAt(t, ctx, eastDB.OperatorConnString(), "INSERT INTO t VALUES (21)"), westDB.OperatorConnString(), 21)
	if _, err := p.AbandonRegion(ctx, localapi.RegionID{Env: "rb", Region: "east"}); !errors.Is(err, localapi.ErrLivePrimary) {
		t.Fatalf("abandon the region of the running primary: %v", err)
	}
	for _, s := range []localapi.DatabaseSpec{west, east} {
		if err := p.DeleteDatabase(ctx, s.ID()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackupsIntoAnotherRegionsVault(t *testing.T) {
	p, ctx, db := backedUpDatabase(t, "bk", "CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 100)")
	spec := db.DatabaseSpec
	plan := localapi.BackupSpec{Env: "bk", Service: "shop", Primary: "east", Vaults: []string{"west"}, Every: time.Hour, Keep: 24 * time.Hour}
	b, err := p.PutBackup(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Backups) != 1 || b.Backups[0].Type != "full" || b.Backups[0].Vault != "west" {
		t.Fatalf("after create: %+v", b)
	}
	if _, err := os.Stat(filepath.Join(p.vaultDir("bk", "west"), "backup", "bk-shop")); err != nil {
		t.Fatalf("west's vault holds no backup: %v", err)
	}
	// WAL goes to the vault continuously
	conn, err := pgx.Connect(ctx, db.OperatorConnString())
	if err != nil {
		t.Fatal(err)
	}
	var archive string
	_ = conn.QueryRow(ctx, "SHOW archive_command").Scan(&archive)
	conn.Close(ctx)
	if !strings.Contains(archive, "pgbackrest") || !strings.Contains(archive, "archive-push") {
		t.Fatalf("archive_command = %q", archive)
	}
	if err := exec1(t, ctx, db.OperatorConnString(), "INSERT INTO t SELECT generate_series(101, 200)"); err != nil {
		t.Fatal(err)
	}
	b, err = p.RunBackup(ctx, plan.ID(), "diff")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Backups) != 2 || b.Backups[1].Type != "diff" || b.Backups[1].Stop.Before(b.Backups[0].Stop) {
		t.Fatalf("after a differential backup: %+v", b.Backups)
	}
	// rows written after the backup come back too, from the archived WAL
	if err := exec1(t, ctx, db.OperatorConnString(), "INSERT INTO t SELECT generate_series(201, 300); SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	waitArchived(t, ctx, db.OperatorConnString())
	cp, err := p.PutRestoreCopy(ctx, localapi.RestoreCopySpec{Env: "bk", Service: "shop", Region: "west"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, cp.OperatorConnString()); n != 300 || !alive(cp.PID) || cp.Vault != "west" {
		t.Fatalf("restore copy %+v holds %d rows, want 300", cp, n)
	}
	if err := p.DeleteRestoreCopy(ctx, localapi.ServiceID{Env: "bk", Region: "west", Service: "shop"}); err != nil || alive(cp.PID) {
		t.Fatalf("delete the restore copy: %v (alive %v)", err, alive(cp.PID))
	}
	// a lost primary with no replica is rebuilt from the vault
	pid := db.PID
	notes, err := p.AbandonRegion(ctx, localapi.RegionID{Env: "bk", Region: "east"})
	if !errors.Is(err, localapi.ErrLivePrimary) {
		t.Fatalf("abandoning the region of a running primary: %v %v", notes, err)
	}
	if _, err := p.KillDatabase(spec.ID()); err != nil {
		t.Fatal(err)
	}
	if notes, err = p.AbandonRegion(ctx, localapi.RegionID{Env: "bk", Region: "east"}); err != nil || len(notes) != 1 || !strings.Contains(notes[0], "kept in") {
		t.Fatalf("abandon east: %v %v", notes, err)
	}
	t.Cleanup(func() {
		_ = os.RemoveAll(strings.TrimSpace(notes[0][strings.Index(notes[0], "kept in")+len("kept in"):]))
	})
	if db, err = p.PutDatabase(ctx, spec); err != nil || db.Role != "primary" || db.PID == pid {
		t.Fatalf("rebuild east from the vault: %+v %v", db, err)
	}
	if n := count(t, ctx, db.OperatorConnString()); n != 300 {
		t.Fatalf("the rebuilt primary holds %d rows, want 300", n)
	}
	if err := p.DeleteBackup(ctx, plan.ID()); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, db.OperatorConnString())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.QueryRow(ctx, "SHOW archive_command").Scan(&archive)
	conn.Close(ctx)
	if archive != "/bin/true" {
		t.Errorf("archive_command after delete = %q", archive)
	}
	if _, err := os.Stat(filepath.Join(p.vaultDir("bk", "west"), "backup", "bk-shop")); !os.IsNotExist(err) {
		t.Errorf("the plan's backups remain in the vault: %v", err)
	}
	if err := p.DeleteDatabase(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
}

// One region holds a database per service, each at its service's port,
// each replicated on its own; a member moved to another port keeps its data.
func TestDatabasesOfTwoServicesInOneRegion(t *testing.T) {
	needPostgres(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	specs := map[string][2]localapi.DatabaseSpec{}
	for _, svc := range []struct {
		name string
		port int
	}{{"orders", 18081}, {"carts", 18082}} {
		base := localapi.DatabaseSpec{Env: "two", Service: svc.name, Primary: "east", Replicas: []string{"west"}, Replication: "sync", Port: svc.port}
		primary, replica := base, base
		primary.Region, replica.Region = "east", "west"
		specs[svc.name] = [2]localapi.DatabaseSpec{primary, replica}
	}
	errs := make(chan error, 4)
	for _, pair := range specs {
		for _, s := range pair {
			go func() { _, err := p.PutDatabase(ctx, s); errs <- err }()
		}
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	addr := map[string]string{}
	conn := map[string]string{} // the superuser's connection, over the member's socket
	for name, pair := range specs {
		d, err := p.GetDatabase(ctx, pair[0].ID())
		if err != nil || d.Role != "primary" {
			t.Fatalf("%s: %+v %v", name, d, err)
		}
		if want := fmt.Sprintf(":%d", pair[0].Port); !strings.HasSuffix(d.Address, want) {
			t.Fatalf("%s's primary answers at %s, want its service's port %s", name, d.Address, want)
		}
		addr[name], conn[name] = d.Address, d.OperatorConnString()
		if err := exec1(t, ctx, d.OperatorConnString(), "CREATE TABLE t (n int)"); err != nil {
			t.Fatal(err)
		}
	}
	if addr["orders"] == addr["carts"] {
		t.Fatalf("two services' databases share %s", addr["orders"])
	}
	if err := exec1(t, ctx, conn["orders"], "INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	replica, err := p.GetDatabase(ctx, specs["orders"][1].ID())
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, replica.OperatorConnString()); n != 2 {
		t.Fatalf("orders' replica has %d rows after 2 synchronous commits", n)
	}
	if n := count(t, ctx, conn["carts"]); n != 0 {
		t.Fatalf("carts' database has %d of orders' rows", n)
	}

	// carts moves to another port: restarted there, its data kept
	moved := specs["carts"][0]
	moved.Port = 18083
	if err := exec1(t, ctx, conn["carts"], "INSERT INTO t VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	d, err := p.PutDatabase(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.Address, ":18083") || d.Role != "primary" {
		t.Fatalf("moved: %+v", d)
	}
	if n := count(t, ctx, d.OperatorConnString()); n != 1 {
		t.Fatalf("carts has %d rows after moving port, want 1", n)
	}
}
