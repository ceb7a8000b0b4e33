package local_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// degradeEnv is the environment of the degradation tests; its write
// queue, cache and dependencies are set in Go (degradeTopology), so the
// tests hold whatever the file's blocks come to.
const degradeEnv = `
environment "dg" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
region "north" {}
service "shop" {
  mode    = "active-active"
  image   = "shop"
  port    = 8090
  regions = ["east", "west"]
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "shop.test"
  }
  database {
    engine      = "postgres"
    replication = "async"
  }
}
service "admin" {
  mode    = "active-active"
  image   = "shop"
  port    = 8092
  regions = ["east"]
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "admin.test"
  }
}
service "reviews" {
  mode    = "active-active"
  image   = "shop"
  port    = 8091
  regions = ["east", "north"]
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "reviews.test"
  }
}
service "ratings" {
  mode    = "active-active"
  image   = "shop"
  port    = 8093
  regions = ["north"]
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "ratings.test"
  }
}
service "plain" {
  mode  = "active-active"
  image = "shop"
  port  = 8094
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "plain.test"
  }
}
`

// degradeTopology: shop queues its writes, caches its catalog, and calls
// reviews (soft, 300ms a try), ratings (hard, 1s) and an external card
// network; admin calls reviews too (800ms a try), from east only.
func degradeTopology(t *testing.T) *topology.Topology {
	t.Helper()
	l := &topology.Loader{}
	topo, err := l.Load("../../environments/dg.hcl", []byte(degradeEnv)) // its project is the repository
	if err != nil {
		t.Fatal(err)
	}
	for i := range topo.Services {
		s := &topo.Services[i]
		switch s.Name {
		case "shop":
			s.WriteQueue = &topology.WriteQueue{Paths: []string{"/writes"}, MaxAge: time.Minute, Keep: 24 * time.Hour, MaxReceives: 7}
			s.Cache = &topology.Cache{Paths: []string{"/catalog", "/static"}, TTL: 2 * time.Second, StaleFor: time.Hour}
			s.Dependencies = []topology.Dependency{
				{On: "reviews", Need: topology.NeedSoft, Timeout: 300 * time.Millisecond, Tries: 2, Backoff: 50 * time.Millisecond, OnFailure: topology.ServeCached},
				{On: "ratings", Need: topology.NeedHard, Timeout: time.Second, Tries: 1, OnFailure: topology.FailRequest},
				{On: "cards", External: true, Need: topology.NeedHard, Timeout: 2 * time.Second, Tries: 3, Backoff: 100 * time.Millisecond, OnFailure: topology.QueueWrites},
			}
		case "admin":
			s.Dependencies = []topology.Dependency{
				{On: "reviews", Need: topology.NeedSoft, Timeout: 800 * time.Millisecond, Tries: 1, OnFailure: topology.FailRequest},
			}
		}
	}
	return topo
}

// registered is a resource as the program registered it.
type registered struct {
	inputs resource.PropertyMap
	deps   []string // "type::name" of each resource it depends on
	times  int      // how often it was registered (a name twice in a stack is an error in a real run)
}

// depRecorder records each registration's inputs and dependencies, by
// "type::name".
type depRecorder struct {
	mu  sync.Mutex
	reg map[string]registered
}

func (r *depRecorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var deps []string
	if args.RegisterRPC != nil {
		for _, urn := range args.RegisterRPC.GetDependencies() {
			u := resource.URN(urn)
			deps = append(deps, string(u.Type())+"::"+u.Name())
		}
	}
	key := args.TypeToken + "::" + args.Name
	r.reg[key] = registered{inputs: args.Inputs, deps: deps, times: r.reg[key].times + 1}
	return args.Name, args.Inputs, nil
}

func (r *depRecorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) { return nil, nil }

// runRegion runs the region's stack program under mocks.
func runRegion(t *testing.T, topo *topology.Topology, region string) map[string]registered {
	t.Helper()
	run, err := stacks.Program(topo, stacks.RunInputs{}, stacks.Ref{Env: topo.Environment.Name, Region: region})
	if err != nil {
		t.Fatal(err)
	}
	m := &depRecorder{reg: map[string]registered{}}
	if err := pulumi.RunErr(run, pulumi.WithMocks("bulwark", topo.Environment.Name+"."+region, m)); err != nil {
		t.Fatal(err)
	}
	return m.reg
}

func ofType(reg map[string]registered, typ string) []string {
	var out []string
	for k := range reg {
		if name, ok := strings.CutPrefix(k, typ+"::"); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestWriteQueueBeforeTheGroup(t *testing.T) {
	topo := degradeTopology(t)
	for _, region := range []string{"east", "west"} {
		reg := runRegion(t, topo, region)
		q, ok := reg[contract.TypeLocalWriteQueue+"::shop"]
		if !ok {
			t.Fatalf("%s: no write queue for shop", region)
		}
		want := map[string]any{"env": "dg", "region": region, "service": "shop", "port": float64(8090),
			"stream": contract.QueueStreamName("dg", "shop"), "keepSeconds": float64(86400), "maxReceives": float64(7)}
		if got := q.inputs.Mappable(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: write queue inputs %v, want %v", region, got, want)
		}
		group := reg[contract.TypeLocalInstanceGroup+"::shop"]
		if !slices.Contains(group.deps, contract.TypeLocalWriteQueue+"::shop") {
			t.Errorf("%s: shop's group depends on %v, not its write queue", region, group.deps)
		}
		if v := group.inputs["writeQueue"]; !v.IsBool() || !v.BoolValue() {
			t.Errorf("%s: shop's group writeQueue = %v", region, v)
		}
		if qs := ofType(reg, contract.TypeLocalWriteQueue); len(qs) != 1 {
			t.Errorf("%s: write queues %v, want shop's alone", region, qs)
		}
	}
}

func TestLinksToTheServicesCalled(t *testing.T) {
	topo := degradeTopology(t)
	east := runRegion(t, topo, "east")
	// shop and admin both call reviews: one link; none to the external card network
	if links := ofType(east, contract.TypeLocalLink); !slices.Equal(links, []string{"ratings", "reviews"}) {
		t.Fatalf("east's links %v, want ratings and reviews once each", links)
	}
	for k, r := range east {
		if r.times != 1 {
			t.Errorf("%s registered %d times", k, r.times)
		}
	}
	for region, want := range map[string]map[string]map[string]any{
		"east": {
			"reviews": {"env": "dg", "region": "east", "callee": "reviews", "port": float64(8091), "upstream": "east"},  // reviews runs in east
			"ratings": {"env": "dg", "region": "east", "callee": "ratings", "port": float64(8093), "upstream": "north"}, // only in north
		},
		"west": {
			"reviews": {"env": "dg", "region": "west", "callee": "reviews", "port": float64(8091), "upstream": "east"}, // its first region
			"ratings": {"env": "dg", "region": "west", "callee": "ratings", "port": float64(8093), "upstream": "north"},
		},
	} {
		reg := runRegion(t, topo, region)
		for callee, in := range want {
			link, ok := reg[contract.TypeLocalLink+"::"+callee]
			if !ok {
				t.Fatalf("%s: no link to %s", region, callee)
			}
			if got := link.inputs.Mappable(); !reflect.DeepEqual(got, in) {
				t.Errorf("%s: link to %s = %v, want %v", region, callee, got, in)
			}
		}
		group := reg[contract.TypeLocalInstanceGroup+"::shop"]
		for _, callee := range []string{"reviews", "ratings"} {
			if !slices.Contains(group.deps, contract.TypeLocalLink+"::"+callee) {
				t.Errorf("%s: shop's group depends on %v, not its link to %s", region, group.deps, callee)
			}
		}
	}
	if admin := east[contract.TypeLocalInstanceGroup+"::admin"]; !slices.Contains(admin.deps, contract.TypeLocalLink+"::reviews") ||
		slices.Contains(admin.deps, contract.TypeLocalLink+"::ratings") {
		t.Errorf("admin's group depends on %v: want the shared link to reviews, not ratings'", admin.deps)
	}
	// nothing in north calls anything
	if links := ofType(runRegion(t, topo, "north"), contract.TypeLocalLink); len(links) != 0 {
		t.Errorf("north has links %v", links)
	}
}

func TestGroupDependenciesAsDeclared(t *testing.T) {
	reg := runRegion(t, degradeTopology(t), "west")
	got := reg[contract.TypeLocalInstanceGroup+"::shop"].inputs["dependencies"]
	want := []any{
		map[string]any{"name": "reviews", "need": "soft", "timeoutMs": float64(300), "tries": float64(2), "backoffMs": float64(50), "onFailure": "serve-cached"},
		map[string]any{"name": "ratings", "need": "hard", "timeoutMs": float64(1000), "tries": float64(1), "backoffMs": float64(0), "onFailure": "fail"},
		map[string]any{"name": "cards", "need": "hard", "timeoutMs": float64(2000), "tries": float64(3), "backoffMs": float64(100), "onFailure": "queue-writes"},
	}
	if !got.IsArray() || !reflect.DeepEqual(got.Mappable(), want) {
		t.Errorf("shop's group dependencies = %v, want %v", got, want)
	}
}

func TestCacheAfterTheLoadBalancer(t *testing.T) {
	topo := degradeTopology(t)
	for region, origins := range map[string][]any{"east": {"east", "west"}, "west": {"west", "east"}} {
		reg := runRegion(t, topo, region)
		c, ok := reg[contract.TypeLocalCache+"::shop"]
		if !ok {
			t.Fatalf("%s: no cache for shop", region)
		}
		want := map[string]any{"env": "dg", "region": region, "service": "shop", "port": float64(8090),
			"paths": []any{"/catalog", "/static"}, "ttlMs": float64(2000), "staleForMs": float64(3600000), "origins": origins}
		if got := c.inputs.Mappable(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache inputs %v, want %v", region, got, want)
		}
		if !slices.Contains(c.deps, contract.TypeLocalLoadBalancer+"::shop") {
			t.Errorf("%s: the cache depends on %v, not shop's load balancer", region, c.deps)
		}
		vars := reg[contract.TypeLocalInstanceGroup+"::shop"].inputs["vars"]
		if !vars.IsObject() || vars.ObjectValue()[contract.CacheControl].StringValue() != "public, max-age=2, stale-if-error=3600" {
			t.Errorf("%s: shop's group vars %v, want %s for its cached answers", region, vars, contract.CacheControl)
		}
	}
}

func TestCallerTimeoutOnTheCalledBalancers(t *testing.T) {
	topo := degradeTopology(t)
	east, north := runRegion(t, topo, "east"), runRegion(t, topo, "north")
	for _, c := range []struct {
		reg     map[string]registered
		service string
		want    float64 // 0: absent
	}{
		{east, "reviews", 800}, {north, "reviews", 800}, // shop's 300ms and admin's 800ms: the longest
		{north, "ratings", 1000},
		{east, "shop", 0}, {east, "plain", 0}, {east, "admin", 0},
	} {
		v, ok := c.reg[contract.TypeLocalLoadBalancer+"::"+c.service].inputs["callerTimeoutMs"]
		switch {
		case c.want == 0 && ok:
			t.Errorf("%s's balancer has callerTimeoutMs %v, yet nothing calls it", c.service, v)
		case c.want != 0 && (!ok || v.NumberValue() != c.want):
			t.Errorf("%s's balancer callerTimeoutMs = %v, want %v", c.service, v, c.want)
		}
	}
}

// A service without the degradation blocks is declared as before: the
// same inputs, and none of the new resources.
func TestPlainServiceUnchanged(t *testing.T) {
	reg := runRegion(t, degradeTopology(t), "east")
	group := reg[contract.TypeLocalInstanceGroup+"::plain"].inputs
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range group.Mappable() {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"desired", "env", "health", "imageDigest", "imagePath", "max", "min", "port", "region", "service", "zones"}
	if !slices.Equal(keys, want) {
		t.Errorf("plain's group inputs %v, want %v", keys, want)
	}
	lb := reg[contract.TypeLocalLoadBalancer+"::plain"].inputs.Mappable()
	if len(lb) != 5 {
		t.Errorf("plain's balancer inputs %v, want env, region, service, port and health", lb)
	}
	for _, typ := range []string{contract.TypeLocalWriteQueue, contract.TypeLocalCache, contract.TypeLocalLink} {
		if _, ok := reg[typ+"::plain"]; ok {
			t.Errorf("plain has a %s", typ)
		}
	}
	// reviews is called but declares nothing itself: only its balancer changes
	if rg := reg[contract.TypeLocalInstanceGroup+"::reviews"].inputs; rg["dependencies"].V != nil || rg["writeQueue"].V != nil || rg["vars"].V != nil {
		t.Errorf("reviews's group inputs %v", rg)
	}
}

// The stack's outputs carry the queue's URL and the cache's address.
func TestDegradeOutputs(t *testing.T) {
	p, err := plan.Build(context.Background(), degradeTopology(t), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Stacks {
		if s.Stack != "dg.west" {
			continue
		}
		services, _ := s.Outputs[contract.OutputServices].(map[string]any)
		shop, _ := services["shop"].(map[string]any)
		for _, k := range []string{contract.OutputQueue, contract.OutputCache} {
			if _, ok := shop[k]; !ok {
				t.Errorf("shop's outputs in west %v lack %s", shop, k)
			}
		}
		plain, _ := services["plain"].(map[string]any)
		for _, k := range []string{contract.OutputQueue, contract.OutputCache} {
			if _, ok := plain[k]; ok {
				t.Errorf("plain's outputs have %s", k)
			}
		}
		return
	}
	t.Fatal("no stack dg.west")
}

// The example environment, environments/dev-degrade.hcl, as its file
// declares it: per region, shop's queue and cache, the link to reviews in
// the region, and reviews's balancer bounded by shop's timeout.
func TestDevDegradeEnvironment(t *testing.T) {
	proj, err := project.Find("../..")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := proj.LoadEnvironment("dev-degrade")
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range topo.RegionNames() {
		reg := runRegion(t, topo, region)
		for _, k := range []string{contract.TypeLocalWriteQueue + "::shop", contract.TypeLocalCache + "::shop", contract.TypeLocalLink + "::reviews"} {
			if _, ok := reg[k]; !ok {
				t.Errorf("%s: no %s", region, k)
			}
		}
		if up := reg[contract.TypeLocalLink+"::reviews"].inputs["upstream"]; !up.IsString() || up.StringValue() != region {
			t.Errorf("%s: the link to reviews leads to %v, want the region's own balancer", region, up)
		}
		if v := reg[contract.TypeLocalLoadBalancer+"::reviews"].inputs["callerTimeoutMs"]; !v.IsNumber() || v.NumberValue() != 300 {
			t.Errorf("%s: reviews's balancer callerTimeoutMs = %v, want shop's 300", region, v)
		}
		if deps := reg[contract.TypeLocalInstanceGroup+"::shop"].inputs["dependencies"]; !deps.IsArray() || len(deps.ArrayValue()) != 1 {
			t.Errorf("%s: shop's group dependencies %v", region, deps)
		}
	}
}
