package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/pgtest"
)

func TestPostgresStore(t *testing.T) {
	srv := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg, err := OpenPostgres(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	// pgtest.Start returns once the server listens, which may be before
	// it takes connections ("the database system is starting up", 57P03)
	for err := pg.Ping(ctx); err != nil; err = pg.Ping(ctx) {
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if seqs, err := pg.Seqs(ctx, 0, 10); err != nil || len(seqs) != 0 {
		t.Fatalf("before any write (no table yet): %v, %v", seqs, err)
	}
	for _, s := range []int64{3, 1, 2, 2} {
		if err := pg.Write(ctx, s, "east/i-1"); err != nil {
			t.Fatalf("write %d: %v", s, err)
		}
	}
	seqs, err := pg.Seqs(ctx, 2, 3)
	if err != nil || len(seqs) != 2 || seqs[0] != 2 || seqs[1] != 3 {
		t.Fatalf("seqs = %v, %v", seqs, err)
	}
	// a read-only server (what a standby is) refuses writes with ErrReadOnly
	if _, err := pg.pool.Exec(ctx, `ALTER SYSTEM SET default_transaction_read_only = on`); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.pool.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		t.Fatal(err)
	}
	pg.pool.Reset() // new connections pick up the setting
	if err := pg.Write(ctx, 4, "east/i-1"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write to a read-only server: %v, want ErrReadOnly", err)
	}
}

func TestWithCredentialsKeepsHostsAndQuery(t *testing.T) {
	for _, c := range []struct{ url, user, password, want string }{
		{"postgres://127.0.1.2:5432,127.0.2.2:5432/postgres?target_session_attrs=read-write", "postgres", "",
			"postgres://postgres@127.0.1.2:5432,127.0.2.2:5432/postgres?target_session_attrs=read-write"},
		{"postgres://db.global-abc.global.rds.amazonaws.com:5432/shop?sslmode=require", "bulwark", "p@ss/w:rd",
			"postgres://bulwark:p%40ss%2Fw%3Ard@db.global-abc.global.rds.amazonaws.com:5432/shop?sslmode=require"},
		{"postgres://h:1/db", "", "", "postgres://h:1/db"},
	} {
		if got := WithCredentials(c.url, c.user, c.password); got != c.want {
			t.Errorf("WithCredentials(%s) = %s, want %s", c.url, got, c.want)
		}
	}
}
