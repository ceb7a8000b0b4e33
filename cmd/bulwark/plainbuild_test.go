package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"golang.org/x/sys/unix"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
)

// plainEnv is the smallest local environment: one region, no services.
const plainEnv = `environment "plain" {
  target = "local"
}
region "east" {
  primary = true
}
`

// A bulwark built the ordinary Go way (go build, no ldflags, nothing beside
// it) is its own provider plugin and control plane, of its own build: an
// up through it never replaces the plane it started (a plugin of another
// build would), drift finds none, and the plane the plugin starts by
// itself is of that build too. And the binary run under the plugin's name
// answers the plugin handshake, then exits once its engine is gone.
func TestPlainGoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the CLI")
	}
	pulumi, err := filepath.Abs(filepath.Join("..", "..", "bin", "pulumi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pulumi); err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	// the test adopts the processes it orphans (the detached control plane,
	// the plugin whose engine it kills) to reap them: this machine's init
	// does not, and they would be left as zombies
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("become a child subreaper: %v", err)
	}
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	bin := filepath.Join(t.TempDir(), "bulwark")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("go build ./cmd/bulwark: %s", time.Since(start).Round(time.Millisecond))
	build, err := localcloud.BuildOf(bin)
	if err != nil {
		t.Fatal(err)
	}
	if build == localcloud.Build {
		t.Fatalf("the built CLI's build %q is the test binary's", build)
	}

	t.Run("one build", func(t *testing.T) { plainBuildIsOneBuild(t, bin, pulumi, build) })
	t.Run("plugin handshake", func(t *testing.T) { pluginHandshake(t, bin) })
}

func plainBuildIsOneBuild(t *testing.T, bin, pulumi, build string) {
	project := t.TempDir()
	if err := os.MkdirAll(filepath.Join(project, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"Pulumi.yaml": "name: plain\nruntime: go\n", "environments/plain.hcl": plainEnv} {
		if err := os.WriteFile(filepath.Join(project, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	plane := localcloud.Dir(state)
	var adopted []int // detached planes, stopped, then reaped by PID
	t.Cleanup(func() {
		if err := localcloud.Stop(context.Background(), plane); err != nil {
			t.Error(err)
		}
		for _, pid := range adopted {
			reap(t, pid)
		}
	})
	env := append(os.Environ(), "BULWARK_STATE_DIR="+state, "BULWARK_PULUMI="+pulumi)
	bulwark := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = project, env
		if out, err := cmd.CombinedOutput(); err != nil {
			planeLog, _ := os.ReadFile(localcloud.LogPath(plane))
			t.Fatalf("bulwark %s: %v\n%s\ncontrol plane log:\n%s", strings.Join(args, " "), err, out, planeLog)
		}
	}
	planeBuild := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, b := localcloud.Dial(plane).Version(ctx)
		return b
	}
	servings := func() int {
		b, _ := os.ReadFile(localcloud.LogPath(plane))
		return strings.Count(string(b), " serving ")
	}

	// the CLI starts the plane, the engine runs the CLI's file as the
	// plugin, and the plugin, finding a plane of its own build, keeps it
	bulwark("up", "--env", "plain")
	pid := localcloud.Running(plane)
	if pid == 0 {
		t.Fatal("no control plane runs after up")
	}
	adopted = append(adopted, pid)
	if b := planeBuild(); b != build {
		t.Errorf("the control plane reports build %q, want the CLI's %q", b, build)
	}
	links, _ := filepath.Glob(filepath.Join(state, "pulumi-home", "bulwark-provider", "*", engine.ProviderName))
	if len(links) != 1 {
		t.Fatalf("provider links %v, want one", links)
	}
	if target, err := filepath.EvalSymlinks(links[0]); err != nil || target != bin {
		t.Errorf("the engine's provider plugin %s is %q (%v), want the CLI %s", links[0], target, err, bin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := localcloud.Dial(plane).Status(ctx); err != nil || len(st.Regions) == 0 {
		t.Errorf("the plugin created no region in the plane (%v): %+v", err, st)
	}
	bulwark("drift", "--env", "plain")
	if now := localcloud.Running(plane); now != pid || servings() != 1 {
		t.Errorf("the control plane was replaced (pid %d, then %d; started %d times): the CLI and its plugin are of different builds", pid, now, servings())
	}

	// the plane as the plugin starts it (its own executable, ControlPlaneArg)
	// is of the same build, so the CLI keeps it too
	if err := localcloud.Stop(context.Background(), plane); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, localprovider.ControlPlaneArg)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = localcloud.Stop(context.Background(), plane)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for localcloud.Running(plane) != cmd.Process.Pid {
		if time.Now().After(deadline) {
			t.Fatalf("`bulwark %s` did not serve within 15s", localprovider.ControlPlaneArg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b := planeBuild(); b != build {
		t.Errorf("the plugin's control plane reports build %q, want %q", b, build)
	}
	bulwark("drift", "--env", "plain")
	if now := localcloud.Running(plane); now != cmd.Process.Pid {
		t.Errorf("the CLI replaced the plugin's control plane %d with %d", cmd.Process.Pid, now)
	}
}

func pluginHandshake(t *testing.T, bin string) {
	// the engine runs the plugin by its name in a folder; a parent shell
	// stands for the engine, so that it can be killed as an engine can be
	link := filepath.Join(t.TempDir(), localprovider.Executable)
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("sh", "-c", `"$0" & echo "pid $!"; wait`, link)
	sh.Env = append(os.Environ(), "BULWARK_STATE_DIR="+t.TempDir())
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	shDone := make(chan struct{})
	go func() { _ = sh.Wait(); close(shDone) }()
	plugin := 0
	t.Cleanup(func() {
		_ = sh.Process.Kill()
		<-shDone
		if plugin != 0 && !reaped(plugin) {
			_ = syscall.Kill(plugin, syscall.SIGKILL)
			reap(t, plugin)
		}
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		for s := bufio.NewScanner(stdout); s.Scan(); {
			lines <- s.Text()
		}
	}()
	port := 0
	timeout := time.After(15 * time.Second)
	for plugin == 0 || port == 0 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the plugin's output ended before its port (pid %d, port %d)", plugin, port)
			}
			if p, found := strings.CutPrefix(line, "pid "); found {
				plugin, _ = strconv.Atoi(p)
			} else if n, err := strconv.Atoi(line); err == nil {
				port = n
			} else {
				t.Fatalf("the plugin printed %q, want its port", line)
			}
		case <-timeout:
			t.Fatalf("no port on the plugin's stdout within 15s (pid %d)", plugin)
		}
	}

	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := pulumirpc.NewResourceProviderClient(conn).GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetPluginInfo: %v", err)
	}
	if info.GetVersion() != localprovider.Version {
		t.Errorf("plugin version %q, want %q", info.GetVersion(), localprovider.Version)
	}

	// the engine dies outright: the plugin sees itself re-parented and exits
	if err := sh.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-shDone
	deadline := time.Now().Add(5 * time.Second)
	for !reaped(plugin) {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin %d still runs 5s after its engine was killed", plugin)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reap waits for pid, a child of the test's by adoption, to exit (it has
// been stopped) and reaps it.
func reap(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !reaped(pid) {
		if time.Now().After(deadline) {
			t.Errorf("process %d did not exit within 10s of being stopped", pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reaped reaps pid, a child of the test's (by adoption), if it has
// exited, and reports whether it is gone.
func reaped(pid int) bool {
	var ws syscall.WaitStatus
	wpid, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return wpid == pid || errors.Is(err, syscall.ECHILD)
}

// The name the engine runs the plugin by is the name the binary answers to.
func TestProviderPluginName(t *testing.T) {
	if engine.ProviderName != localprovider.Executable || engine.ProviderPackage != localprovider.Name {
		t.Errorf("engine looks for %s (package %s), the plugin answers to %s (package %s)",
			engine.ProviderName, engine.ProviderPackage, localprovider.Executable, localprovider.Name)
	}
}
