package localcloud

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func exec1(t *testing.T, ctx context.Context, addr, sql string, args ...any) error {
	t.Helper()
	conn, err := pgx.Connect(ctx, connString(addr, ""))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

func count(t *testing.T, ctx context.Context, addr string) int {
	t.Helper()
	conn, err := pgx.Connect(ctx, connString(addr, ""))
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

func TestReplicatedDatabase(t *testing.T) {
	needPostgres(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := DatabaseSpec{Env: "db", Service: "shop", Primary: "east", Replicas: []string{"west"}, Replication: "sync"}
	primarySpec, replicaSpec := base, base
	primarySpec.Region, replicaSpec.Region = "east", "west"
	primarySpec.DeletionProtection = true

	// the replica waits for the primary, as concurrent regional stacks do
	replicaDone := make(chan error, 1)
	var replica Database
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
	if err := exec1(t, ctx, primary.Address, "CREATE TABLE t (n int)"); err != nil {
		t.Fatal(err)
	}
	// synchronous: an acknowledged commit is already on the replica
	for i := 0; i < 20; i++ {
		if err := exec1(t, ctx, primary.Address, "INSERT INTO t VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, ctx, replica.Address); n != 20 {
		t.Fatalf("replica has %d rows right after 20 synchronous commits", n)
	}
	// the instances' URL names every member and picks the writable one
	url, err := p.DatabaseURL("db", "shop", []string{"east", "west"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (100)"); err != nil {
		t.Fatalf("write through the multi-host URL: %v", err)
	}
	conn.Close(ctx)

	// without its synchronous replica the primary does not acknowledge commits
	p.mu.Lock()
	rr := p.databases[replicaSpec.ID()]
	p.mu.Unlock()
	rr.stop(10 * time.Second)
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	err = exec1(t, short, primary.Address, "INSERT INTO t VALUES (999)")
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
	if err := exec1(t, ctx, promoted.Address, "INSERT INTO t VALUES (200)"); err != nil {
		t.Fatalf("write to the promoted replica: %v", err)
	}

	// deletion protection
	if err := p.DeleteDatabase(ctx, primarySpec.ID()); !errors.Is(err, ErrProtected) {
		t.Fatalf("delete a protected database: %v", err)
	}
	for _, id := range []string{replicaSpec.ID()} {
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

func TestBackupsIntoAnotherRegionsVault(t *testing.T) {
	needPostgres(t)
	if _, err := exec.LookPath("pgbackrest"); err != nil {
		t.Fatal("pgbackrest not installed (make test installs it)")
	}
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := DatabaseSpec{Env: "bk", Region: "east", Service: "shop", Primary: "east", Replication: "async"}
	db, err := p.PutDatabase(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := exec1(t, ctx, db.Address, "CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 100)"); err != nil {
		t.Fatal(err)
	}
	plan := BackupSpec{Env: "bk", Service: "shop", Primary: "east", Vaults: []string{"west"}, Every: time.Hour, Keep: 24 * time.Hour}
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
	conn, err := pgx.Connect(ctx, connString(db.Address, ""))
	if err != nil {
		t.Fatal(err)
	}
	var archive string
	_ = conn.QueryRow(ctx, "SHOW archive_command").Scan(&archive)
	conn.Close(ctx)
	if !strings.Contains(archive, "pgbackrest") || !strings.Contains(archive, "archive-push") {
		t.Fatalf("archive_command = %q", archive)
	}
	if err := exec1(t, ctx, db.Address, "INSERT INTO t SELECT generate_series(101, 200)"); err != nil {
		t.Fatal(err)
	}
	b, err = p.RunBackup(ctx, plan.ID(), "diff")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Backups) != 2 || b.Backups[1].Type != "diff" || b.Backups[1].Stop.Before(b.Backups[0].Stop) {
		t.Fatalf("after a differential backup: %+v", b.Backups)
	}
	if err := p.DeleteBackup(ctx, plan.ID()); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, connString(db.Address, ""))
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
