package localcloud

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/jackc/pgx/v5"

	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

// restorableBackup returns the backup plan of a member's database and the
// vault to restore it from: the first vault outside the member's region
// (that region may be the one that was lost) holding a backup, else the
// member's own region's. vault is "" when there is none.
func (p *Plane) restorableBackup(ctx context.Context, spec localapi.DatabaseSpec) (localapi.BackupSpec, string) {
	b, err := lookup(p, p.backups, "backup", localapi.BackupID{Env: spec.Env, Service: spec.Service})
	if err != nil {
		return localapi.BackupSpec{}, ""
	}
	st := b.status(ctx)
	others := slices.DeleteFunc(slices.Clone(st.Vaults), func(v string) bool { return v == spec.Region })
	for _, v := range append(others, spec.Region) {
		if st.HasBackupIn(v) {
			return st.BackupSpec, v
		}
	}
	return st.BackupSpec, ""
}

// restoreInto restores the newest backup of plan from vault's repository
// into data (which must not exist), with the WAL archived since: the
// server recovers to the end of the archive and is promoted. archiveOff
// keeps the restored server from archiving into the plan's vaults (a
// scratch copy must not).
func (p *Plane) restoreInto(ctx context.Context, plan localapi.BackupSpec, vault, data string, cred *syscall.Credential, archiveOff bool) error {
	repo := slices.Index(plan.Vaults, vault) + 1
	if repo == 0 {
		return fmt.Errorf("restore %s: %s is not one of its vaults %v", plan.ID(), vault, plan.Vaults)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	if err := pgbin.Chown(cred, data); err != nil {
		return err
	}
	args := []string{"restore", "--repo=" + strconv.Itoa(repo), "--pg1-path=" + data, "--type=default"}
	if archiveOff {
		args = append(args, "--archive-mode=off")
	}
	if err := p.pgbackrest(ctx, plan, args...); err != nil {
		return fmt.Errorf("restore %s from %s's vault: %w", plan.ID(), vault, err)
	}
	return nil
}

type copyRunner struct {
	managed
	localapi.RestoreCopy
	dir string
}

// restoreCopyAddress is a region's scratch copy of a database, on
// 127.0.R.3 at the database's port.
func restoreCopyAddress(r localapi.Region, port int) string {
	return net.JoinHostPort(fmt.Sprintf("127.0.%d.3", r.Index), strconv.Itoa(databasePort(port)))
}

// PutRestoreCopy restores a service's newest backup from the vault in
// region (the copy runs there too) and waits until the copy has recovered
// to the end of the archived WAL. An earlier copy of the same service in
// that region is replaced.
func (p *Plane) PutRestoreCopy(ctx context.Context, spec localapi.RestoreCopySpec) (localapi.RestoreCopy, error) {
	env, service, region, id := spec.Env, spec.Service, spec.Region, spec.ID()
	_ = p.DeleteRestoreCopy(ctx, id)
	b, err := lookup(p, p.backups, "backup", localapi.BackupID{Env: env, Service: service})
	if err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	st := b.status(ctx)
	if !slices.Contains(st.Vaults, region) || !st.HasBackupIn(region) {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w in %s's vault (vaults %v)", id, localapi.ErrNoBackup, region, st.Vaults)
	}
	reg, err := p.allocateRegion(localapi.RegionSpec{Env: env, Name: region})
	if err != nil {
		return localapi.RestoreCopy{}, err
	}
	bin, err := pgbin.Dir()
	if err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w: %w", id, localapi.ErrMissingProgram, err)
	}
	cred, err := pgbin.Credential()
	if err != nil {
		return localapi.RestoreCopy{}, err
	}
	dir := filepath.Join(p.dbRoot(), env, service, region+".restore-copy")
	p.removeDBDir(dir)
	started := false
	defer func() {
		if !started { // a copy that never ran leaves nothing behind
			p.removeDBDir(dir)
		}
	}()
	if err := p.mkdirTraversable(dir); err != nil {
		return localapi.RestoreCopy{}, err
	}
	if err := pgbin.Chown(cred, dir); err != nil {
		return localapi.RestoreCopy{}, err
	}
	data := filepath.Join(dir, "data")
	if err := p.restoreInto(ctx, st.BackupSpec, region, data, cred, true); err != nil {
		return localapi.RestoreCopy{}, err
	}
	// the copy lets in whom a member does (its backup holds a member's
	// files, which a cluster of an older control plane may not)
	creds, err := p.readCredentials(env, service)
	if err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	if err := writeAccessFiles(data, cred, creds.AppUser); err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	addr := restoreCopyAddress(reg, p.specOf(env, st.Primary, service).Port)
	host, port, _ := net.SplitHostPort(addr)
	settings := fmt.Sprintf("# A scratch copy restored by bulwark's local control plane.\nlisten_addresses = '%s'\nport = %s\nunix_socket_directories = '%s'\n"+
		accessSettings+walSettings+"archive_mode = off\nsynchronous_standby_names = ''\nlog_min_messages = warning\n", host, port, dir)
	conf := filepath.Join(data, "bulwark.conf")
	if err := os.WriteFile(conf, []byte(settings), 0o600); err != nil {
		return localapi.RestoreCopy{}, err
	}
	if err := pgbin.Chown(cred, conf); err != nil {
		return localapi.RestoreCopy{}, err
	}
	if err := portFree(host, port); err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	proc, err := spawn(cmd, filepath.Join(dir, "postgres.log"), p.placement(env, region))
	if err != nil {
		return localapi.RestoreCopy{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	started = true // from here DeleteRestoreCopy cleans up
	proc.term = syscall.SIGINT
	c := &copyRunner{RestoreCopy: localapi.RestoreCopy{RestoreCopySpec: spec, Vault: region, Address: addr, PID: proc.PID, Socket: dir}, dir: dir}
	c.proc = proc
	p.mu.Lock()
	p.copies[id] = c
	p.mu.Unlock()
	p.setPID("restore-copy/"+id.String(), proc.PID)
	err = waitFor(ctx, "restore copy "+id.String(), func() (bool, error) {
		if !proc.running() {
			return false, fmt.Errorf("restore copy %s: postgres exited: %s", id, logTail(filepath.Join(dir, "postgres.log"), 12))
		}
		recovering := true
		_ = withConn(ctx, dir, addr, 2*time.Second, func(ctx context.Context, c *pgx.Conn) error {
			return c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering)
		})
		return !recovering, nil
	})
	if err != nil {
		_ = p.DeleteRestoreCopy(ctx, id)
		return localapi.RestoreCopy{}, err
	}
	c.Ready = time.Now()
	return c.RestoreCopy, nil
}

// GetRestoreCopy returns a restore copy.
func (p *Plane) GetRestoreCopy(_ context.Context, id localapi.ServiceID) (localapi.RestoreCopy, error) {
	c, err := lookup(p, p.copies, "restore copy", id)
	if err != nil {
		return localapi.RestoreCopy{}, err
	}
	return c.RestoreCopy, nil
}

// DeleteRestoreCopy stops a restore copy and removes its data.
func (p *Plane) DeleteRestoreCopy(_ context.Context, id localapi.ServiceID) error {
	p.mu.Lock()
	c, ok := p.copies[id]
	delete(p.copies, id)
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("restore copy %s: %w", id, localapi.ErrNotFound)
	}
	c.stop(10 * time.Second)
	p.setPID("restore-copy/"+id.String(), 0)
	p.removeDBDir(c.dir)
	return nil
}

// stopStrayCopies stops restore copies a previous control plane left
// running (they are scratch: never restarted) and removes their data.
func (p *Plane) stopStrayCopies() {
	p.mu.Lock()
	stray := map[string]int{}
	for name, pid := range p.state.PIDs {
		if id, ok := strings.CutPrefix(name, "restore-copy/"); ok && pid != 0 {
			stray[id] = pid
		}
	}
	p.mu.Unlock()
	for id, pid := range stray {
		var m managed
		m.adoptRecordedPID(pid, "postgres", syscall.SIGINT)
		m.stop(10 * time.Second)
		p.setPID("restore-copy/"+id, 0)
		if parts := strings.SplitN(id, "/", 3); len(parts) == 3 {
			p.removeDBDir(filepath.Join(p.dbRoot(), parts[0], parts[2], parts[1]+".restore-copy"))
		}
	}
}

// logTail is the last n lines of a log, for an error about a process that
// exited (its folder may be removed right after).
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
