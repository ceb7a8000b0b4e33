package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/envlock"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/teamstate"
	"github.com/bulwark-dev/bulwark/internal/teamstate/miniotest"
)

// Two operators, two state directories, one environment whose state is in
// a bucket of a real MinIO: while the first's `up` runs, the second's is
// refused naming it (pid and host) and deploys nothing; the first is
// killed mid-way with SIGKILL, its whole process group and its machine's
// local cloud with it, leaving the engine's stack locks in the bucket;
// the second, waiting (BULWARK_LOCK_WAIT), takes the environment over,
// clears those locks and converges: a preview then shows no change, and
// destroy succeeds.
func TestTeamStateTwoOperators(t *testing.T) {
	bin := builtBulwark(t)
	srv := miniotest.Start(t)
	srv.Setenv(t) // for this process's reads of the bucket
	url := srv.Bucket(t, "team")
	bucket, err := teamstate.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	project := crashProject(t)
	hcl := filepath.Join(project, "environments", "crash.hcl")
	src, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	withState := strings.Replace(string(src), `target = "local"`, fmt.Sprintf("target = \"local\"\n  state  = %q", url), 1)
	if err := os.WriteFile(hcl, []byte(withState), 0o644); err != nil {
		t.Fatal(err)
	}
	operator := func() (state string, env []string) {
		state = t.TempDir()
		t.Cleanup(func() {
			if err := localcloud.Stop(context.Background(), localcloud.Dir(state)); err != nil {
				t.Error(err)
			}
		})
		env = append(append(os.Environ(), srv.Env()...), "BULWARK_STATE_DIR="+state, envlock.LeaseEnv+"=3s", "BULWARK_LOCK_WAIT=")
		return state, env
	}
	stateA, envA := operator()
	_, envB := operator()
	bulwark := func(env []string, args ...string) (int, string) {
		t.Helper()
		return runBin(t, bin, project, env, args...)
	}

	// operator A's up, in a process group of its own
	a := exec.Command(bin, "up", "--env", "crash")
	a.Dir, a.Env = project, envA
	a.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := a.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.Stderr = a.Stdout
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := a.Process.Pid
	killA := func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
	defer killA()
	timer := time.AfterFunc(3*time.Minute, killA) // bounds the test if up hangs
	defer timer.Stop()
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var logA strings.Builder
	leaseHolder := func() int {
		body, _, err := bucket.Get(context.Background(), envlock.LeaseKey("crash"))
		var rec struct {
			PID      int  `json:"pid"`
			Released bool `json:"released"`
		}
		if err != nil || json.Unmarshal(body, &rec) != nil || rec.Released {
			return 0
		}
		return rec.PID
	}
	for i := 0; leaseHolder() != a.Process.Pid; i++ { // up to 60 s: its plan comes first
		if i == 600 {
			t.Fatalf("operator A never held the environment's lease:\n%s", logA.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// operator B meanwhile: refused, naming A, deploying nothing
	host, _ := os.Hostname()
	start := time.Now()
	code, out := bulwark(envB, "up", "--env", "crash")
	want := fmt.Sprintf("environment crash is held by `bulwark up` (pid %d on %s, since ", a.Process.Pid, host)
	if code != exitFailed || !strings.Contains(out, want) || !strings.Contains(out, "lease s3://team/.bulwark/locks/crash.json") || strings.Contains(out, "create") {
		t.Fatalf("operator B's up while A's runs: exit %d, want 1 and %q:\n%s", code, want, out)
	}
	t.Logf("operator B refused in %s", time.Since(start).Round(time.Millisecond))

	// A killed once its stacks are being created
	created := 0
	for line := range lines {
		fmt.Fprintln(&logA, line)
		if strings.Contains(line, "+  create") {
			created++
		}
		if created >= 10 {
			break
		}
	}
	if created < 10 {
		_ = a.Wait()
		t.Fatalf("operator A's up ended after %d creates, before it could be killed:\n%s", created, logA.String())
	}
	killA()
	_ = a.Wait()
	for i := 0; syscall.Kill(-pgid, 0) == nil || len(pluginsOf(envA)) > 0; i++ { // up to 10 s
		if i == 100 {
			t.Fatalf("processes of the killed up are left: its group %d, provider plugins %v", pgid, pluginsOf(envA))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// ... and its machine with it: its local cloud stops too
	if err := localcloud.Stop(context.Background(), localcloud.Dir(stateA)); err != nil {
		t.Fatal(err)
	}
	locks, err := bucket.List(context.Background(), ".pulumi/locks/")
	if err != nil || len(locks) == 0 {
		t.Fatalf("the killed up left no stack lock in the bucket (%v): the test kills it too late", err)
	}
	t.Logf("killed after %d creates, leaving %d stack locks", created, len(locks))

	// B, waiting, takes over and converges
	start = time.Now()
	code, out = bulwark(append(envB, "BULWARK_LOCK_WAIT=1m"), "up", "--env", "crash")
	if code != 0 {
		t.Fatalf("operator B's up after A was killed exits %d:\n%s", code, out)
	}
	t.Logf("operator B's up took %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out, fmt.Sprintf("took environment crash over from `bulwark up` (pid %d on %s", a.Process.Pid, host)) ||
		!strings.Contains(out, "removed the lock left by update process") {
		t.Errorf("operator B's up did not say it took over and cleared A's locks:\n%s", out)
	}
	if left, _ := bucket.List(context.Background(), ".pulumi/locks/"); len(left) != 0 {
		t.Errorf("stack locks left after B's up: %q", left)
	}
	code, out = bulwark(envB, "preview", "--env", "crash")
	if code != 0 {
		t.Fatalf("preview exits %d:\n%s", code, out)
	}
	rows := orchestrate.TableRows(out)
	if len(rows) == 0 {
		t.Errorf("preview shows no stacks:\n%s", out)
	}
	for _, row := range rows {
		if !regexp.MustCompile(`\bok\s+same \d+\s`).MatchString(row) {
			t.Errorf("a preview after the converging up shows changes: %s", row)
		}
	}
	if code, out = bulwark(envB, "destroy", "--env", "crash", "--yes"); code != 0 {
		t.Fatalf("destroy exits %d:\n%s", code, out)
	}
	if pid := leaseHolder(); pid != 0 {
		t.Errorf("the lease is still held (pid %d) after B's operations", pid)
	}
}

// An s3 state URL the engine would refuse or misread is refused before
// anything runs, exit 2, with the reason.
func TestTeamStateURLRefused(t *testing.T) {
	t.Setenv("BULWARK_STATE_DIR", t.TempDir())
	project := crashProject(t)
	hcl := filepath.Join(project, "environments", "crash.hcl")
	src, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	for url, reason := range map[string]string{
		"s3://team?endpoint=http://127.0.0.1:9&use_path_style=true": "unknown parameter use_path_style",
		"s3://team?endpoint=http://127.0.0.1:9&region=us-east-1":    "add s3ForcePathStyle=true",
	} {
		withState := strings.Replace(string(src), `target = "local"`, fmt.Sprintf("target = \"local\"\n  state  = %q", url), 1)
		if err := os.WriteFile(hcl, []byte(withState), 0o644); err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		if err := os.Chdir(project); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		code := run(context.Background(), []string{"preview", "--env", "crash"}, &out, &errOut)
		_ = os.Chdir(wd)
		if code != exitBadInput || !strings.Contains(errOut.String(), reason) {
			t.Errorf("state %s: exit %d, want 2 saying %q:\n%s%s", url, code, reason, out.String(), errOut.String())
		}
	}
}
