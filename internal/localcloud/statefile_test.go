package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// onDisk reads the plane's state file as it is on disk now.
func onDisk(t *testing.T, p *Plane) persisted {
	t.Helper()
	b, err := os.ReadFile(p.statePath())
	if err != nil {
		t.Fatal(err)
	}
	var st persisted
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state on disk: %v", err)
	}
	return st
}

// Concurrent puts share writes of the state (group commit), and yet a put
// that returned is on disk: each put's caller reads the file right after
// its put returns and finds its parameter there; a plane started afresh
// from the folder has every one, and the ones deleted are gone.
func TestAPutThatReturnedIsOnDisk(t *testing.T) {
	p := newTestPlane(t)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := localapi.ParameterSpec{Env: "t", Region: "east", Service: "shop", Name: fmt.Sprintf("P%d", i), Value: "v"}
			if _, err := p.PutParameter(ctx, spec); err != nil {
				errs <- err
				return
			}
			b, err := os.ReadFile(p.statePath())
			if err != nil {
				errs <- err
				return
			}
			var st persisted
			if err := json.Unmarshal(b, &st); err != nil {
				errs <- fmt.Errorf("state on disk after the put of %s: %w", spec.Name, err)
				return
			}
			if _, ok := st.Parameters[spec.ID()]; !ok {
				errs <- fmt.Errorf("the put of %s returned, but the state on disk does not hold it", spec.Name)
			}
			if i%4 == 0 { // and a delete that returned is gone from disk
				if err := p.DeleteParameter(ctx, spec.ID()); err != nil {
					errs <- err
					return
				}
				if _, ok := onDisk(t, p).Parameters[spec.ID()]; ok {
					errs <- fmt.Errorf("the delete of %s returned, but the state on disk still holds it", spec.Name)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p.writer.mu.Lock()
	writes := p.writer.writes
	p.writer.mu.Unlock()
	if writes >= n+n/4 {
		t.Errorf("%d puts and deletes at once made %d writes of the state: no write was shared", n+n/4, writes)
	}
	t.Logf("%d puts and deletes, %d writes", n+n/4, writes)
	again, err := NewPlane(p.dir, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(again.state.Parameters); got != n-n/4 {
		t.Errorf("a plane started from the folder holds %d parameters, want %d", got, n-n/4)
	}
}

// A failed write is the error of every put it held, and the next write
// (once the folder can be written again) holds them.
func TestAFailedWriteFailsItsPuts(t *testing.T) {
	p := newTestPlane(t)
	ctx := context.Background()
	// the state file's temporary made a folder: no one, root included,
	// can open it for writing
	tmp := p.statePath() + ".tmp"
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	spec := localapi.ParameterSpec{Env: "t", Region: "east", Service: "shop", Name: "A", Value: "v"}
	if _, err := p.PutParameter(ctx, spec); err == nil {
		t.Fatal("a put whose write failed returned no error")
	}
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	spec2 := spec
	spec2.Name = "B"
	if _, err := p.PutParameter(ctx, spec2); err != nil {
		t.Fatal(err)
	}
	st := onDisk(t, p)
	for _, s := range []localapi.ParameterSpec{spec, spec2} {
		if _, ok := st.Parameters[s.ID()]; !ok {
			t.Errorf("parameter %s not on disk after a later write succeeded", s.Name)
		}
	}
}

// An image's file is hashed once per version of it: a second check of an
// unchanged file answers from the stamp, and a file changed in place, even
// to the same size with its modification time put back, is hashed again.
func TestImageDigestRehashesAChangedFile(t *testing.T) {
	p := newTestPlane(t)
	path := p.dir + "/img"
	if err := os.WriteFile(path, []byte("one"), 0o755); err != nil {
		t.Fatal(err)
	}
	first, err := p.imageDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := p.digests.Load(path); !ok || h.(hashedFile).digest != first {
		t.Fatalf("the digest of %s was not remembered", path)
	}
	if again, err := p.imageDigest(path); err != nil || again != first {
		t.Fatalf("second check: %s %v, want %s", again, err, first)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a coarse clock would keep the change time
	if err := os.WriteFile(path, []byte("two"), 0o755); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	changed, err := p.imageDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fileDigest(path)
	if changed != want || changed == first {
		t.Fatalf("digest after a change = %s, want %s (before: %s)", changed, want, first)
	}
}

// A new instance is seen healthy as soon as it answers, not a whole health
// check interval after its start: with a 10 s interval the group's put
// answers within a few seconds.
func TestANewInstanceIsHealthyBeforeItsFirstInterval(t *testing.T) {
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"}); err != nil {
		t.Fatal(err)
	}
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	health := localapi.HealthCheck{Path: "/healthz", Interval: 10 * time.Second, Timeout: time.Second, UnhealthyAfter: 2, HealthyAfter: 1}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18090, Min: 1, Desired: 2, Max: 2, Zones: 2, Health: health}
	start := time.Now()
	g, err := p.PutGroup(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second || g.Healthy() != 2 {
		t.Fatalf("the group's put answered after %s with %d healthy; want both healthy well within the 10 s interval", took, g.Healthy())
	}
	for _, in := range g.Instances {
		if in.Failures != 0 {
			t.Errorf("instance %s counts %d failures from probes before it answered", in.Name, in.Failures)
		}
	}
}
