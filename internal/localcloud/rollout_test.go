package localcloud

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// variant copies the shop's source with a change, so it builds another
// image; the copy lies in testdata (inside the module, which builds need,
// and outside every package pattern), removed when the test ends.
func variant(t *testing.T, from, to string) string {
	t.Helper()
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("testdata", "variant-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	abs, _ := filepath.Abs(tmp)
	dir := filepath.Join(abs, "shop")
	if err := os.CopyFS(dir, os.DirFS(shopSource())); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "handler.go")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), from) {
		t.Fatalf("handler.go lacks %q", from)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), from, to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A new image rolls through a group one instance at a time; one whose
// instances fail their health checks is rolled back by the group itself,
// and the group never has fewer than all-but-one healthy instances of the
// good image while it happens.
func TestRolloutRollsBackABadImage(t *testing.T) {
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"}); err != nil {
		t.Fatal(err)
	}
	good, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: variant(t,
		`reply(w, http.StatusOK, map[string]any{"status": "ok"})`, `reply(w, http.StatusInternalServerError, map[string]any{"status": "broken"})`)})
	if err != nil {
		t.Fatal(err)
	}
	better, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: variant(t, `"status": "ok"`, `"status": "ok", "build": "better"`)})
	if err != nil {
		t.Fatal(err)
	}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: good.Path, Digest: good.Digest,
		Port: 18180, Min: 1, Desired: 3, Max: 3, Zones: 3, Health: testHealth()}
	if _, err := p.PutGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}

	// watch the group while the bad image rolls: how few good instances were healthy
	var mu sync.Mutex
	fewest := 3
	watch, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watch.Err() == nil {
			g, _ := p.GetGroup(ctx, spec.ID())
			n := 0
			for _, in := range g.Instances {
				if in.State == "healthy" && in.Digest == good.Digest {
					n++
				}
			}
			mu.Lock()
			fewest = min(fewest, n)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	badSpec := spec
	badSpec.ImagePath, badSpec.Digest = bad.Path, bad.Digest
	_, err = p.PutGroup(ctx, badSpec)
	if !errors.Is(err, localapi.ErrRolledBack) {
		t.Fatalf("a rollout of an image that fails its health checks: %v, want ErrRolledBack", err)
	}
	err = waitFor(ctx, "every instance on the good image again", func() (bool, error) {
		g, _ := p.GetGroup(ctx, spec.ID())
		if g.Healthy() != 3 {
			return false, nil
		}
		for _, in := range g.Instances {
			if in.Digest != good.Digest {
				return false, nil
			}
		}
		return true, nil
	})
	stopWatch()
	<-watched
	if err != nil {
		t.Fatal(err)
	}
	g, _ := p.GetGroup(ctx, spec.ID())
	if g.Rollout == nil || g.Rollout.State != localapi.RolloutRolledBack || g.Rollout.To != bad.Digest || g.Digest != good.Digest {
		t.Errorf("after the rollback: rollout %+v, spec digest %s", g.Rollout, g.Digest)
	}
	if fewest < 2 {
		t.Errorf("only %d instances of the good image were healthy at one point: the rollout did not wait for health", fewest)
	}
	if p.state.Groups[spec.ID()].Digest != good.Digest {
		t.Error("the rolled-back spec is not what the plane keeps on disk")
	}

	// a good image goes through
	betterSpec := spec
	betterSpec.ImagePath, betterSpec.Digest = better.Path, better.Digest
	g, err = p.PutGroup(ctx, betterSpec)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range g.Instances {
		if in.Digest != better.Digest || in.State != "healthy" {
			t.Errorf("instance %+v after the good rollout", in)
		}
	}
	if g.Rollout == nil || g.Rollout.State != localapi.RolloutDone && g.Rollout.State != localapi.RolloutRolling {
		t.Errorf("rollout %+v", g.Rollout)
	}
	if err := p.DeleteGroup(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
}

// Blue-green: a second set of instances starts beside the serving one; the
// load balancer switches to it once it is up, the previous set drained,
// kept for the bake, then stopped. A client sending requests all along
// sees none fail, whether the new image is good or broken (rolled back).
func TestBlueGreenSwitchesWithoutAFailedRequest(t *testing.T) {
	needHAProxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	good, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	better, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: variant(t, `"status": "ok"`, `"status": "ok", "build": "better"`)})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: variant(t,
		`reply(w, http.StatusOK, map[string]any{"status": "ok"})`, `reply(w, http.StatusInternalServerError, map[string]any{"status": "broken"})`)})
	if err != nil {
		t.Fatal(err)
	}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: good.Path, Digest: good.Digest,
		Port: 18280, Min: 2, Desired: 2, Max: 2, Zones: 2, Health: testHealth(), BlueGreen: true, Bake: time.Second}
	if _, err := p.PutGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}
	b, err := p.PutBalancer(ctx, localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18280, Health: testHealth()})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Backends) != 4 {
		t.Fatalf("a blue-green balancer lists both ranges: %v", b.Backends)
	}

	// a client through the balancer, all along
	var mu sync.Mutex
	var sent, failed int
	var failures []string
	probe, stopProbe := context.WithCancel(ctx)
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		for probe.Err() == nil {
			code, body := get(t, "http://"+b.Address+"/")
			mu.Lock()
			sent++
			if code != 200 {
				failed++
				failures = append(failures, body)
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	before, _ := p.GetGroup(ctx, spec.ID())
	next := spec
	next.ImagePath, next.Digest = better.Path, better.Digest
	g, err := p.PutGroup(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	nextRange := map[string]bool{region.SlotAddress(2) + ":18280": true, region.SlotAddress(3) + ":18280": true}
	for _, in := range g.Instances {
		if in.Digest != better.Digest || in.State != "healthy" || !nextRange[in.Address] {
			t.Errorf("instance after the switch: %+v (want the range after max: %v)", in, nextRange)
		}
	}
	if g.Instances[0].Address == before.Instances[0].Address {
		t.Errorf("the new instances took the old addresses: %s", g.Instances[0].Address)
	}
	for _, in := range before.Instances {
		if alive(in.PID) {
			t.Errorf("previous instance %d still runs after the bake", in.PID)
		}
	}

	// a broken image: its instances never get traffic, and the group stays as it was
	bad := next
	bad.ImagePath, bad.Digest = broken.Path, broken.Digest
	if _, err := p.PutGroup(ctx, bad); !errors.Is(err, localapi.ErrRolledBack) {
		t.Fatalf("a broken image: %v, want ErrRolledBack", err)
	}
	stopProbe()
	<-probed
	after, _ := p.GetGroup(ctx, spec.ID())
	if len(after.Instances) != 2 || after.Instances[0].PID != g.Instances[0].PID || after.Digest != better.Digest {
		t.Errorf("after the rollback: %+v", after.Instances)
	}
	mu.Lock()
	defer mu.Unlock()
	if sent < 50 || failed != 0 {
		t.Errorf("%d of %d requests failed during the switches: %v", failed, sent, failures)
	}
	// the balancer's counters: every request, and the 5xx of writes with no database
	st, err := p.BalancerStats(spec.ID())
	if err != nil || st.Requests < int64(sent) || st.Errors5xx != 0 {
		t.Errorf("stats after the switches: %+v %v (sent %d)", st, err, sent)
	}
	for range 5 {
		resp, err := http.Post("http://"+b.Address+"/writes?seq=1", "", nil)
		if err == nil {
			resp.Body.Close()
		}
	}
	// HAProxy counts a request when its stream ends, which may be just
	// after the client has the answer: read until the five show, briefly
	var st2 localapi.BalancerStats
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st2, err = p.BalancerStats(spec.ID())
		if err == nil && st2.Errors5xx == 5 && st2.Requests >= st.Requests+5 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || st2.Errors5xx != 5 || st2.Requests < st.Requests+5 {
		t.Errorf("stats after five failing writes: %+v %v", st2, err)
	}
	_ = p.DeleteBalancer(ctx, spec.ID())
	_ = p.DeleteGroup(ctx, spec.ID())
}
