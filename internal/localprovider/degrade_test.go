package localprovider

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// diffKinds is a diff's detailed kinds (nil when it has no changes), and
// an error when HasChanges disagrees with them.
func diffKinds(t *testing.T, d p.DiffResponse, err error) map[string]p.DiffKind {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if d.HasChanges != (len(d.DetailedDiff) > 0) {
		t.Errorf("HasChanges %v with %v", d.HasChanges, d.DetailedDiff)
	}
	if len(d.DetailedDiff) == 0 {
		return nil
	}
	out := map[string]p.DiffKind{}
	for k, v := range d.DetailedDiff {
		out[k] = v.Kind
	}
	return out
}

func TestWriteQueueMapping(t *testing.T) {
	a := WriteQueueArgs{Env: "dev", Region: "east", Service: "shop", Port: 8090, Stream: "bulwark-dev-shop-writes", KeepSeconds: 86400, MaxReceives: 5}
	want := localapi.QueueSpec{Env: "dev", Region: "east", Service: "shop", Port: 8090, Stream: "bulwark-dev-shop-writes", Keep: 24 * time.Hour, MaxReceives: 5}
	if s := a.spec(); s != want || s.ID().String() != "dev/east/shop" {
		t.Errorf("spec = %+v, want %+v", s, want)
	}
	if back := queueArgs(a.spec()); back != a {
		t.Errorf("the spec read back = %+v, want %+v", back, a)
	}
}

func TestCacheMapping(t *testing.T) {
	a := CacheArgs{Env: "dev", Region: "west", Service: "shop", Port: 8090, Paths: []string{"/catalog"}, TtlMs: 2000, StaleForMs: 3600000, Origins: []string{"west", "east"}}
	want := localapi.CacheSpec{Env: "dev", Region: "west", Service: "shop", Port: 8090, Paths: []string{"/catalog"}, TTL: 2 * time.Second, StaleFor: time.Hour, Origins: []string{"west", "east"}}
	if s := a.spec(); !reflect.DeepEqual(s, want) || s.ID().String() != "dev/west/shop" {
		t.Errorf("spec = %+v, want %+v", s, want)
	}
	if back := cacheArgs(a.spec()); !reflect.DeepEqual(back, a) {
		t.Errorf("the spec read back = %+v, want %+v", back, a)
	}
}

func TestLinkMapping(t *testing.T) {
	a := LinkArgs{Env: "dev", Region: "west", Callee: "reviews", Port: 8091, Upstream: "east"}
	want := localapi.LinkSpec{Env: "dev", Region: "west", Callee: "reviews", Port: 8091, Upstream: "east"}
	if s := a.spec(); s != want || s.ID().String() != "dev/west/reviews" {
		t.Errorf("spec = %+v, want %+v", s, want)
	}
	if back := linkArgs(a.spec()); back != a {
		t.Errorf("the spec read back = %+v, want %+v", back, a)
	}
}

// The group's dependencies reach the plane as the runtime contract's,
// URLs empty for the plane to fill; the balancer's caller timeout as a
// duration.
func TestGroupAndBalancerCarryTheDegradationInputs(t *testing.T) {
	g := InstanceGroupArgs{Env: "dev", Region: "east", Service: "shop", WriteQueue: true, Dependencies: []DependencyArgs{
		{Name: "reviews", Need: "soft", TimeoutMs: 300, Tries: 2, BackoffMs: 50, OnFailure: "serve-cached"},
		{Name: "cards", Need: "hard", TimeoutMs: 2000, Tries: 1, OnFailure: "fail"},
	}}
	s := g.spec()
	want := []contract.Dependency{
		{Name: "reviews", Need: "soft", TimeoutMS: 300, Tries: 2, BackoffMS: 50, OnFailure: "serve-cached"},
		{Name: "cards", Need: "hard", TimeoutMS: 2000, Tries: 1, OnFailure: "fail"},
	}
	if !s.WriteQueue || !reflect.DeepEqual(s.Dependencies, want) {
		t.Errorf("group spec writeQueue %v, dependencies %+v; want %+v", s.WriteQueue, s.Dependencies, want)
	}
	// what the plane decodes is what the instances' client reads
	decoded, err := contract.DecodeDependencies(contract.EncodeDependencies(s.Dependencies))
	if err != nil || !reflect.DeepEqual(decoded, want) {
		t.Errorf("the dependencies round-trip to %+v (%v)", decoded, err)
	}
	if s := (InstanceGroupArgs{}).spec(); s.Dependencies != nil || s.WriteQueue {
		t.Errorf("a group without dependencies sends %+v", s.Dependencies)
	}
	lb := LoadBalancerArgs{Env: "dev", Region: "east", Service: "reviews", Port: 8091, CallerTimeoutMs: 800}
	if got := lb.spec().CallerTimeout; got != 800*time.Millisecond {
		t.Errorf("balancer caller timeout = %v", got)
	}
}

func TestCallerTimeoutIsAnUpdate(t *testing.T) {
	base := LoadBalancerArgs{Env: "dev", Region: "east", Service: "reviews", Port: 8091}
	n := base
	n.CallerTimeoutMs = 800
	d, err := (&LoadBalancer{}).Diff(context.Background(), infer.DiffRequest[LoadBalancerArgs, LoadBalancerState]{ID: "dev/east/reviews",
		State: LoadBalancerState{LoadBalancerArgs: base, Running: true}, Inputs: n})
	if got := diffKinds(t, d, err); !reflect.DeepEqual(got, map[string]p.DiffKind{"callerTimeoutMs": p.Update}) {
		t.Errorf("diff = %v, want callerTimeoutMs updated", got)
	}
}

func TestWriteQueueDiff(t *testing.T) {
	base := WriteQueueArgs{Env: "dev", Region: "east", Service: "shop", Port: 8090, Stream: "s", KeepSeconds: 60, MaxReceives: 5}
	running := WriteQueueState{WriteQueueArgs: base, Url: "nats://127.0.1.5:8090", Running: true}
	for _, c := range []struct {
		name   string
		state  WriteQueueState
		change func(*WriteQueueArgs)
		want   map[string]p.DiffKind
	}{
		{"unchanged", running, func(*WriteQueueArgs) {}, nil},
		{"port replaces", running, func(a *WriteQueueArgs) { a.Port = 9090 }, map[string]p.DiffKind{"port": p.UpdateReplace}},
		{"stream replaces", running, func(a *WriteQueueArgs) { a.Stream = "t" }, map[string]p.DiffKind{"stream": p.UpdateReplace}},
		{"service replaces", running, func(a *WriteQueueArgs) { a.Service = "x" }, map[string]p.DiffKind{"service": p.UpdateReplace}},
		{"keep updates", running, func(a *WriteQueueArgs) { a.KeepSeconds = 120 }, map[string]p.DiffKind{"keepSeconds": p.Update}},
		{"max receives updates", running, func(a *WriteQueueArgs) { a.MaxReceives = 9 }, map[string]p.DiffKind{"maxReceives": p.Update}},
		{"a dead queue is repaired", WriteQueueState{WriteQueueArgs: base}, func(*WriteQueueArgs) {}, map[string]p.DiffKind{"running": p.Update}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.change(&in)
			d, err := (&WriteQueue{}).Diff(context.Background(), infer.DiffRequest[WriteQueueArgs, WriteQueueState]{ID: "dev/east/shop", State: c.state, Inputs: in})
			if got := diffKinds(t, d, err); !reflect.DeepEqual(got, c.want) {
				t.Errorf("diff = %v, want %v", got, c.want)
			}
			if c.want != nil && !d.DeleteBeforeReplace {
				t.Error("a queue at the same address must go before its replacement comes")
			}
		})
	}
}

func TestCacheDiff(t *testing.T) {
	base := CacheArgs{Env: "dev", Region: "east", Service: "shop", Port: 8090, Paths: []string{"/catalog"}, TtlMs: 2000, StaleForMs: 60000, Origins: []string{"east", "west"}}
	running := CacheState{CacheArgs: base, Address: "127.0.1.6:8090", Running: true}
	for _, c := range []struct {
		name   string
		state  CacheState
		change func(*CacheArgs)
		want   map[string]p.DiffKind
	}{
		{"unchanged", running, func(*CacheArgs) {}, nil},
		{"the same paths in a new slice", running, func(a *CacheArgs) { a.Paths = slices.Clone(a.Paths) }, nil},
		{"port replaces", running, func(a *CacheArgs) { a.Port = 9090 }, map[string]p.DiffKind{"port": p.UpdateReplace}},
		{"region replaces", running, func(a *CacheArgs) { a.Region = "west" }, map[string]p.DiffKind{"region": p.UpdateReplace}},
		{"ttl updates", running, func(a *CacheArgs) { a.TtlMs = 5000 }, map[string]p.DiffKind{"ttlMs": p.Update}},
		{"stale-for updates", running, func(a *CacheArgs) { a.StaleForMs = 1 }, map[string]p.DiffKind{"staleForMs": p.Update}},
		{"paths update", running, func(a *CacheArgs) { a.Paths = []string{"/catalog", "/static"} }, map[string]p.DiffKind{"paths": p.Update}},
		{"origins' order updates", running, func(a *CacheArgs) { a.Origins = []string{"west", "east"} }, map[string]p.DiffKind{"origins": p.Update}},
		{"a dead cache is repaired", CacheState{CacheArgs: base}, func(*CacheArgs) {}, map[string]p.DiffKind{"running": p.Update}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.change(&in)
			d, err := (&Cache{}).Diff(context.Background(), infer.DiffRequest[CacheArgs, CacheState]{ID: "dev/east/shop", State: c.state, Inputs: in})
			if got := diffKinds(t, d, err); !reflect.DeepEqual(got, c.want) {
				t.Errorf("diff = %v, want %v", got, c.want)
			}
		})
	}
}

func TestLinkDiff(t *testing.T) {
	base := LinkArgs{Env: "dev", Region: "west", Callee: "reviews", Port: 8091, Upstream: "east"}
	running := LinkState{LinkArgs: base, Address: "127.0.2.7:8091", Running: true}
	for _, c := range []struct {
		name   string
		state  LinkState
		change func(*LinkArgs)
		want   map[string]p.DiffKind
	}{
		{"unchanged", running, func(*LinkArgs) {}, nil},
		{"port replaces", running, func(a *LinkArgs) { a.Port = 9091 }, map[string]p.DiffKind{"port": p.UpdateReplace}},
		{"callee replaces", running, func(a *LinkArgs) { a.Callee = "ratings" }, map[string]p.DiffKind{"callee": p.UpdateReplace}},
		{"upstream updates", running, func(a *LinkArgs) { a.Upstream = "west" }, map[string]p.DiffKind{"upstream": p.Update}},
		{"a dead link is repaired", LinkState{LinkArgs: base}, func(*LinkArgs) {}, map[string]p.DiffKind{"running": p.Update}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.change(&in)
			d, err := (&Link{}).Diff(context.Background(), infer.DiffRequest[LinkArgs, LinkState]{ID: "dev/west/reviews", State: c.state, Inputs: in})
			if got := diffKinds(t, d, err); !reflect.DeepEqual(got, c.want) {
				t.Errorf("diff = %v, want %v", got, c.want)
			}
		})
	}
}

// Review reads the same replace keys the diffs honour.
func TestDegradationReplaceKeys(t *testing.T) {
	keys := ReplaceOnChanges()
	for typ, want := range map[string][]string{
		contract.TypeLocalWriteQueue: {"env", "region", "service", "port", "stream"},
		contract.TypeLocalCache:      {"env", "region", "service", "port"},
		contract.TypeLocalLink:       {"env", "region", "callee", "port"},
	} {
		if got := keys[typ]; !slices.Equal(got, want) {
			t.Errorf("%s replace keys %v, want %v", typ, got, want)
		}
	}
	if lb := keys[contract.TypeLocalLoadBalancer]; slices.Contains(lb, "callerTimeoutMs") {
		t.Errorf("a caller timeout replaces the balancer: %v", lb)
	}
}

// A preview of a create shows the inputs and no address yet; an update's
// preview keeps the address.
func TestDegradationPreviews(t *testing.T) {
	ctx := context.Background()
	q, err := (&WriteQueue{}).Create(ctx, infer.CreateRequest[WriteQueueArgs]{DryRun: true, Inputs: WriteQueueArgs{Env: "dev", Region: "east", Service: "shop", Port: 8090}})
	if err != nil || q.ID != "dev/east/shop" || q.Output.Url != "" || q.Output.Port != 8090 {
		t.Errorf("queue preview = %+v %v", q, err)
	}
	c, err := (&Cache{}).Update(ctx, infer.UpdateRequest[CacheArgs, CacheState]{DryRun: true, ID: "dev/east/shop",
		State: CacheState{Address: "127.0.1.6:8090"}, Inputs: CacheArgs{Env: "dev", TtlMs: 9}})
	if err != nil || c.Output.Address != "127.0.1.6:8090" || c.Output.TtlMs != 9 {
		t.Errorf("cache update preview = %+v %v", c, err)
	}
	l, err := (&Link{}).Create(ctx, infer.CreateRequest[LinkArgs]{DryRun: true, Inputs: LinkArgs{Env: "dev", Region: "west", Callee: "reviews"}})
	if err != nil || l.ID != "dev/west/reviews" {
		t.Errorf("link preview = %+v %v", l, err)
	}
}
