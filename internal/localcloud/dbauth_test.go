package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// tcpConnString reaches a member over TCP as a role, with a password ("":
// none given).
func tcpConnString(addr, user, password string) string {
	host, port, _ := strings.Cut(addr, ":")
	s := fmt.Sprintf("host=%s port=%s user=%s dbname=postgres sslmode=disable connect_timeout=3", host, port, user)
	if password != "" {
		s += " password=" + password
	}
	return s
}

// sqlState is the SQLSTATE of a PostgreSQL error in err ("" when none).
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// connectAs connects over TCP and fails the test when it cannot.
func connectAs(t *testing.T, ctx context.Context, addr, user, password string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, tcpConnString(addr, user, password))
	if err != nil {
		t.Fatalf("connect to %s as %s: %v", addr, user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// The members let nobody in over TCP without a role's password (SCRAM),
// the superuser not at all; each role may do its job only; the password
// the deploy gave is the application role's, the first put's for every
// member, and it is kept where only the plane's user reads it, never in
// the plane's state or status.
func TestDatabaseAuthentication(t *testing.T) {
	needPostgres(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, second := contract.NewDatabasePassword(), contract.NewDatabasePassword()
	base := localapi.DatabaseSpec{Env: "auth", Service: "shop", Primary: "east", Replicas: []string{"west"}, Replication: "sync"}
	east, west := base, base
	east.Region, west.Region = "east", "west"
	east.Password, west.Password = first, second // as two regions' stacks each generate one

	primary, err := p.PutDatabase(ctx, east)
	if err != nil {
		t.Fatal(err)
	}
	replica, err := p.PutDatabase(ctx, west)
	if err != nil {
		t.Fatal(err)
	}
	if primary.Password != first || replica.Password != first {
		t.Fatalf("the put answered passwords %t %t, want the first put's for both members (east's: %t, %t)",
			primary.Password == first, replica.Password == first, primary.Password == second, replica.Password == second)
	}
	app := contract.DatabaseAppUser("shop")

	// refused over TCP: no password, a wrong one, the superuser, and the
	// replication role for anything but replication
	for _, c := range []struct {
		what, user, password, state string
	}{
		{"the application role without a password", app, "", "28P01"},
		{"the application role with a wrong password", app, second, "28P01"},
		{"the superuser without a password", superuser, "", "28000"},
		{"the superuser with the application's password", superuser, first, "28000"},
		{"the replication role, to read the database", ReplicationRole, "", "28000"},
	} {
		conn, err := pgx.Connect(ctx, tcpConnString(primary.Address, c.user, c.password))
		if err == nil {
			conn.Close(ctx)
			t.Errorf("%s: connected", c.what)
			continue
		}
		if got := sqlState(err); got != c.state {
			t.Errorf("%s: %v (SQLSTATE %q), want %s", c.what, err, got, c.state)
		}
	}
	creds, err := p.readCredentials("auth", "shop")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, tcpConnString(primary.Address, ReplicationRole, creds.Replication))
	if err == nil || sqlState(err) != "28000" {
		if conn != nil {
			conn.Close(ctx)
		}
		t.Errorf("the replication role with its password, to read the database: %v, want refused (28000)", err)
	}

	// the application role: owns what it creates, and nothing more
	svc := connectAs(t, ctx, primary.Address, app, first)
	if _, err := svc.Exec(ctx, "CREATE TABLE writes (seq bigint PRIMARY KEY); INSERT INTO writes VALUES (1), (2)"); err != nil {
		t.Fatalf("the application role creates and writes its table: %v", err)
	}
	var super, createRole, createDB, replication bool
	if err := svc.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication FROM pg_roles WHERE rolname = current_user").
		Scan(&super, &createRole, &createDB, &replication); err != nil {
		t.Fatal(err)
	}
	if super || createRole || createDB || replication {
		t.Errorf("the application role: superuser %v, createrole %v, createdb %v, replication %v; want none", super, createRole, createDB, replication)
	}
	for _, stmt := range []string{"CREATE ROLE intruder LOGIN", "CREATE DATABASE other", "ALTER ROLE " + app + " SUPERUSER", "SELECT pg_switch_wal()"} {
		if _, err := svc.Exec(ctx, stmt); sqlState(err) != "42501" {
			t.Errorf("the application role runs %q: %v, want insufficient privilege (42501)", stmt, err)
		}
	}

	// the monitoring reads statistics, not the service's rows
	dsn, err := p.monitorDSN("auth", "shop", primary.Address)
	if err != nil {
		t.Fatal(err)
	}
	mon, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("the monitoring role connects: %v", err)
	}
	defer mon.Close(ctx)
	var streaming []string
	rows, err := mon.Query(ctx, "SELECT usename || ':' || application_name FROM pg_stat_replication")
	if err == nil {
		streaming, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || !slices.Contains(streaming, ReplicationRole+":west") {
		t.Errorf("replication as the monitoring role sees it: %v %v, want west streaming as %s", streaming, err, ReplicationRole)
	}
	var n int
	if err := mon.QueryRow(ctx, "SELECT count(*) FROM writes").Scan(&n); sqlState(err) != "42501" {
		t.Errorf("the monitoring role reads the service's table: %v, want insufficient privilege (42501)", err)
	}

	// the replica streams as the replication role, its password in a
	// passfile only the server's user reads; reads work with the
	// application's password there too (the roles are replicated)
	pass := replicationPassfile(p.dbDir(west))
	if fi, err := os.Stat(pass); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the replica's passfile %s: %v %v, want mode 0600", pass, fi, err)
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && st.Uid == 0 {
		t.Errorf("the replica's passfile belongs to root, not the server's user")
	}
	waitRows(t, ctx, connectAs(t, ctx, replica.Address, app, first), 2)

	// a role whose password differs from the credentials (a cluster
	// restored from an older backup) is corrected by the next put
	if err := exec1(t, ctx, primary.OperatorConnString(), "ALTER ROLE "+app+" PASSWORD '"+second+"'"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutDatabase(ctx, localapi.DatabaseSpec{Env: "auth", Region: "east", Service: "shop", Primary: "east", Replicas: []string{"west"}, Replication: "sync"}); err != nil {
		t.Fatal(err)
	}
	connectAs(t, ctx, primary.Address, app, first)

	// where the password is, and where it is not
	credsFile := p.credentialsPath("auth", "shop")
	if fi, err := os.Stat(credsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file %s: %v %v, want mode 0600", credsFile, fi, err)
	}
	status, _ := json.Marshal(p.Status())
	state, _ := os.ReadFile(p.statePath())
	got, _ := p.GetDatabase(ctx, east.ID())
	for what, text := range map[string]string{"the status": string(status), "the plane's state": string(state), "a get": got.Password,
		"the primary's log": readFile(filepath.Join(p.dbDir(east), "postgres.log")), "the replica's log": readFile(filepath.Join(p.dbDir(west), "postgres.log"))} {
		for _, pw := range []string{first, creds.Replication, creds.Monitor} {
			if strings.Contains(text, pw) {
				t.Errorf("%s holds a password in clear", what)
			}
		}
	}
	rt, err := p.DatabaseRuntime("auth", "shop", 0, []string{"east", "west"}, "east")
	if err != nil || rt[contract.DatabaseUser] != app || rt[contract.DatabasePassword] != first {
		t.Errorf("the instances are given user %q and the deploy's password: %t (%v)", rt[contract.DatabaseUser], rt[contract.DatabasePassword] == first, err)
	}

	// with the last member, its credentials go
	for _, id := range []localapi.ServiceID{west.ID(), east.ID()} {
		if err := p.DeleteDatabase(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(credsFile); !os.IsNotExist(err) {
		t.Errorf("credentials after the last member's delete: %v", err)
	}
	if _, err := p.DatabaseRuntime("auth", "shop", 0, []string{"east"}, "east"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("the runtime of a deleted database: %v, want ErrNoCredentials", err)
	}
}

// waitRows waits until a table shows n rows (a replica replays a moment
// after it received).
func waitRows(t *testing.T, ctx context.Context, c *pgx.Conn, n int) {
	t.Helper()
	var got int
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = c.QueryRow(ctx, "SELECT count(*) FROM writes").Scan(&got); err == nil && got == n {
			return
		}
	}
	t.Fatalf("the replica shows %d rows (%v), want %d", got, err, n)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// The first password a database's member is put with stays; one that
// cannot be written as it is is refused.
func TestDatabaseCredentialsFirstPutWins(t *testing.T) {
	p := newTestPlane(t)
	first, second := contract.NewDatabasePassword(), contract.NewDatabasePassword()
	a, err := p.adoptCredentials("cred", "shop", first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.adoptCredentials("cred", "shop", second)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || b.AppPassword != first || a.AppUser != "shop_app" || a.Replication == "" || a.Monitor == "" || a.Replication == a.Monitor {
		t.Fatalf("credentials: the second put's differ from the first's (%t), or the roles' passwords are missing or shared", a != b)
	}
	other, err := p.adoptCredentials("cred", "cart", "")
	if err != nil || other.AppPassword == "" || other.AppPassword == first || other.Replication == a.Replication {
		t.Fatalf("another service's database shares a password or has none: %v", err)
	}
	_, err = p.adoptCredentials("cred", "bad", "it's a password")
	if !errors.Is(err, localapi.ErrBadRequest) || !errors.Is(err, contract.ErrInvalidString) || strings.Contains(err.Error(), "password'") {
		t.Fatalf("a password with a quote: %v, want ErrBadRequest and ErrInvalidString, the password not quoted", err)
	}
	if _, err = p.adoptCredentials("cred", "shop", "short"); !errors.Is(err, localapi.ErrBadRequest) {
		t.Fatalf("a bad password for a database with credentials: %v, want ErrBadRequest", err)
	}
	path := p.credentialsPath("cred", "shop")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v, want mode 0600", fi, err)
	}
	// a damaged file is an error, never replaced by new passwords
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.adoptCredentials("cred", "shop", second); err == nil || errors.Is(err, ErrNoCredentials) {
		t.Fatalf("credentials from a damaged file: %v, want an error other than ErrNoCredentials", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{" {
		t.Fatal("a damaged credentials file was replaced")
	}
}

// The verifier PostgreSQL stores is checked against a password without
// the server; a verifier of another password, or a damaged one, does not
// match.
func TestDatabaseSCRAMVerifier(t *testing.T) {
	v, err := scramVerifier("correcthorse0battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || !scramMatches(v, "correcthorse0battery") {
		t.Fatalf("verifier %q does not match its password", v)
	}
	w, _ := scramVerifier("correcthorse0battery")
	if w == v {
		t.Error("two verifiers of one password share a salt")
	}
	for _, bad := range []string{"", "md5abc", strings.Replace(v, "$4096:", "$4097:", 1), v[:len(v)-4] + "AAA="} {
		if scramMatches(bad, "correcthorse0battery") {
			t.Errorf("verifier %q matches", bad)
		}
	}
	if scramMatches(v, "correcthorse1battery") {
		t.Error("the verifier matches another password")
	}
}
