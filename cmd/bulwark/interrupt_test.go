package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
)

// crashEnv is a small local environment: two regions, two services of one
// instance each, with enough parameters that an up is still creating when
// it is killed.
const crashEnv = `environment "crash" {
  target = "local"
}
policy "min-capacity" {
  enforcement = "advisory"
}
policy "zone-spread" {
  enforcement = "advisory"
}
region "east" {
  primary = true
}
region "west" {}
%s`

const crashService = `service "%s" {
  mode  = "active-active"
  image = "web"
  port  = %d
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    interval = "1s"
  }
  dns { zone = "%s.crash.test" }
  parameters = {
%s  }
}
`

// webMain is the image: an HTTP server on BULWARK_LISTEN that is healthy.
const webMain = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	if err := http.ListenAndServe(os.Getenv("BULWARK_LISTEN"), nil); err != nil {
		panic(err)
	}
}
`

// crashProject writes a scratch project: Pulumi.yaml, the environment, and
// the image as its own Go module (so the control plane can build it).
func crashProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var services strings.Builder
	for i, name := range []string{"alpha", "beta"} {
		var params strings.Builder
		for p := 1; p <= 12; p++ {
			fmt.Fprintf(&params, "    P%d = \"v%d\"\n", p, p)
		}
		fmt.Fprintf(&services, crashService, name, 18600+i, name, params.String())
	}
	writeFiles(t, dir, map[string]string{
		"Pulumi.yaml":            "name: crash\nruntime: go\n",
		"environments/crash.hcl": fmt.Sprintf(crashEnv, services.String()),
		"images/web/go.mod":      "module web\n\ngo 1.22\n",
		"images/web/main.go":     webMain,
	})
	return dir
}

// builtBulwark is the repository's bin/bulwark (make test builds it, with
// the engine and the provider plugin beside it).
func builtBulwark(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin", "bulwark"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		if testing.Short() {
			t.Skip("bin/bulwark is not built")
		}
		t.Fatalf("%v (make test builds it)", err)
	}
	return bin
}

// An up killed mid-way, its whole process group at once (kill -9), is
// finished by the next up: the stale lock is cleared, nothing is created
// twice or left out of the state, a preview then shows no change, drift
// finds none, and a destroy leaves nothing in the control plane. Both with
// the local target's checkpoints at the end and with the engine's default
// of a checkpoint after every step.
func TestInterruptedUpConverges(t *testing.T) {
	bin := builtBulwark(t)
	for _, checkpoints := range []engine.Checkpoints{engine.CheckpointAtEnd, engine.CheckpointEveryStep} {
		t.Run(string(checkpoints), func(t *testing.T) {
			project := crashProject(t)
			state := t.TempDir()
			plane := localcloud.Dir(state)
			t.Cleanup(func() {
				if err := localcloud.Stop(context.Background(), plane); err != nil {
					t.Error(err)
				}
			})
			env := append(os.Environ(), "BULWARK_STATE_DIR="+state, engine.CheckpointsEnv+"="+string(checkpoints))
			bulwark := func(args ...string) (int, string) {
				t.Helper()
				return runBin(t, bin, project, env, args...)
			}

			killed := killMidway(t, bin, project, env, 30)
			t.Logf("killed after %d resources were created", killed)

			code, out := bulwark("up", "--env", "crash")
			if code != 0 {
				planeLog, _ := os.ReadFile(localcloud.LogPath(plane))
				t.Fatalf("the up after the kill exits %d:\n%s\ncontrol plane log:\n%s", code, out, planeLog)
			}
			if !strings.Contains(out, "removed the lock left by update process") {
				t.Errorf("the up after the kill did not clear the killed update's lock:\n%s", out)
			}
			code, out = bulwark("preview", "--engine", "--env", "crash") // the engine's own verdict, not a receipt's
			if code != 0 {
				t.Fatalf("preview exits %d:\n%s", code, out)
			}
			for _, row := range orchestrate.TableRows(out) {
				if !regexp.MustCompile(`\bok\s+same \d+\s`).MatchString(row) {
					t.Errorf("a preview after the converging up shows changes: %s", row)
				}
			}
			if code, out = bulwark("drift", "--env", "crash"); code != 0 {
				t.Errorf("drift after the converging up exits %d (state and control plane differ):\n%s", code, out)
			}
			if code, out = bulwark("destroy", "--env", "crash", "--yes"); code != 0 {
				t.Fatalf("destroy exits %d:\n%s", code, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := localcloud.Dial(plane).Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(st.Groups) + len(st.Balancers) + len(st.DNSServers) + len(st.DNSRecords) + len(st.Parameters) + len(st.Regions); n != 0 {
				t.Errorf("after destroy the control plane still holds %d objects (orphans of the killed up): groups %v, balancers %v, dns %v %v, parameters %v, regions %v",
					n, st.Groups, st.Balancers, st.DNSServers, st.DNSRecords, st.Parameters, st.Regions)
			}
		})
	}
}

// killMidway starts `bulwark up` in its own process group and, once it has
// created at least after resources, kills the whole group with SIGKILL, as
// a power loss or an OOM kill would; it waits until no process of the group
// is left and returns how many creates it saw.
func killMidway(t *testing.T, bin, project string, env []string, after int) int {
	t.Helper()
	cmd := exec.Command(bin, "up", "--env", "crash")
	cmd.Dir, cmd.Env = project, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	killGroup := func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
	timer := time.AfterFunc(3*time.Minute, killGroup) // bounds the test if up hangs
	defer timer.Stop()
	created := 0
	var log strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		fmt.Fprintln(&log, lines.Text())
		if strings.Contains(lines.Text(), "+  create") {
			created++
		}
		if created >= after {
			killGroup()
			break
		}
	}
	_ = cmd.Wait()
	if created < after {
		t.Fatalf("up ended after %d creates, before it could be killed at %d:\n%s", created, after, log.String())
	}
	// the engine dies with the group, and its provider plugins (the engine
	// starts them in groups of their own) once they see it gone; the
	// control plane, which runs on in its own session, is the cloud and stays
	deadline := time.Now().Add(10 * time.Second)
	for {
		plugins := pluginsOf(env)
		if syscall.Kill(-pgid, 0) != nil && len(plugins) == 0 {
			return created
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the killed up are left: its group %d, provider plugins %v", pgid, plugins)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pluginsOf lists the provider plugin processes that run with env's state
// directory (not the control plane, which the plugin binary also serves).
func pluginsOf(env []string) []int {
	var state string
	for _, e := range env {
		if strings.HasPrefix(e, "BULWARK_STATE_DIR=") {
			state = e
		}
	}
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if err != nil || !strings.HasSuffix(args[0], engine.ProviderName) || slices.Contains(args, localprovider.ControlPlaneArg) {
			continue
		}
		environ, err := os.ReadFile(filepath.Join(proc, "environ"))
		if err == nil && slices.Contains(strings.Split(string(environ), "\x00"), state) {
			pid, _ := strconv.Atoi(filepath.Base(proc))
			pids = append(pids, pid)
		}
	}
	return pids
}
