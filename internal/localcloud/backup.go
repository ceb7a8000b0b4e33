package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

type backupRunner struct {
	p    *Plane
	mu   sync.Mutex
	spec localapi.BackupSpec
	err  error
	quit chan struct{}
	done chan struct{}
	run  sync.Mutex // one pgbackrest backup at a time
	// source is the region whose member the configuration points at: the
	// member that runs as the primary, which moves with a failover
	source string
	// lastOK is when the newest backup into every vault finished (read
	// from the vaults once, then kept); failures counts backups into a
	// vault that failed, for the monitoring
	lastOK   time.Time
	seeded   bool
	failures int
	// segmentBytes is the cluster's WAL segment size, read once (initdb
	// fixes it)
	segmentBytes int64
}

// outcomes returns when the newest backup into every vault finished and
// how many failed, for the monitoring; the first call reads the newest
// finished backup from the vaults (a restarted plane knows none yet).
func (b *backupRunner) outcomes() (lastOK time.Time, failures int, spec localapi.BackupSpec) {
	b.mu.Lock()
	seeded := b.seeded
	b.seeded = true
	b.mu.Unlock()
	if !seeded {
		st := b.status(context.Background())
		b.mu.Lock()
		for _, bk := range st.Backups {
			if bk.Stop.After(b.lastOK) {
				b.lastOK = bk.Stop
			}
		}
		b.mu.Unlock()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastOK, b.failures, b.spec
}

// backupSource is the member a plan backs up: the one running as the
// primary, or the planned primary's when none runs.
func (p *Plane) backupSource(ctx context.Context, spec localapi.BackupSpec) *dbRunner {
	if d := p.runningPrimary(ctx, spec.Env, spec.Service, ""); d != nil {
		return d
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.databases[localapi.ServiceID{Env: spec.Env, Region: spec.Primary, Service: spec.Service}]
}

// stanza is a plan's pgBackRest stanza: env-service.
func stanza(spec localapi.BackupSpec) string { return spec.Env + "-" + spec.Service }

// archiveCommand pushes a WAL segment into the plan's vaults. The server
// runs it in its data folder, which is given as pg1-path: the setting is
// copied to replicas with the data, and a promoted replica archives its
// own WAL, not the former primary's.
func archiveCommand(config, stanza string) string {
	return fmt.Sprintf(`pgbackrest --config=%s --stanza=%s --pg1-path="$(pwd)" archive-push %%p`, config, stanza)
}

// pointBackupAt writes the plan's configuration for db and archives db's
// WAL into the vaults (stanza-create first when create).
func (p *Plane) pointBackupAt(ctx context.Context, spec localapi.BackupSpec, db *dbRunner, create bool) error {
	if err := p.writeBackupConfig(spec, db); err != nil {
		return err
	}
	if create {
		if err := p.pgbackrest(ctx, spec, "stanza-create"); err != nil {
			return err
		}
	}
	if err := db.alterSystem(ctx, "archive_command", archiveCommand(p.backupConfig(spec), stanza(spec))); err != nil {
		return err
	}
	// a WAL segment fills slowly under a light load: switch to a new one at
	// least every ArchiveTimeout, so that what was written reaches the
	// vaults within it (the bound of what a restore loses)
	return db.alterSystem(ctx, "archive_timeout", ArchiveTimeout.String())
}

// ArchiveTimeout is the most WAL a database with a backup plan keeps
// before it is archived into the vaults (PostgreSQL's archive_timeout).
const ArchiveTimeout = 30 * time.Second

func (p *Plane) vaultDir(env, region string) string {
	return filepath.Join(p.dbRoot(), "vaults", env, region)
}

func (p *Plane) backupConfig(spec localapi.BackupSpec) string {
	return filepath.Join(p.dbRoot(), "pgbackrest", stanza(spec)+".conf")
}

// PutBackup writes the plan's configuration, creates the stanza, archives
// the primary's WAL into the vaults, takes a first full backup (waiting for
// it) and schedules the next ones.
func (p *Plane) PutBackup(ctx context.Context, spec localapi.BackupSpec) (localapi.Backup, error) {
	if spec.Every < time.Minute || spec.Keep < spec.Every || len(spec.Vaults) == 0 {
		return localapi.Backup{}, fmt.Errorf("backup %s: need every >= 1m, keep >= every and at least one vault", spec.ID())
	}
	if _, err := exec.LookPath("pgbackrest"); err != nil {
		return localapi.Backup{}, fmt.Errorf("backup %s: pgbackrest: %w (apt-get install pgbackrest)", spec.ID(), localapi.ErrMissingProgram)
	}
	db := p.backupSource(ctx, spec)
	if db == nil {
		return localapi.Backup{}, fmt.Errorf("backup %s: no database %s/%s/%s to back up: %w", spec.ID(), spec.Env, spec.Primary, spec.Service, localapi.ErrNotFound)
	}
	if err := p.pointBackupAt(ctx, spec, db, true); err != nil {
		return localapi.Backup{}, fmt.Errorf("backup %s: %w", spec.ID(), err)
	}
	b, exists, err := register(p, p.backups, p.state.Backups, spec.ID(), spec, func() *backupRunner {
		return &backupRunner{p: p, quit: make(chan struct{}), done: make(chan struct{})}
	})
	if err != nil {
		return localapi.Backup{}, err
	}
	b.mu.Lock()
	b.spec, b.source = spec, db.region.Name
	b.mu.Unlock()
	if !exists {
		if err := b.backup(ctx, "full"); err != nil {
			return b.status(ctx), err
		}
		go b.schedule()
	}
	return b.status(ctx), nil
}

func (p *Plane) writeBackupConfig(spec localapi.BackupSpec, db *dbRunner) error {
	cred, err := pgbin.Credential()
	if err != nil {
		return err
	}
	conf := p.backupConfig(spec)
	work := filepath.Join(filepath.Dir(conf), stanza(spec))
	if err := p.mkdirTraversable(work); err != nil {
		return err
	}
	if err := pgbin.Chown(cred, work); err != nil {
		return err
	}
	keepDays := int((spec.Keep + 24*time.Hour - 1) / (24 * time.Hour))
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by bulwark's local control plane for %s. Do not edit.\n[global]\n", spec.ID())
	for i, region := range spec.Vaults {
		vault := p.vaultDir(spec.Env, region)
		if err := p.mkdirTraversable(vault); err != nil {
			return err
		}
		if err := pgbin.Chown(cred, vault); err != nil {
			return err
		}
		fmt.Fprintf(&b, "repo%d-path=%s\nrepo%d-retention-full-type=time\nrepo%d-retention-full=%d\n", i+1, vault, i+1, i+1, max(keepDays, 1))
	}
	fmt.Fprintf(&b, "start-fast=y\nlog-level-console=warn\nlog-level-file=off\nlock-path=%s\nspool-path=%s\n", work, work)
	member := db.currentSpec()
	_, port, _ := net.SplitHostPort(dbAddress(db.region, member.Port))
	fmt.Fprintf(&b, "\n[%s]\npg1-path=%s\npg1-port=%s\npg1-socket-path=%s\npg1-user=postgres\n",
		stanza(spec), filepath.Join(p.dbDir(member), "data"), port, p.dbDir(member))
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return pgbin.Chown(cred, conf)
}

// pgbackrest runs one pgBackRest command for the plan, as the database's owner.
func (p *Plane) pgbackrest(ctx context.Context, spec localapi.BackupSpec, args ...string) error {
	_, err := p.pgbackrestOutput(ctx, spec, args...)
	return err
}

func (p *Plane) pgbackrestOutput(ctx context.Context, spec localapi.BackupSpec, args ...string) ([]byte, error) {
	cred, err := pgbin.Credential()
	if err != nil {
		return nil, err
	}
	full := append([]string{"--config=" + p.backupConfig(spec), "--stanza=" + stanza(spec)}, args...)
	cmd := exec.CommandContext(ctx, "pgbackrest", full...)
	cmd.Dir = filepath.Dir(p.backupConfig(spec))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("pgbackrest %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// alterSystem sets a server parameter in postgresql.auto.conf and reloads.
func (d *dbRunner) alterSystem(ctx context.Context, name, value string) error {
	quoted := "'" + strings.ReplaceAll(value, "'", "''") + "'"
	return d.system(ctx, "ALTER SYSTEM SET "+pgx.Identifier{name}.Sanitize()+" = "+quoted)
}

// resetSystem removes a parameter from postgresql.auto.conf and reloads.
func (d *dbRunner) resetSystem(ctx context.Context, name string) error {
	return d.system(ctx, "ALTER SYSTEM RESET "+pgx.Identifier{name}.Sanitize())
}

// system runs one ALTER SYSTEM statement on the member and reloads its configuration.
func (d *dbRunner) system(ctx context.Context, stmt string) error {
	if err := d.exec(ctx, stmt); err != nil {
		return err
	}
	return d.reload(ctx)
}

// backup takes one backup of the given type into every vault.
func (b *backupRunner) backup(ctx context.Context, kind string) error {
	b.run.Lock()
	defer b.run.Unlock()
	b.mu.Lock()
	spec, source := b.spec, b.source
	b.mu.Unlock()
	if db := b.p.backupSource(ctx, spec); db != nil && db.region.Name != source {
		// the primary moved (a failover): back up and archive the new one
		if err := b.p.pointBackupAt(ctx, spec, db, false); err != nil {
			return fmt.Errorf("backup %s: follow the primary to %s: %w", spec.ID(), db.region.Name, err)
		}
		b.mu.Lock()
		b.source = db.region.Name
		b.mu.Unlock()
		b.p.log.Printf("backup %s: now backs up %s, the member running as the primary", spec.ID(), db.region.Name)
	}
	var err error
	failed := 0
	for i := range spec.Vaults {
		if e := b.p.pgbackrest(ctx, spec, "backup", "--type="+kind, fmt.Sprintf("--repo=%d", i+1)); e != nil {
			failed++
			if err == nil {
				err = e
			}
		}
	}
	b.mu.Lock()
	b.err = err
	b.failures += failed
	if err == nil {
		b.lastOK = time.Now()
	}
	b.mu.Unlock()
	if err != nil {
		b.p.log.Printf("backup %s: %v", spec.ID(), err)
		return fmt.Errorf("backup %s: %w", spec.ID(), err)
	}
	b.p.log.Printf("backup %s: %s backup taken into %v", spec.ID(), kind, spec.Vaults)
	return nil
}

// schedule takes a differential backup every interval (a full one when the
// last full backup is older than the retention allows).
func (b *backupRunner) schedule() {
	defer close(b.done)
	for {
		b.mu.Lock()
		every := b.spec.Every
		b.mu.Unlock()
		select {
		case <-b.quit:
			return
		case <-time.After(every):
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		_ = b.backup(ctx, "diff")
		cancel()
	}
}

func (b *backupRunner) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	select {
	case <-b.done:
	case <-time.After(time.Minute):
	}
}

func (b *backupRunner) status(ctx context.Context) localapi.Backup {
	b.mu.Lock()
	st := localapi.Backup{BackupSpec: b.spec}
	if b.err != nil {
		st.LastError = b.err.Error()
	}
	spec := b.spec
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	segmentBytes := b.walSegmentBytes(spec)
	for i, region := range spec.Vaults {
		out, err := b.p.pgbackrestOutput(ctx, spec, "info", "--output=json", fmt.Sprintf("--repo=%d", i+1))
		if err != nil {
			continue
		}
		backups, wal, err := readVaultInfo(out, region, segmentBytes)
		if err != nil {
			b.p.log.Printf("backup %s: %s's vault: %v", spec.ID(), region, err)
		}
		st.Backups = append(st.Backups, backups...)
		if wal != nil {
			if err := b.p.readTimelines(spec, region, wal); err != nil {
				b.p.log.Printf("backup %s: %s's vault: %v", spec.ID(), region, err)
			}
			st.WAL = append(st.WAL, *wal)
		}
	}
	return st
}

// vaultInfo is what is read of `pgbackrest info --output=json` for one
// stanza and repository: its backups, and the WAL its archive holds.
type vaultInfo []struct {
	Archive []struct {
		Database struct {
			ID int `json:"id"`
		} `json:"database"`
		ID  string `json:"id"`
		Max string `json:"max"`
	} `json:"archive"`
	Backup []struct {
		Archive struct {
			Start string `json:"start"`
			Stop  string `json:"stop"`
		} `json:"archive"`
		Database struct {
			ID int `json:"id"`
		} `json:"database"`
		Label     string `json:"label"`
		Type      string `json:"type"`
		Timestamp struct {
			Start int64 `json:"start"`
			Stop  int64 `json:"stop"`
		} `json:"timestamp"`
	} `json:"backup"`
}

// readVaultInfo reads one vault's `pgbackrest info --output=json`: the
// backups it holds, and the WAL archived past the newest of them (nil when
// the vault holds no backup, its archive holds no WAL of the newest
// backup's cluster, or the segment size is not known). A WAL name it
// cannot read is an error, with the backups still returned.
func readVaultInfo(out []byte, vault string, segmentBytes int64) ([]localapi.BackupInfo, *localapi.VaultWAL, error) {
	var info vaultInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, nil, fmt.Errorf("pgbackrest info: %w", err)
	}
	var backups []localapi.BackupInfo
	var wal *localapi.VaultWAL
	for _, s := range info {
		newest := -1
		for i, bk := range s.Backup {
			backups = append(backups, localapi.BackupInfo{Vault: vault, Label: bk.Label, Type: bk.Type,
				Start: time.Unix(bk.Timestamp.Start, 0), Stop: time.Unix(bk.Timestamp.Stop, 0),
				WALStart: bk.Archive.Start, WALStop: bk.Archive.Stop})
			if newest < 0 || bk.Timestamp.Stop >= s.Backup[newest].Timestamp.Stop {
				newest = i
			}
		}
		if newest < 0 || segmentBytes <= 0 {
			continue
		}
		bk := s.Backup[newest]
		for _, a := range s.Archive {
			if a.Database.ID != bk.Database.ID || a.Max == "" {
				continue
			}
			n, err := segmentsAfter(bk.Archive.Stop, a.Max, segmentBytes)
			if err != nil {
				return backups, nil, fmt.Errorf("WAL archived after backup %s: %w", bk.Label, err)
			}
			wal = &localapi.VaultWAL{Vault: vault, NewestBackup: bk.Label, NewestStop: bk.Archive.Stop, ArchivedMax: a.Max,
				SegmentsSince: n, SegmentBytes: segmentBytes, ArchiveID: a.ID}
		}
	}
	return backups, wal, nil
}

// segmentsAfter counts the WAL segments after segment from up to and
// including segment to, by their position in the WAL: the log and segment
// numbers of their names (TTTTTTTTLLLLLLLLSSSSSSSS), a log holding 4 GiB of
// WAL (256 segments of 16 MB). The timelines are ignored: a promotion
// starts a new one where the old one ended, and a restore follows it. Zero
// when to is not past from.
func segmentsAfter(from, to string, segmentBytes int64) (int, error) {
	a, err := walPosition(from, segmentBytes)
	if err != nil {
		return 0, err
	}
	b, err := walPosition(to, segmentBytes)
	if err != nil {
		return 0, err
	}
	return int(max(0, b-a)), nil
}

// walLogBytes is how much WAL one log id spans (its "log" number's step).
const walLogBytes = 1 << 32

// walPosition is a segment's number since the start of the WAL.
func walPosition(name string, segmentBytes int64) (int64, error) {
	if segmentBytes <= 0 || walLogBytes%segmentBytes != 0 {
		return 0, fmt.Errorf("WAL segment size %d: not a divisor of 4 GiB", segmentBytes)
	}
	if len(name) != 24 {
		return 0, fmt.Errorf("WAL segment name %q: not 24 hexadecimal digits", name)
	}
	log, err1 := strconv.ParseUint(name[8:16], 16, 32)
	seg, err2 := strconv.ParseUint(name[16:24], 16, 32)
	if _, err3 := strconv.ParseUint(name[:8], 16, 32); err1 != nil || err2 != nil || err3 != nil {
		return 0, fmt.Errorf("WAL segment name %q: not 24 hexadecimal digits", name)
	}
	perLog := walLogBytes / segmentBytes
	if int64(seg) >= perLog {
		return 0, fmt.Errorf("WAL segment name %q: segment %d past the %d of a log with %d-byte segments", name, seg, perLog, segmentBytes)
	}
	return int64(log)*perLog + int64(seg), nil
}

// readTimelines lists the vault's archive of wal's archive id and sets
// what a recovery from its newest backup does about timelines
// (wal.Timelines stays nil when the archive cannot be listed or read).
func (p *Plane) readTimelines(spec localapi.BackupSpec, vault string, wal *localapi.VaultWAL) error {
	if wal.ArchiveID == "" || strings.ContainsAny(wal.ArchiveID, `/\`) || strings.HasPrefix(wal.ArchiveID, ".") {
		return fmt.Errorf("timelines: archive id %q: not one to list", wal.ArchiveID)
	}
	names, err := listArchive(filepath.Join(p.vaultDir(spec.Env, vault), "archive", stanza(spec), wal.ArchiveID))
	if err != nil {
		return fmt.Errorf("timelines: %w", err)
	}
	tl, err := archiveTimelines(names, wal.NewestStop)
	if err != nil {
		return fmt.Errorf("timelines: %w", err)
	}
	wal.Timelines = tl
	return nil
}

// listArchive names what a pgBackRest archive folder (one archive id's)
// holds: its files (the timelines' history files, TTTTTTTT.history), and
// the files in its TTTTTTTTLLLLLLLL folders as folder/file (the segments,
// TTTTTTTTLLLLLLLLSSSSSSSS-<sha1>[.gz]).
func listArchive(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
			continue
		}
		if !isHex(e.Name(), 16) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			names = append(names, e.Name()+"/"+f.Name())
		}
	}
	return names, nil
}

// archiveTimelines reads an archive's listing (listArchive) for a recovery
// from the backup whose WAL ended in segment backupStop: the timelines
// after the backup's whose history files the archive holds, and the
// restore_command calls for history files that costs (VaultTimelines). A
// name it does not know is skipped; a backup segment name it cannot read
// is an error.
func archiveTimelines(names []string, backupStop string) (*localapi.VaultTimelines, error) {
	if !isHex(backupStop, 24) {
		return nil, fmt.Errorf("WAL segment name %q: not 24 hexadecimal digits", backupStop)
	}
	backup := hexTimeline(backupStop)
	histories := map[int]bool{}
	tl := &localapi.VaultTimelines{Backup: backup, Segments: map[string]int{}}
	for _, name := range names {
		if id, ok := strings.CutSuffix(name, ".history"); ok && isHex(id, 8) {
			histories[hexTimeline(id)] = true
			tl.Histories++
			continue
		}
		folder, file, ok := strings.Cut(name, "/")
		// a segment: TTTTTTTTLLLLLLLLSSSSSSSS-<sha1>, compressed or not (a
		// partial segment or a backup's history file has a dot after the 24
		// digits)
		if !ok || !isHex(folder, 16) || len(file) < 25 || !isHex(file[:24], 24) || file[24] != '-' || file[:16] != folder {
			continue
		}
		tl.Segments[file[:8]]++
	}
	tl.Newest = backup
	for histories[tl.Newest+1] {
		tl.Newest++
	}
	// findNewestTimeLine fetches the histories of backup+1 to newest (and
	// newest+1, missing), restoreTimeLineHistoryFiles those of backup to
	// newest-1 but timeline 1's; a recovery on one timeline makes the
	// missing probe and nothing else of these
	after := tl.Newest - backup
	tl.HistoryCalls = 2 * after
	if backup == 1 && after > 0 {
		tl.HistoryCalls--
	}
	return tl, nil
}

// isHex reports whether s is n upper-case hexadecimal digits (as WAL file
// names are).
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// hexTimeline is the timeline of a WAL file name's first 8 hexadecimal
// digits (checked by isHex).
func hexTimeline(name string) int {
	n, _ := strconv.ParseUint(name[:8], 16, 32)
	return int(n)
}

// TimeRestoreProbe runs once, as the database's owner and through the
// shell as PostgreSQL runs its restore_command, the pgBackRest call a
// recovery from vault makes for name, a WAL file name the vault must not
// hold (a timeline's history file, TTTTTTTT.history, or a segment), with
// the configuration of the plane in planeDir; it returns how long the
// call took. A call that finds the file, or fails otherwise than by not
// finding it (pgBackRest's exit code 1), is an error. It is the
// calibration's measure of a restore_command call that fetches no
// segment: it runs beside the plane, not through it.
func TimeRestoreProbe(ctx context.Context, planeDir string, plan localapi.BackupSpec, vault, name string) (time.Duration, error) {
	id, ok := strings.CutSuffix(name, ".history")
	if !(ok && isHex(id, 8)) && !isHex(name, 24) {
		return 0, fmt.Errorf("restore probe: %q is not a WAL file name", name)
	}
	repo := slices.Index(plan.Vaults, vault) + 1
	if repo == 0 {
		return 0, fmt.Errorf("restore probe: %s is not one of the vaults %v of %s", vault, plan.Vaults, plan.ID())
	}
	cred, err := pgbin.Credential()
	if err != nil {
		return 0, err
	}
	p := &Plane{dir: planeDir}
	conf := p.backupConfig(plan)
	work := filepath.Join(filepath.Dir(conf), stanza(plan)) // the database owner's, as the configuration's lock and spool path
	dest := filepath.Join(work, "probe-"+name)
	restore := fmt.Sprintf(`pgbackrest --config=%s --stanza=%s --repo=%d archive-get %s "%s"`, conf, stanza(plan), repo, name, dest)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", restore)
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return took, nil
	case err == nil:
		_ = os.Remove(dest)
		return 0, fmt.Errorf("restore probe: %s's vault holds %s: not a call that finds nothing", vault, name)
	default:
		return 0, fmt.Errorf("restore probe %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
}

// walSegmentBytes is the size of the plan's cluster's WAL segments (read
// once from a member's control file; 0 when none can be read).
func (b *backupRunner) walSegmentBytes(spec localapi.BackupSpec) int64 {
	b.mu.Lock()
	known := b.segmentBytes
	b.mu.Unlock()
	if known > 0 {
		return known
	}
	n, err := b.p.walSegmentBytes(spec.Env, spec.Service)
	if err != nil {
		b.p.log.Printf("backup %s: %v", spec.ID(), err)
		return 0
	}
	b.mu.Lock()
	b.segmentBytes = n
	b.mu.Unlock()
	return n
}

// walSegmentBytes reads a service database's WAL segment size from the
// control file of a member that has data (pg_controldata: it needs no
// running server).
func (p *Plane) walSegmentBytes(env, service string) (int64, error) {
	bin, err := pgbin.Dir()
	if err != nil {
		return 0, err
	}
	cred, err := pgbin.Credential()
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	var members []localapi.DatabaseSpec
	for _, spec := range p.state.Databases {
		if spec.Env == env && spec.Service == service {
			members = append(members, spec)
		}
	}
	p.mu.Unlock()
	errs := []error{fmt.Errorf("WAL segment size of %s/%s: no member with data", env, service)}
	for _, spec := range members {
		if !p.hasData(spec) {
			continue
		}
		cmd := exec.Command(filepath.Join(bin, "pg_controldata"), "-D", filepath.Join(p.dbDir(spec), "data"))
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.Output()
		if err == nil {
			var n int64
			if n, err = controlDataSegmentBytes(string(out)); err == nil {
				return n, nil
			}
		}
		errs = append(errs, fmt.Errorf("pg_controldata of %s: %w", spec.ID(), err))
	}
	return 0, errors.Join(errs...)
}

// controlDataSegmentBytes reads "Bytes per WAL segment" from
// pg_controldata's output.
func controlDataSegmentBytes(out string) (int64, error) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Bytes per WAL segment:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bytes per WAL segment %q: not a size", strings.TrimSpace(v))
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no \"Bytes per WAL segment\" in pg_controldata's output")
}

// GetBackup returns a plan and the backups its vaults hold.
func (p *Plane) GetBackup(ctx context.Context, id localapi.BackupID) (localapi.Backup, error) {
	b, err := lookup(p, p.backups, "backup", id)
	if err != nil {
		return localapi.Backup{}, err
	}
	return b.status(ctx), nil
}

// RunBackup takes a backup now (kind full, diff or incr).
func (p *Plane) RunBackup(ctx context.Context, id localapi.BackupID, kind string) (localapi.Backup, error) {
	b, err := lookup(p, p.backups, "backup", id)
	if err != nil {
		return localapi.Backup{}, err
	}
	if kind != "full" && kind != "diff" && kind != "incr" {
		return localapi.Backup{}, fmt.Errorf("backup %s: type must be full, diff or incr", id)
	}
	err = b.backup(ctx, kind)
	return b.status(ctx), err
}

// DeleteBackup stops the schedule, stops archiving, and removes the vaults'
// backups of this plan.
func (p *Plane) DeleteBackup(ctx context.Context, id localapi.BackupID) error {
	p.mu.Lock()
	b, ok := p.backups[id]
	spec := p.state.Backups[id]
	delete(p.backups, id)
	delete(p.state.Backups, id)
	err := p.save()
	p.mu.Unlock()
	if !ok {
		return err
	}
	b.stop()
	db := p.backupSource(ctx, spec)
	if db != nil && db.running() {
		_ = db.alterSystem(ctx, "archive_command", "/bin/true")
		_ = db.resetSystem(ctx, "archive_timeout")
	}
	_ = p.pgbackrest(ctx, spec, "stop")
	_ = p.pgbackrest(ctx, spec, "stanza-delete", "--force")
	for _, region := range spec.Vaults {
		p.removeDBDir(filepath.Join(p.vaultDir(spec.Env, region), "backup", stanza(spec)))
		p.removeDBDir(filepath.Join(p.vaultDir(spec.Env, region), "archive", stanza(spec)))
	}
	_ = os.Remove(p.backupConfig(spec))
	p.removeDBDir(filepath.Join(filepath.Dir(p.backupConfig(spec)), stanza(spec)))
	return err
}
