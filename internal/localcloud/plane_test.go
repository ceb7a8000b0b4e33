package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

func needHAProxy(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		if testing.Short() {
			t.Skip("haproxy not installed")
		}
		t.Fatal("haproxy not installed (make test installs it)")
	}
}

func shopSource() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "images", "shop")
}

func newTestPlane(t *testing.T) *Plane {
	t.Helper()
	p, err := NewPlane(t.TempDir(), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Shutdown()
		for _, r := range p.Status().Regions { // a test plane's claims go with it
			releaseRange(r.Index, p.dir)
		}
		if strings.HasPrefix(p.dbRoot(), SystemDataDir) {
			_ = os.RemoveAll(p.dbRoot())
		}
	})
	return p
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func testHealth() localapi.HealthCheck {
	return localapi.HealthCheck{Path: "/healthz", Interval: 200 * time.Millisecond, Timeout: 200 * time.Millisecond, UnhealthyAfter: 2, HealthyAfter: 1}
}

func TestGroupBehindBalancer(t *testing.T) {
	needHAProxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	other, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "west"})
	if again.Index != region.Index || other.Index == region.Index {
		t.Fatalf("allocation: %v %v %v", region, again, other)
	}
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(img.Digest, "sha256:") {
		t.Fatalf("digest = %q", img.Digest)
	}
	img2, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil || img2.Digest != img.Digest || img2.Path != img.Path {
		t.Fatalf("rebuild of the same source is not the same image: %v %v", img2, err)
	}
	// the service's parameters in this region's store, and others'
	for _, ps := range []localapi.ParameterSpec{
		{Env: "t", Region: "east", Service: "shop", Name: "GREETING", Value: "hello, east"},
		{Env: "t", Region: "west", Service: "shop", Name: "GREETING", Value: "hello, west"},
		{Env: "t", Region: "east", Service: "cart", Name: "CART_ONLY", Value: "1"},
	} {
		if _, err := p.PutParameter(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18080, Min: 1, Desired: 2, Max: 3, Zones: 3, Health: testHealth()}
	g, err := p.PutGroup(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if g.Healthy() != 2 || g.Instances[0].Zone == g.Instances[1].Zone {
		t.Fatalf("group = %+v", g)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", g.Instances[0].PID))
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Split(string(environ), "\x00")
	if !slices.Contains(vars, "GREETING=hello, east") || slices.ContainsFunc(vars, func(v string) bool {
		return strings.HasPrefix(v, "CART_ONLY=") || v == "GREETING=hello, west"
	}) {
		t.Errorf("an instance of east's shop starts with %q, want east's shop parameters only", vars)
	}
	b, err := p.PutBalancer(ctx, localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18080, Health: testHealth()})
	if err != nil {
		t.Fatal(err)
	}
	if b.Address != region.BalancerAddress()+":18080" || len(b.Backends) != 3 {
		t.Fatalf("balancer = %+v", b)
	}
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		code, body := get(t, "http://"+b.Address+"/")
		if code != 200 {
			t.Fatalf("through the balancer: %d %s", code, body)
		}
		for _, in := range g.Instances {
			if strings.Contains(body, in.Name) {
				seen[in.Name] = true
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("balancer reached %v, want both instances", seen)
	}

	// an instance that dies is replaced in its slot
	pid, err := p.KillInstance(spec.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = waitFor(ctx, "replacement", func() (bool, error) {
		g, _ := p.GetGroup(ctx, spec.ID())
		return g.Replaced >= 1 && g.Healthy() == 2 && g.Instances[0].PID != pid, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("killed instance %d still alive", pid)
	}

	// a balancer killed by hand stays down (drift), and PutBalancer restores it
	if err := syscall.Kill(b.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = waitFor(ctx, "balancer down", func() (bool, error) {
		st, _ := p.GetBalancer(ctx, spec.ID())
		return !st.Running, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if st, _ := p.GetBalancer(ctx, spec.ID()); st.Running {
		t.Fatal("the control plane restarted a killed balancer by itself")
	}
	if b, err = p.PutBalancer(ctx, localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18080, Health: testHealth()}); err != nil || !b.Running {
		t.Fatalf("restore balancer: %+v %v", b, err)
	}

	// delete stops everything by PID
	st, _ := p.GetGroup(ctx, spec.ID())
	pids := []int{b.PID}
	for _, in := range st.Instances {
		pids = append(pids, in.PID)
	}
	if err := p.DeleteBalancer(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteGroup(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d alive after delete", pid)
		}
	}
	if _, err := p.GetGroup(ctx, spec.ID()); !errors.Is(err, localapi.ErrNotFound) {
		t.Errorf("group after delete: %v", err)
	}
	if err := p.DeleteRegion(ctx, localapi.RegionID{Env: "t", Region: "east"}); err != nil {
		t.Error(err)
	}
}

func TestPortClashIsReported(t *testing.T) {
	needHAProxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	region, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	// something else holds the balancer's address
	l, err := listenTCP(region.BalancerAddress() + ":18081")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18081, Min: 1, Desired: 1, Max: 1, Zones: 1, Health: testHealth()}
	if _, err := p.PutGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}
	_, err = p.PutBalancer(ctx, localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18081, Health: testHealth()})
	if !errors.Is(err, localapi.ErrPortInUse) || !strings.Contains(err.Error(), region.BalancerAddress()) {
		t.Fatalf("err = %v, want ErrPortInUse naming the address", err)
	}
}

// listenTCP holds an address, as another program would.
func listenTCP(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

func TestPlanesClaimDistinctRanges(t *testing.T) {
	ctx := context.Background()
	a, b := newTestPlane(t), newTestPlane(t)
	ra, err := a.PutRegion(ctx, localapi.RegionSpec{Env: "x", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.PutRegion(ctx, localapi.RegionSpec{Env: "x", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	if ra.Index == rb.Index {
		t.Fatalf("two control planes share 127.0.%d.0/24", ra.Index)
	}
	if err := a.DeleteRegion(ctx, localapi.RegionID{Env: "x", Region: "east"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRegion(ctx, localapi.RegionID{Env: "x", Region: "east"}); err != nil {
		t.Fatal(err)
	}
	// a claim whose owner no longer holds the region is stale and reclaimed
	c := newTestPlane(t)
	stale := claim{Dir: t.TempDir(), Region: "gone/r"}
	body, _ := json.Marshal(stale)
	free, err := c.PutRegion(ctx, localapi.RegionSpec{Env: "probe", Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.DeleteRegion(ctx, localapi.RegionID{Env: "probe", Region: "r"})
	if err := os.WriteFile(claimPath(free.Index), body, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := c.PutRegion(ctx, localapi.RegionSpec{Env: "probe", Name: "r"})
	if err != nil || again.Index != free.Index {
		t.Fatalf("stale claim on %d not reclaimed: %+v %v", free.Index, again, err)
	}
	_ = c.DeleteRegion(ctx, localapi.RegionID{Env: "probe", Region: "r"})
}

func TestGroupFailsFastOnAnAddressInUse(t *testing.T) {
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	region, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	l, err := listenTCP(region.SlotAddress(0) + ":18082")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.PutGroup(ctx, localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18082, Min: 1, Desired: 1, Max: 1, Zones: 1, Health: testHealth()})
	if !errors.Is(err, localapi.ErrPortInUse) || !strings.Contains(err.Error(), region.SlotAddress(0)+":18082") {
		t.Fatalf("err = %v, want ErrPortInUse naming the address", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s to report a clash", time.Since(start))
	}
}

// An image's source is built once: concurrent puts of it build it once, a
// later put of the unchanged source reuses it (no go on PATH needed), and a
// changed source is built again.
func TestImageBuiltOncePerSource(t *testing.T) {
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mod := t.TempDir()
	src := filepath.Join(mod, "images", "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(msg string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\""+msg+"\") }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	spec := localapi.ImageSpec{Name: "hello", Source: src}
	imgs := make(chan localapi.Image, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() { img, err := p.BuildImage(ctx, spec); imgs <- img; errs <- err }()
	}
	var first localapi.Image
	for i := range 4 {
		img := <-imgs
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = img
		} else if img.Digest != first.Digest || img.Path != first.Path {
			t.Fatalf("concurrent builds of one source: %+v and %+v", first, img)
		}
	}
	if builds, _ := filepath.Glob(filepath.Join(p.dir, "build-*")); len(builds) != 0 {
		t.Errorf("build folders left: %v", builds)
	}
	t.Setenv("PATH", "") // a build now fails: only a reuse succeeds
	again, err := p.BuildImage(ctx, spec)
	if err != nil || again.Digest != first.Digest {
		t.Fatalf("the unchanged source was not reused: %+v %v", again, err)
	}
	write("two")
	if _, err := p.BuildImage(ctx, spec); err == nil {
		t.Fatal("a changed source was not built again")
	}
}
