package localcloud

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// TestMain lets the test binary act as a small TCP peer placed in a region's
// cgroup (BULWARK_BORDER_HELPER=serve:ADDR or dial:ADDR).
func TestMain(m *testing.M) {
	if mode, addr, ok := strings.Cut(os.Getenv("BULWARK_BORDER_HELPER"), ":"); ok {
		os.Exit(borderHelper(mode, addr))
	}
	os.Exit(m.Run())
}

func borderHelper(mode, addr string) int {
	switch mode {
	case "serve": // answer "pong" to every line, until killed
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println("listening")
		for {
			c, err := l.Accept()
			if err != nil {
				return 2
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					fmt.Fprintln(c, "pong")
				}
			}()
		}
	case "dial":
		if err := ping(addr); err != nil {
			fmt.Println(err)
			return 1
		}
		return 0
	}
	return 2
}

// ping connects to addr and expects an answer within a second.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	return exchange(c)
}

func exchange(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprintln(c, "ping"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "pong\n" {
		return fmt.Errorf("answer %q", line)
	}
	return nil
}

// TestPartitionCutsARegionOffWhileItRuns checks the nftables border against
// real sockets: processes placed in a region's cgroup, one in the control
// plane's, and this test process outside both.
func TestPartitionCutsARegionOffWhileItRuns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("partitions need root (nftables and cgroups)")
	}
	p := newTestPlane(t)
	if p.cgroups.err != nil {
		t.Fatalf("this machine cannot partition regions: %v (make deps installs nftables)", p.cgroups.err)
	}
	ctx := context.Background()
	west, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "border", Name: "west"})
	if err != nil {
		t.Fatal(err)
	}
	east, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "border", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = p.HealRegion(localapi.RegionID{Env: "border", Region: "west"})
		p.cgroups.removeGroups()
		removeEmptyGroups(filepath.Join(p.cgroups.mount, "bulwark", p.cgroups.id))
	})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := func(mode, addr string) *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "BULWARK_BORDER_HELPER="+mode+":"+addr)
		return cmd
	}
	logs := t.TempDir()
	n := 0
	run := func(group, mode, addr string) (*exec.Cmd, *process, string) {
		n++
		cmd, log := helper(mode, addr), filepath.Join(logs, fmt.Sprintf("%d.log", n))
		proc, err := spawn(cmd, log, group)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, proc, log
	}
	serve := func(group, addr string) {
		_, proc, log := run(group, "serve", addr)
		t.Cleanup(func() { _ = proc.stop(5 * time.Second) })
		for i := 0; i < 100; i++ {
			if b, _ := os.ReadFile(log); strings.Contains(string(b), "listening") {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		b, _ := os.ReadFile(log)
		t.Fatalf("helper serving %s did not start: %s", addr, b)
	}
	dialFrom := func(group, addr string) error {
		cmd, proc, log := run(group, "dial", addr)
		select {
		case <-proc.exited:
		case <-time.After(10 * time.Second):
			_ = proc.stop(time.Second)
			return errors.New("dial helper hung")
		}
		if cmd.ProcessState.ExitCode() != 0 {
			b, _ := os.ReadFile(log)
			return errors.New(strings.TrimSpace(string(b)))
		}
		return nil
	}
	westGroup := p.placement("border", "west")
	eastGroup := p.placement("border", "east")
	planeGroup, err := p.cgroups.ensure(p.cgroups.planeRel())
	if err != nil || westGroup == "" || eastGroup == "" {
		t.Fatalf("groups: west %q east %q plane %q %v", westGroup, eastGroup, planeGroup, err)
	}
	westAddr := west.SlotAddress(7) + ":47001"
	eastAddr := east.SlotAddress(7) + ":47002"
	serve(westGroup, westAddr)
	serve(eastGroup, eastAddr)

	// a connection open before the partition
	open, err := net.DialTimeout("tcp", westAddr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if err := exchange(open); err != nil {
		t.Fatalf("before the partition: %v", err)
	}
	cases := []struct {
		name        string
		group       string // "" = this test process, outside every region
		addr        string
		cut, healed bool
	}{
		{"outside to west", "", westAddr, true, false},
		{"east to west", eastGroup, westAddr, true, false},
		{"west to east", westGroup, eastAddr, true, false},
		{"west to west", westGroup, westAddr, false, false},
		{"east to east", eastGroup, eastAddr, false, false},
		{"control plane to west", planeGroup, westAddr, false, false},
		{"outside to east", "", eastAddr, false, false},
	}
	check := func(partitioned bool) {
		for _, c := range cases {
			var err error
			if c.group == "" {
				err = ping(c.addr)
			} else {
				err = dialFrom(c.group, c.addr)
			}
			if want := partitioned && c.cut; (err != nil) != want {
				t.Errorf("partitioned=%v: %s: err=%v, want cut=%v", partitioned, c.name, err, want)
			}
		}
	}
	check(false)

	table, err := p.PartitionRegion(localapi.RegionID{Env: "border", Region: "west"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PartitionRegion(localapi.RegionID{Env: "border", Region: "west"}); err != nil { // idempotent
		t.Fatalf("partition again: %v", err)
	}
	if list, _ := exec.Command("nft", "list", "table", "inet", table).CombinedOutput(); strings.Count(string(list), " drop\n") != 3 {
		t.Errorf("table %s after two partitions:\n%s", table, list)
	}
	check(true)
	if err := exchange(open); err == nil {
		t.Error("a connection open across the border still works during the partition")
	}

	if healed, err := p.HealRegion(localapi.RegionID{Env: "border", Region: "west"}); err != nil || !healed {
		t.Fatalf("heal: %v %v", healed, err)
	}
	if healed, err := p.HealRegion(localapi.RegionID{Env: "border", Region: "west"}); err != nil || healed {
		t.Fatalf("heal again: %v %v", healed, err)
	}
	check(false)
}

// A plane's sweep removes the groups of planes that are gone, never those
// of a live one, even a region group that is empty for a moment; a region's
// group removed all the same is made again at the next start in it.
func TestSweepKeepsALivePlanesGroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("cgroups need root")
	}
	live, gone, sweeper := newTestPlane(t), newTestPlane(t), newTestPlane(t)
	if live.cgroups.err != nil {
		t.Fatalf("this machine has no usable cgroup v2: %v", live.cgroups.err)
	}
	liveRegion := live.placement("e", "west")
	goneRegion := gone.placement("e", "west")
	planeGroup, err := live.cgroups.ensure(live.cgroups.planeRel())
	if err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("sleep", "30") // the live plane's daemon
	daemon.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true}
	g, err := os.Open(planeGroup)
	if err != nil {
		t.Fatal(err)
	}
	daemon.SysProcAttr.CgroupFD = int(g.Fd())
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	g.Close()
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
		removeEmptyGroups(filepath.Dir(filepath.Dir(planeGroup)))
	})

	sweeper.cgroups.sweep()
	if _, err := os.Stat(liveRegion); err != nil {
		t.Errorf("the sweep removed an empty region group of a live plane: %v", err)
	}
	if _, err := os.Stat(goneRegion); !os.IsNotExist(err) {
		t.Errorf("the sweep left the groups of a plane that is gone: %v", err)
	}
	if err := os.Remove(liveRegion); err != nil {
		t.Fatal(err)
	}
	if again := live.placement("e", "west"); again != liveRegion {
		t.Fatalf("placement = %q", again)
	}
	if _, err := os.Stat(liveRegion); err != nil {
		t.Errorf("a removed region group is not made again: %v", err)
	}
}
