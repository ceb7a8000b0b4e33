package localcloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/bulwark-dev/bulwark/internal/contract"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

// DatabasePort is the port of a member whose spec names none (a control
// plane state from before databases took their service's port). A member
// listens on its region's 127.0.R.2 at its service's port, so one region
// holds a database per service (5432 stays free for a stock Debian cluster).
const DatabasePort = 15432

// databasePort is the port a member with the given spec port listens on.
func databasePort(port int) int {
	if port == 0 {
		return DatabasePort
	}
	return port
}

type dbRunner struct {
	p       *Plane
	region  localapi.Region
	managed // mu guards proc and spec, held briefly: status never waits for an apply

	applying sync.Mutex // one apply (initdb, clone, restore, start) at a time
	spec     localapi.DatabaseSpec
}

// dbRoot holds the plane's databases. Running as root, the server runs as
// the postgres user, who cannot enter root's private state directory, so the
// databases live under /var/lib/bulwark/<id of this state directory>, as
// Debian keeps its clusters under /var/lib/postgresql.
func (p *Plane) dbRoot() string {
	if os.Geteuid() != 0 {
		return filepath.Join(p.dir, "databases")
	}
	sum := sha256.Sum256([]byte(p.dir))
	return filepath.Join(SystemDataDir, hex.EncodeToString(sum[:6]))
}

// DataRoot is where the control plane of planeDir keeps its databases,
// vaults and abandoned data (the state directory itself unless running as
// root).
func DataRoot(planeDir string) string { return (&Plane{dir: planeDir}).dbRoot() }

// SystemDataDir holds databases when bulwark runs as root.
var SystemDataDir = "/var/lib/bulwark"

func (p *Plane) dbDir(spec localapi.DatabaseSpec) string {
	return filepath.Join(p.dbRoot(), spec.Env, spec.Service, spec.Region)
}

// mkdirTraversable creates dir and its parents up to the database root,
// enterable by the postgres user.
func (p *Plane) mkdirTraversable(dir string) error {
	root := p.dbRoot()
	if strings.HasPrefix(root, SystemDataDir+string(filepath.Separator)) {
		// the system folder every plane of the machine shares: root's
		// alone, checked before use
		if err := ownFolder(SystemDataDir, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
		if d == root || d == filepath.Dir(d) {
			break
		}
	}
	return nil
}

// removeDBDir removes a member's folder and the parents it leaves empty.
func (p *Plane) removeDBDir(dir string) {
	_ = os.RemoveAll(dir)
	root := filepath.Dir(p.dbRoot())
	for d := filepath.Dir(dir); d != root && d != filepath.Dir(d); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
}

// dbAddress is where a member in region r listening at port answers.
func dbAddress(r localapi.Region, port int) string {
	return net.JoinHostPort(fmt.Sprintf("127.0.%d.2", r.Index), strconv.Itoa(databasePort(port)))
}

// DatabaseRuntime is the runtime contract's database part for a service's
// instances in region own: the writer URL names every member, the first
// writable one chosen (libpq's target_session_attrs), so a promoted
// replica takes the writes after a failover without a redeploy; the reader
// URL is own's member (the first region's when own holds none); the
// credentials are apart from both, as on every target: the application
// role and the password the deploy generated, from the file the plane
// keeps them in (an error wrapping ErrNoCredentials before the database
// has a member).
func (p *Plane) DatabaseRuntime(env, service string, port int, regions []string, own string) (map[string]string, error) {
	creds, err := p.readCredentials(env, service)
	if err != nil {
		return nil, err
	}
	var hosts []string
	reader := ""
	for _, r := range regions {
		reg, err := p.allocateRegion(localapi.RegionSpec{Env: env, Name: r})
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, dbAddress(reg, port))
		if r == own || reader == "" {
			reader = dbAddress(reg, port)
		}
	}
	q := url.Values{"sslmode": {"disable"}, "target_session_attrs": {"read-write"}, "connect_timeout": {"2"}}
	rq := url.Values{"sslmode": {"disable"}, "connect_timeout": {"2"}}
	return map[string]string{
		contract.DatabaseEngine:    contract.EnginePostgres,
		contract.DatabaseWriterURL: "postgres://" + strings.Join(hosts, ",") + "/postgres?" + q.Encode(),
		contract.DatabaseReaderURL: "postgres://" + reader + "/postgres?" + rq.Encode(),
		contract.DatabaseUser:      creds.AppUser,
		contract.DatabasePassword:  creds.AppPassword,
	}, nil
}

// PutDatabase creates (initdb, or pg_basebackup from the primary), updates
// (replication settings, reloaded) or restarts a member, and waits for it;
// on the member running as the primary it ensures the database's roles
// and their passwords. The database's credentials are the first a member
// of it was put with (spec.Password; generated when none was given): the
// answer carries the application role's password in effect, and the
// plane's state never holds it.
func (p *Plane) PutDatabase(ctx context.Context, spec localapi.DatabaseSpec) (localapi.Database, error) {
	if spec.Replication != "sync" && spec.Replication != "async" {
		return localapi.Database{}, fmt.Errorf("database %s: replication must be sync or async", spec.ID())
	}
	creds, err := p.adoptCredentials(spec.Env, spec.Service, spec.Password)
	if err != nil {
		return localapi.Database{}, err
	}
	spec.Password = "" // kept in the credentials file only
	bin, err := pgbin.Dir()
	if err != nil {
		return localapi.Database{}, fmt.Errorf("database %s: %w: %w", spec.ID(), localapi.ErrMissingProgram, err)
	}
	region, err := p.allocateRegion(localapi.RegionSpec{Env: spec.Env, Name: spec.Region})
	if err != nil {
		return localapi.Database{}, err
	}
	d, _, err := register(p, p.databases, p.state.Databases, spec.ID(), spec, func() *dbRunner {
		return &dbRunner{p: p, region: region, spec: spec}
	})
	if err != nil {
		return localapi.Database{}, err
	}
	if !d.running() && p.hasData(spec) && !p.standby(spec) {
		if other := p.livePrimary(ctx, spec); other != "" {
			return d.status(ctx), fmt.Errorf("database %s: %w (%s/%s/%s runs as the primary): restarting it would split the data; rebuild region %s to rejoin it as a replica",
				spec.ID(), localapi.ErrSplitBrain, spec.Env, other, spec.Service, spec.Region)
		}
		if other := p.newerPrimary(spec); other != "" {
			return d.status(ctx), fmt.Errorf("database %s: %w (%s/%s/%s was promoted after it, timeline %d over %d): restarting it would split the data; rebuild region %s to rejoin it as a replica",
				spec.ID(), localapi.ErrSplitBrain, spec.Env, other, spec.Service, p.timeline(p.specOf(spec.Env, other, spec.Service)), p.timeline(spec), spec.Region)
		}
	}
	restored, err := d.apply(ctx, bin, spec)
	if err != nil {
		return d.status(ctx), err
	}
	err = waitFor(ctx, "database "+spec.ID().String(), func() (bool, error) {
		if !d.running() {
			return false, fmt.Errorf("database %s: postgres exited; see %s", spec.ID(), filepath.Join(p.dbDir(spec), "postgres.log"))
		}
		if restored { // a restore is usable once its recovery ends
			return d.status(ctx).Role == "primary", nil
		}
		return d.ping(ctx) == nil, nil
	})
	if err != nil {
		return d.status(ctx), err
	}
	st := d.status(ctx)
	if st.Role == "primary" {
		err = d.withConn(ctx, 10*time.Second, func(ctx context.Context, c *pgx.Conn) error {
			return ensureRoles(ctx, c, spec.Env, spec.Service, creds)
		})
		if err != nil {
			return st, fmt.Errorf("database %s: %w", spec.ID(), err)
		}
	}
	st.Password = creds.AppPassword
	return st, nil
}

// hasData reports whether a member's data folder has been initialised.
func (p *Plane) hasData(spec localapi.DatabaseSpec) bool {
	_, err := os.Stat(filepath.Join(p.dbDir(spec), "data", "PG_VERSION"))
	return err == nil
}

// standby reports whether a member's data is a standby's: pg_basebackup -R
// wrote standby.signal and promotion removes it. This is the member's role
// on disk, whatever its spec planned: after a failover a member planned as
// a replica is the primary, and a rebuilt member planned as the primary
// follows the promoted one until a switchover.
func (p *Plane) standby(spec localapi.DatabaseSpec) bool {
	_, err := os.Stat(filepath.Join(p.dbDir(spec), "data", "standby.signal"))
	return err == nil
}

// timeline is the timeline a member's data is on: the highest numbered
// history file in pg_wal (a promotion writes one), else 1.
func (p *Plane) timeline(spec localapi.DatabaseSpec) int {
	tl := 1
	files, _ := filepath.Glob(filepath.Join(p.dbDir(spec), "data", "pg_wal", "*.history"))
	for _, f := range files {
		if n, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(f), ".history"), 16, 32); err == nil && int(n) > tl {
			tl = int(n)
		}
	}
	return tl
}

// specOf is the spec of env/region/service's member (zero when none).
func (p *Plane) specOf(env, region, service string) localapi.DatabaseSpec {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.Databases[localapi.ServiceID{Env: env, Region: region, Service: service}]
}

// newerPrimary names the region of another member of the same database
// whose data is a primary's on a later timeline ("" when none): it was
// promoted after this one last ran as the primary, running or not (a
// control plane restarting everything must not bring the old one back).
func (p *Plane) newerPrimary(spec localapi.DatabaseSpec) string {
	p.mu.Lock()
	var others []localapi.DatabaseSpec
	for _, o := range p.state.Databases {
		if o.Env == spec.Env && o.Service == spec.Service && o.Region != spec.Region {
			others = append(others, o)
		}
	}
	p.mu.Unlock()
	mine := p.timeline(spec)
	for _, o := range others {
		if p.hasData(o) && !p.standby(o) && p.timeline(o) > mine {
			return o.Region
		}
	}
	return ""
}

// livePrimary names the region of another member of the same database that
// runs as the primary now ("" when none does).
func (p *Plane) livePrimary(ctx context.Context, spec localapi.DatabaseSpec) string {
	if d := p.runningPrimary(ctx, spec.Env, spec.Service, spec.Region); d != nil {
		return d.region.Name
	}
	return ""
}

// runningPrimary is the member of a service's database that runs as the
// primary now, other than the one in region except (nil when none does).
func (p *Plane) runningPrimary(ctx context.Context, env, service, except string) *dbRunner {
	for _, d := range p.members(env, service) {
		if d.region.Name != except && d.status(ctx).Role == "primary" {
			return d
		}
	}
	return nil
}

// members are the runners of one service's database, every region.
func (p *Plane) members(env, service string) []*dbRunner {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*dbRunner
	for id, spec := range p.state.Databases {
		if d, ok := p.databases[id]; ok && spec.Env == env && spec.Service == service {
			out = append(out, d)
		}
	}
	return out
}

// currentSpec is the member's spec, read under its lock.
func (d *dbRunner) currentSpec() localapi.DatabaseSpec {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.spec
}

func (d *dbRunner) running() bool {
	_, running := d.pid()
	return running
}

// withConn connects to the server at addr (host:port) as the superuser,
// through its unix socket in folder socket (the plane's own way in: peer
// authentication, no password), for at most timeout, and runs fn.
func withConn(ctx context.Context, socket, addr string, timeout time.Duration, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, localapi.OperatorConnString(socket, addr))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return fn(ctx, conn)
}

// withConn runs fn on a connection to the member.
func (d *dbRunner) withConn(ctx context.Context, timeout time.Duration, fn func(context.Context, *pgx.Conn) error) error {
	spec := d.currentSpec()
	return withConn(ctx, d.p.dbDir(spec), dbAddress(d.region, spec.Port), timeout, fn)
}

// exec runs one statement on the member.
func (d *dbRunner) exec(ctx context.Context, stmt string, args ...any) error {
	return d.withConn(ctx, 10*time.Second, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, stmt, args...)
		return err
	})
}

// query runs one single-row query on the member.
func (d *dbRunner) query(ctx context.Context, q string, args []any, dest ...any) error {
	return d.withConn(ctx, 3*time.Second, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, q, args...).Scan(dest...)
	})
}

func (d *dbRunner) ping(ctx context.Context) error {
	return d.withConn(ctx, 2*time.Second, func(ctx context.Context, c *pgx.Conn) error { return c.Ping(ctx) })
}

// apply initialises the member if it has no data, writes its settings, and
// starts it or reloads it. A member without data becomes a replica of the
// member that runs as the primary now, wherever that is (after a failover,
// a rebuilt region's member follows the promoted one); a member planned as
// the primary with no running primary to follow is restored from the
// newest backup in another region's vault when its backup plan has one
// (restored reports it), and initialised empty otherwise.
func (d *dbRunner) apply(ctx context.Context, bin string, spec localapi.DatabaseSpec) (restored bool, err error) {
	d.applying.Lock()
	defer d.applying.Unlock()
	name := "database/" + spec.ID().String()
	d.mu.Lock()
	moved := databasePort(d.spec.Port) != databasePort(spec.Port)
	d.spec = spec
	d.adoptRecorded(d.p, name, "postgres", syscall.SIGINT)
	d.mu.Unlock()
	dir := d.p.dbDir(spec)
	data := filepath.Join(dir, "data")
	cred, err := pgbin.Credential()
	if err != nil {
		return false, err
	}
	creds, err := d.p.adoptCredentials(spec.Env, spec.Service, "")
	if err != nil {
		return false, err
	}
	if !d.p.hasData(spec) {
		if err := d.p.mkdirTraversable(dir); err != nil {
			return false, err
		}
		if err := pgbin.Chown(cred, dir); err != nil {
			return false, err
		}
		if err := writeReplicationPassfile(dir, cred, creds); err != nil {
			return false, fmt.Errorf("database %s: %w", spec.ID(), err)
		}
		_ = os.RemoveAll(data) // a half-made one of an interrupted create
		upstream := d.p.livePrimary(ctx, spec)
		if upstream == "" && !spec.IsPrimary() {
			upstream = spec.Primary // waits for it
		}
		if upstream != "" {
			err = d.cloneReplica(ctx, bin, data, cred, spec, upstream, creds)
		} else if plan, vault := d.p.restorableBackup(ctx, spec); vault != "" {
			d.p.log.Printf("database %s: no member runs as the primary; restoring the newest backup from %s's vault", spec.ID(), vault)
			err = d.p.restoreInto(ctx, plan, vault, data, cred, false)
			restored = err == nil
		} else {
			err = d.initPrimary(ctx, bin, data, cred)
		}
		if err != nil {
			return false, fmt.Errorf("database %s: %w", spec.ID(), err)
		}
	}
	if err := d.writeSettings(ctx, data, cred, spec, creds); err != nil {
		return restored, err
	}
	if d.running() {
		if !moved {
			return restored, d.reload(ctx)
		}
		d.stop(30 * time.Second) // a new port takes a restart
	}
	host, port, _ := net.SplitHostPort(dbAddress(d.region, spec.Port))
	if err := portFree(host, port); err != nil {
		return restored, fmt.Errorf("database %s: %w", spec.ID(), err)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	proc, err := spawn(cmd, filepath.Join(dir, "postgres.log"), d.p.placement(spec.Env, spec.Region))
	if err != nil {
		return restored, fmt.Errorf("database %s: %w", spec.ID(), err)
	}
	proc.term = syscall.SIGINT // fast shutdown: do not wait for clients
	d.mu.Lock()
	d.proc = proc
	d.mu.Unlock()
	d.p.setPID(name, proc.PID)
	return restored, nil
}

func runAs(cred *syscall.Credential, dir string, name string, args ...string) error {
	_, err := runAsOutput(cred, dir, name, args...)
	return err
}

// runAsOutput runs a program as the database's owner and returns its output.
func runAsOutput(cred *syscall.Credential, dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", filepath.Base(name), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// initPrimary creates an empty cluster whose superuser has no password
// (the roles that connect over TCP are made once it runs: ensureRoles);
// writeSettings replaces initdb's pg_hba.conf before the server starts.
func (d *dbRunner) initPrimary(ctx context.Context, bin, data string, cred *syscall.Credential) error {
	return runAs(cred, filepath.Dir(data), filepath.Join(bin, "initdb"), "-D", data, "-U", superuser,
		"--auth-local=peer", "--auth-host=reject", "-E", "UTF8", "--no-instructions")
}

// cloneReplica waits for the upstream region's member (the primary) and
// the replication role on it (ensuring the database's roles there, as the
// primary's own put does: whichever comes first), creates this member's
// replication slot there, and copies it with pg_basebackup as the
// replication role, its password read from the member's passfile.
func (d *dbRunner) cloneReplica(ctx context.Context, bin, data string, cred *syscall.Credential, spec localapi.DatabaseSpec, upstream string, creds dbCredentials) error {
	primaryID := localapi.ServiceID{Env: spec.Env, Region: upstream, Service: spec.Service}.String()
	primary, err := d.p.regionOf(localapi.RegionID{Env: spec.Env, Region: upstream})
	if err != nil {
		primary, err = d.p.allocateRegion(localapi.RegionSpec{Env: spec.Env, Name: upstream})
		if err != nil {
			return err
		}
	}
	addr := dbAddress(primary, spec.Port)
	socket := d.p.dbDir(localapi.DatabaseSpec{Env: spec.Env, Region: upstream, Service: spec.Service})
	var conn *pgx.Conn
	var rolesErr error // the primary answers but its roles cannot be made: say why
	err = waitFor(ctx, "primary "+primaryID+" for replica "+spec.ID().String(), func() (bool, error) {
		c, err := pgx.Connect(ctx, localapi.OperatorConnString(socket, addr))
		if err != nil {
			return false, nil
		}
		if rolesErr = ensureRoles(ctx, c, spec.Env, spec.Service, creds); rolesErr != nil {
			c.Close(ctx)
			return false, nil
		}
		conn = c
		return true, nil
	})
	if err != nil && rolesErr != nil {
		return fmt.Errorf("%w (on %s: %w)", err, primaryID, rolesErr)
	}
	if err != nil {
		return fmt.Errorf("%w (deploy region %s, which holds the primary)", err, upstream)
	}
	defer conn.Close(ctx)
	slot := slotName(spec.Region)
	if _, err := conn.Exec(ctx, `SELECT pg_create_physical_replication_slot($1)
		WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, slot); err != nil {
		return fmt.Errorf("replication slot %s on %s: %w", slot, primaryID, err)
	}
	conninfo := replicationConnInfo(addr, filepath.Dir(data), spec.Region)
	if err := runAs(cred, filepath.Dir(data), filepath.Join(bin, "pg_basebackup"), "-d", conninfo, "-D", data, "-X", "stream", "-S", slot, "-R", "--no-sync"); err != nil {
		return err
	}
	return nil
}

// replicationConnInfo is how the member whose folder is dir reaches its
// upstream at addr, for pg_basebackup and as primary_conninfo: the
// replication role, its password in the member's passfile.
func replicationConnInfo(addr, dir, application string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("host=%s port=%s user=%s passfile=%s application_name=%s",
		host, port, ReplicationRole, replicationPassfile(dir), application)
}

func slotName(region string) string { return "bulwark_" + strings.ReplaceAll(region, "-", "_") }

// writeSettings writes bulwark.conf, included by postgresql.conf, for the
// member's role on disk: a standby streams from the member that runs as
// the primary now (its spec's primary when none runs), as the replication
// role. It also writes who may connect (pg_hba.conf, pg_ident.conf) and
// the replication role's passfile.
func (d *dbRunner) writeSettings(ctx context.Context, data string, cred *syscall.Credential, spec localapi.DatabaseSpec, creds dbCredentials) error {
	if err := writeAccessFiles(data, cred, creds.AppUser); err != nil {
		return fmt.Errorf("database %s: %w", spec.ID(), err)
	}
	if err := writeReplicationPassfile(filepath.Dir(data), cred, creds); err != nil {
		return fmt.Errorf("database %s: %w", spec.ID(), err)
	}
	host, port, _ := net.SplitHostPort(dbAddress(d.region, spec.Port))
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by bulwark's local control plane for %s. Do not edit.\n", spec.ID())
	fmt.Fprintf(&b, "listen_addresses = '%s'\nport = %s\nunix_socket_directories = '%s'\n", host, port, filepath.Dir(data))
	b.WriteString(accessSettings)
	b.WriteString(walSettings + "wal_keep_size = '64MB'\n")
	b.WriteString("fsync = on\nsynchronous_commit = on\nlog_min_messages = warning\n")
	// archiving is always on (changing archive_mode needs a restart); a backup
	// plan points archive_command at pgBackRest (ALTER SYSTEM, reloaded)
	b.WriteString("archive_mode = on\narchive_command = '/bin/true'\n")
	// a restore from backup is only as recent as the newest archived WAL:
	// switch segments at least this often while there are writes
	b.WriteString("archive_timeout = '15s'\n")
	standby := d.p.standby(spec)
	// only the member planned as the primary, running as one, waits for a
	// synchronous replica; a promoted replica runs asynchronously until a
	// rebuilt region's member joins it (the runbook turns that on)
	if spec.IsPrimary() && !standby && spec.Replication == "sync" && len(spec.Replicas) > 0 {
		fmt.Fprintf(&b, "synchronous_standby_names = 'ANY 1 (%s)'\n", strings.Join(quoteIdents(spec.Replicas), ", "))
	} else {
		b.WriteString("synchronous_standby_names = ''\n")
	}
	if standby {
		upstream := d.p.livePrimary(ctx, spec)
		if upstream == "" {
			upstream = spec.Primary
		}
		primary, err := d.p.regionOf(localapi.RegionID{Env: spec.Env, Region: upstream})
		if err == nil {
			conninfo := replicationConnInfo(dbAddress(primary, spec.Port), filepath.Dir(data), spec.Region)
			fmt.Fprintf(&b, "primary_conninfo = '%s'\nprimary_slot_name = '%s'\n", conninfo, slotName(spec.Region))
		}
		// pg_basebackup -R (and older control planes) wrote a
		// primary_conninfo into postgresql.auto.conf, which is read last:
		// this file's is the one in effect
		if err := dropAutoSetting(data, cred, "primary_conninfo"); err != nil {
			return fmt.Errorf("database %s: %w", spec.ID(), err)
		}
	}
	path := filepath.Join(data, "bulwark.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := pgbin.Chown(cred, path); err != nil {
		return err
	}
	conf := filepath.Join(data, "postgresql.conf")
	cur, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	if !strings.Contains(string(cur), "include 'bulwark.conf'") {
		f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString("\ninclude 'bulwark.conf'\n")
		f.Close()
		return err
	}
	return nil
}

// walSettings are every member's, and a restore's: a server replaying WAL
// needs settings at least as high as the server that wrote it.
const walSettings = "wal_level = replica\nmax_wal_senders = 16\nmax_replication_slots = 16\nhot_standby = on\n"

func quoteIdents(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return out
}

func (d *dbRunner) reload(ctx context.Context) error {
	if err := d.exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("database %s: reload: %w", d.currentSpec().ID(), err)
	}
	return nil
}

func (d *dbRunner) status(ctx context.Context) localapi.Database {
	pid, running := d.pid()
	d.mu.Lock()
	st := localapi.Database{DatabaseSpec: d.spec, Address: dbAddress(d.region, d.spec.Port), Running: running, PID: pid, Socket: d.p.dbDir(d.spec)}
	d.mu.Unlock()
	if st.Running {
		st.Role = "unknown"
		_ = d.withConn(ctx, 2*time.Second, func(ctx context.Context, c *pgx.Conn) error {
			var recovering bool
			if c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering) == nil {
				st.Role = map[bool]string{true: "replica", false: "primary"}[recovering]
			}
			if rows, err := c.Query(ctx, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1"); err == nil {
				st.Streaming, _ = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			return nil
		})
	}
	return st
}

// GetDatabase returns a member's status.
func (p *Plane) GetDatabase(ctx context.Context, id localapi.ServiceID) (localapi.Database, error) {
	d, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return localapi.Database{}, err
	}
	return d.status(ctx), nil
}

// PromoteDatabase makes a replica the primary (the runbook step of a region
// or primary loss).
func (p *Plane) PromoteDatabase(ctx context.Context, id localapi.ServiceID) (localapi.Database, error) {
	d, err := lookup(p, p.databases, "database", id)
	if err != nil {
		return localapi.Database{}, err
	}
	var done bool
	err = d.withConn(ctx, 30*time.Second, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_promote(true, 30)").Scan(&done)
	})
	if err != nil || !done {
		return d.status(ctx), fmt.Errorf("promote %s: %v (promoted: %v)", id, err, done)
	}
	return d.status(ctx), nil
}

// DeleteDatabase stops a member and removes its data, unless protected.
func (p *Plane) DeleteDatabase(ctx context.Context, id localapi.ServiceID) error {
	p.mu.Lock()
	spec, ok := p.state.Databases[id]
	if ok && spec.DeletionProtection {
		p.mu.Unlock()
		return fmt.Errorf("database %s: %w; set deletion_protection = false and run up first", id, localapi.ErrProtected)
	}
	d := p.databases[id]
	delete(p.databases, id)
	delete(p.state.Databases, id)
	err := p.save()
	p.mu.Unlock()
	if d != nil {
		d.stop(10 * time.Second)
		p.setPID("database/"+id.String(), 0)
	}
	if ok {
		p.removeDBDir(p.dbDir(spec))
		p.dropSlotOn(ctx, spec.Env, spec.Service, spec.Region)
		p.forgetCredentials(spec.Env, spec.Service) // with its last member
	}
	return err
}
