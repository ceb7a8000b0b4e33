package localcloud

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

func TestAutoscalingOnRequests(t *testing.T) {
	needHAProxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "as", Name: "east"}); err != nil {
		t.Fatal(err)
	}
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	spec := localapi.GroupSpec{Env: "as", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18095, Min: 1, Desired: 1, Max: 3, Zones: 3, Health: testHealth(),
		Scaling: localapi.Scaling{TargetRequests: 5, Cooldown: time.Second}}
	if _, err := p.PutGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}
	b, err := p.PutBalancer(ctx, localapi.BalancerSpec{Env: "as", Region: "east", Service: "shop", Port: 18095, Health: testHealth()})
	if err != nil {
		t.Fatal(err)
	}
	// about 40 requests per second, bounded: stops at max or after 20 s
	var failed, sent atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: 2 * time.Second}
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case <-stop:
				return
			case <-deadline:
				return
			case <-tick.C:
			}
			sent.Add(1)
			resp, err := c.Get("http://" + b.Address + "/")
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	}()
	err = waitFor(ctx, "scale out to 3", func() (bool, error) {
		g, _ := p.GetGroup(ctx, spec.ID())
		return g.Current == 3 && g.Healthy() == 3, nil
	})
	close(stop)
	<-done
	if err != nil {
		g, _ := p.GetGroup(ctx, spec.ID())
		t.Fatalf("%v: %+v", err, g)
	}
	g, _ := p.GetGroup(ctx, spec.ID())
	t.Logf("scaled out: %s (%d requests, %d failed)", g.LastScaling, sent.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed while scaling out", failed.Load(), sent.Load())
	}
	// idle: back to the minimum after the cooldown
	err = waitFor(ctx, "scale in to 1", func() (bool, error) {
		g, _ := p.GetGroup(ctx, spec.ID())
		return g.Current == 1 && len(g.Instances) == 1, nil
	})
	if err != nil {
		g, _ := p.GetGroup(ctx, spec.ID())
		t.Fatalf("%v: %+v", err, g)
	}
	// a declared capacity wins over the autoscaler's
	spec.Desired, spec.Min = 2, 2
	if g, err = p.PutGroup(ctx, spec); err != nil || g.Current != 2 {
		t.Fatalf("declared desired 2: %+v %v", g, err)
	}
}
