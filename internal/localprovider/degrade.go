package localprovider

import (
	"context"
	"reflect"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// The degradation parts of a region: a service's write queue (NATS
// JetStream) and its cache (nginx), and the region's link (Toxiproxy) to
// a service it calls. Each listens on its own address of the region's
// range at a service's port, so the port, like the names, replaces it;
// what it does with what it holds (how long a queued write is kept, what
// is cached and for how long, where a link leads) is an update.

// DependencyArgs is one thing an instance group's service calls
// (contract.Dependency without its URL, which the control plane fills
// with the region's link to it).
type DependencyArgs struct {
	Name      string `pulumi:"name"`
	Need      string `pulumi:"need"`
	TimeoutMs int    `pulumi:"timeoutMs"`
	Tries     int    `pulumi:"tries"`
	BackoffMs int    `pulumi:"backoffMs"`
	OnFailure string `pulumi:"onFailure"`
}

func (d DependencyArgs) dependency() contract.Dependency {
	return contract.Dependency{Name: d.Name, Need: d.Need, TimeoutMS: int64(d.TimeoutMs), Tries: d.Tries,
		BackoffMS: int64(d.BackoffMs), OnFailure: d.OnFailure}
}

func dependencies(args []DependencyArgs) []contract.Dependency {
	if len(args) == 0 {
		return nil
	}
	out := make([]contract.Dependency, len(args))
	for i, d := range args {
		out[i] = d.dependency()
	}
	return out
}

func msOf(d time.Duration) int { return int(d.Milliseconds()) }

// changed adds an update to diff for each named input whose values differ.
func changed(diff map[string]p.PropertyDiff, inputs map[string][2]any) {
	for name, v := range inputs {
		if !reflect.DeepEqual(v[0], v[1]) {
			diff[name] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
		}
	}
}

// WriteQueue is a service's write queue in one region: NATS with
// JetStream (the local SQS queue).
type WriteQueue struct{}

// WriteQueueArgs are the queue's inputs.
type WriteQueueArgs struct {
	Env     string `pulumi:"env" provider:"replaceOnChanges"`
	Region  string `pulumi:"region" provider:"replaceOnChanges"`
	Service string `pulumi:"service" provider:"replaceOnChanges"`
	// Port is where it listens on 127.0.R.5: its service's port.
	Port int `pulumi:"port" provider:"replaceOnChanges"`
	// Stream is the JetStream stream, and its subject.
	Stream string `pulumi:"stream" provider:"replaceOnChanges"`
	// KeepSeconds is how long a queued write is kept (the stream's max age).
	KeepSeconds int `pulumi:"keepSeconds"`
	// MaxReceives is how often a write is delivered before it is given up.
	MaxReceives int `pulumi:"maxReceives"`
}

// WriteQueueState adds where it answers and whether it runs.
type WriteQueueState struct {
	WriteQueueArgs
	Url     string `pulumi:"url"`
	Running bool   `pulumi:"running"`
}

func (*WriteQueue) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "WriteQueue")
	a.Describe(&WriteQueue{}, "A service's durable write queue in a region: NATS with JetStream on 127.0.R.5, at the service's port.")
}

func (a WriteQueueArgs) spec() localapi.QueueSpec {
	return localapi.QueueSpec{Env: a.Env, Region: a.Region, Service: a.Service, Port: a.Port, Stream: a.Stream,
		Keep: time.Duration(a.KeepSeconds) * time.Second, MaxReceives: a.MaxReceives}
}

func queueArgs(q localapi.QueueSpec) WriteQueueArgs {
	return WriteQueueArgs{Env: q.Env, Region: q.Region, Service: q.Service, Port: q.Port, Stream: q.Stream,
		KeepSeconds: int(q.Keep / time.Second), MaxReceives: q.MaxReceives}
}

// put starts or updates the queue.
func (a WriteQueueArgs) put(ctx context.Context) (WriteQueueState, error) {
	c, err := client(ctx)
	if err != nil {
		return WriteQueueState{}, err
	}
	q, err := localapi.Put(ctx, c, localapi.Queues, a.spec())
	return WriteQueueState{WriteQueueArgs: a, Url: q.URL, Running: q.Running}, wrap("write queue "+a.spec().ID().String(), err)
}

func (*WriteQueue) Create(ctx context.Context, req infer.CreateRequest[WriteQueueArgs]) (infer.CreateResponse[WriteQueueState], error) {
	id := req.Inputs.spec().ID().String()
	if req.DryRun {
		return infer.CreateResponse[WriteQueueState]{ID: id, Output: WriteQueueState{WriteQueueArgs: req.Inputs}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.CreateResponse[WriteQueueState]{ID: id, Output: st}, err
}

// Diff replaces a queue of another service, region, port or stream,
// updates how long writes are kept and how often they are delivered, and
// repairs a queue that is not running (drift).
func (*WriteQueue) Diff(ctx context.Context, req infer.DiffRequest[WriteQueueArgs, WriteQueueState]) (infer.DiffResponse, error) {
	o, n := req.State.WriteQueueArgs, req.Inputs
	d := p.DiffResponse{DeleteBeforeReplace: true, DetailedDiff: replacements(o, n)}
	changed(d.DetailedDiff, map[string][2]any{"keepSeconds": {o.KeepSeconds, n.KeepSeconds}, "maxReceives": {o.MaxReceives, n.MaxReceives}})
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*WriteQueue) Update(ctx context.Context, req infer.UpdateRequest[WriteQueueArgs, WriteQueueState]) (infer.UpdateResponse[WriteQueueState], error) {
	if req.DryRun {
		return infer.UpdateResponse[WriteQueueState]{Output: WriteQueueState{WriteQueueArgs: req.Inputs, Url: req.State.Url, Running: true}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.UpdateResponse[WriteQueueState]{Output: st}, err
}

// Read reports the queue as the control plane holds it.
func (*WriteQueue) Read(ctx context.Context, req infer.ReadRequest[WriteQueueArgs, WriteQueueState]) (infer.ReadResponse[WriteQueueArgs, WriteQueueState], error) {
	q, found, err := read(ctx, localapi.Queues, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[WriteQueueArgs, WriteQueueState]{}, err
	}
	in := queueArgs(q.QueueSpec)
	st := WriteQueueState{WriteQueueArgs: in, Url: q.URL, Running: q.Running}
	return infer.ReadResponse[WriteQueueArgs, WriteQueueState]{ID: req.ID, Inputs: in, State: st}, nil
}

func (*WriteQueue) Delete(ctx context.Context, req infer.DeleteRequest[WriteQueueState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Queues, req.ID, "write queue "+req.ID)
}

// Cache is a cache (nginx) in front of a service's load balancers in one
// region, serving its cached paths stale while every origin fails (the
// local CloudFront with an origin group).
type Cache struct{}

// CacheArgs are the cache's inputs.
type CacheArgs struct {
	Env     string `pulumi:"env" provider:"replaceOnChanges"`
	Region  string `pulumi:"region" provider:"replaceOnChanges"`
	Service string `pulumi:"service" provider:"replaceOnChanges"`
	// Port is where it listens on 127.0.R.6: its service's port.
	Port int `pulumi:"port" provider:"replaceOnChanges"`
	// Paths are the cached path prefixes; others pass through.
	Paths []string `pulumi:"paths"`
	// TtlMs is how long an answer is fresh, StaleForMs how long past it
	// it is served while the origins fail.
	TtlMs      int `pulumi:"ttlMs"`
	StaleForMs int `pulumi:"staleForMs"`
	// Origins are the regions whose balancers it proxies to, the first
	// the primary origin and the others its backups.
	Origins []string `pulumi:"origins"`
}

// CacheState adds where it listens and whether it runs.
type CacheState struct {
	CacheArgs
	Address string `pulumi:"address"`
	Running bool   `pulumi:"running"`
}

func (*Cache) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Cache")
	a.Describe(&Cache{}, "nginx on 127.0.R.6, at its service's port, in front of the service's load balancers: its paths cached, and served stale while every origin fails.")
}

func (a CacheArgs) spec() localapi.CacheSpec {
	return localapi.CacheSpec{Env: a.Env, Region: a.Region, Service: a.Service, Port: a.Port, Paths: a.Paths,
		TTL: ms(a.TtlMs), StaleFor: ms(a.StaleForMs), Origins: a.Origins}
}

func cacheArgs(c localapi.CacheSpec) CacheArgs {
	return CacheArgs{Env: c.Env, Region: c.Region, Service: c.Service, Port: c.Port, Paths: c.Paths,
		TtlMs: msOf(c.TTL), StaleForMs: msOf(c.StaleFor), Origins: c.Origins}
}

// put starts or updates the cache.
func (a CacheArgs) put(ctx context.Context) (CacheState, error) {
	c, err := client(ctx)
	if err != nil {
		return CacheState{}, err
	}
	k, err := localapi.Put(ctx, c, localapi.Caches, a.spec())
	return CacheState{CacheArgs: a, Address: k.Address, Running: k.Running}, wrap("cache "+a.spec().ID().String(), err)
}

func (*Cache) Create(ctx context.Context, req infer.CreateRequest[CacheArgs]) (infer.CreateResponse[CacheState], error) {
	id := req.Inputs.spec().ID().String()
	if req.DryRun {
		return infer.CreateResponse[CacheState]{ID: id, Output: CacheState{CacheArgs: req.Inputs}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.CreateResponse[CacheState]{ID: id, Output: st}, err
}

// Diff replaces a cache of another service, region or port, updates its
// paths, times and origins, and repairs one that is not running (drift).
func (*Cache) Diff(ctx context.Context, req infer.DiffRequest[CacheArgs, CacheState]) (infer.DiffResponse, error) {
	o, n := req.State.CacheArgs, req.Inputs
	d := p.DiffResponse{DeleteBeforeReplace: true, DetailedDiff: replacements(o, n)}
	changed(d.DetailedDiff, map[string][2]any{
		"paths": {nonNil(o.Paths), nonNil(n.Paths)}, "ttlMs": {o.TtlMs, n.TtlMs},
		"staleForMs": {o.StaleForMs, n.StaleForMs}, "origins": {nonNil(o.Origins), nonNil(n.Origins)},
	})
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*Cache) Update(ctx context.Context, req infer.UpdateRequest[CacheArgs, CacheState]) (infer.UpdateResponse[CacheState], error) {
	if req.DryRun {
		return infer.UpdateResponse[CacheState]{Output: CacheState{CacheArgs: req.Inputs, Address: req.State.Address, Running: true}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.UpdateResponse[CacheState]{Output: st}, err
}

// Read reports the cache as the control plane holds it.
func (*Cache) Read(ctx context.Context, req infer.ReadRequest[CacheArgs, CacheState]) (infer.ReadResponse[CacheArgs, CacheState], error) {
	k, found, err := read(ctx, localapi.Caches, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[CacheArgs, CacheState]{}, err
	}
	in := cacheArgs(k.CacheSpec)
	st := CacheState{CacheArgs: in, Address: k.Address, Running: k.Running}
	return infer.ReadResponse[CacheArgs, CacheState]{ID: req.ID, Inputs: in, State: st}, nil
}

func (*Cache) Delete(ctx context.Context, req infer.DeleteRequest[CacheState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Caches, req.ID, "cache "+req.ID)
}

// Link is a region's link to a service it calls: a Toxiproxy proxy that
// drills slow or cut.
type Link struct{}

// LinkArgs are the link's inputs.
type LinkArgs struct {
	Env    string `pulumi:"env" provider:"replaceOnChanges"`
	Region string `pulumi:"region" provider:"replaceOnChanges"`
	// Callee is the service it leads to.
	Callee string `pulumi:"callee" provider:"replaceOnChanges"`
	// Port is where it listens on 127.0.R.7: the callee's port.
	Port int `pulumi:"port" provider:"replaceOnChanges"`
	// Upstream is the region whose balancer of the callee it leads to.
	Upstream string `pulumi:"upstream"`
}

// LinkState adds where callers reach it and whether it runs.
type LinkState struct {
	LinkArgs
	Address string `pulumi:"address"`
	Running bool   `pulumi:"running"`
}

func (*Link) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Link")
	a.Describe(&Link{}, "A region's link to a service it calls: a Toxiproxy proxy on 127.0.R.7, at the callee's port, to the callee's load balancer.")
}

func (a LinkArgs) spec() localapi.LinkSpec {
	return localapi.LinkSpec{Env: a.Env, Region: a.Region, Callee: a.Callee, Port: a.Port, Upstream: a.Upstream}
}

func linkArgs(l localapi.LinkSpec) LinkArgs {
	return LinkArgs{Env: l.Env, Region: l.Region, Callee: l.Callee, Port: l.Port, Upstream: l.Upstream}
}

// put starts or updates the link.
func (a LinkArgs) put(ctx context.Context) (LinkState, error) {
	c, err := client(ctx)
	if err != nil {
		return LinkState{}, err
	}
	l, err := localapi.Put(ctx, c, localapi.Links, a.spec())
	return LinkState{LinkArgs: a, Address: l.Address, Running: l.Running}, wrap("link "+a.spec().ID().String(), err)
}

func (*Link) Create(ctx context.Context, req infer.CreateRequest[LinkArgs]) (infer.CreateResponse[LinkState], error) {
	id := req.Inputs.spec().ID().String()
	if req.DryRun {
		return infer.CreateResponse[LinkState]{ID: id, Output: LinkState{LinkArgs: req.Inputs}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.CreateResponse[LinkState]{ID: id, Output: st}, err
}

// Diff replaces a link of another region, callee or port, updates where
// it leads, and repairs one that is not running (drift).
func (*Link) Diff(ctx context.Context, req infer.DiffRequest[LinkArgs, LinkState]) (infer.DiffResponse, error) {
	o, n := req.State.LinkArgs, req.Inputs
	d := p.DiffResponse{DeleteBeforeReplace: true, DetailedDiff: replacements(o, n)}
	changed(d.DetailedDiff, map[string][2]any{"upstream": {o.Upstream, n.Upstream}})
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*Link) Update(ctx context.Context, req infer.UpdateRequest[LinkArgs, LinkState]) (infer.UpdateResponse[LinkState], error) {
	if req.DryRun {
		return infer.UpdateResponse[LinkState]{Output: LinkState{LinkArgs: req.Inputs, Address: req.State.Address, Running: true}}, nil
	}
	st, err := req.Inputs.put(ctx)
	return infer.UpdateResponse[LinkState]{Output: st}, err
}

// Read reports the link as the control plane holds it (a drill's fault
// on it is no drift: the drill heals it).
func (*Link) Read(ctx context.Context, req infer.ReadRequest[LinkArgs, LinkState]) (infer.ReadResponse[LinkArgs, LinkState], error) {
	l, found, err := read(ctx, localapi.Links, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[LinkArgs, LinkState]{}, err
	}
	in := linkArgs(l.LinkSpec)
	st := LinkState{LinkArgs: in, Address: l.Address, Running: l.Running}
	return infer.ReadResponse[LinkArgs, LinkState]{ID: req.ID, Inputs: in, State: st}, nil
}

func (*Link) Delete(ctx context.Context, req infer.DeleteRequest[LinkState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Links, req.ID, "link "+req.ID)
}

// nonNil makes an absent list and an empty one equal in a diff.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var (
	_ infer.CustomDiff[WriteQueueArgs, WriteQueueState]   = (*WriteQueue)(nil)
	_ infer.CustomUpdate[WriteQueueArgs, WriteQueueState] = (*WriteQueue)(nil)
	_ infer.CustomRead[WriteQueueArgs, WriteQueueState]   = (*WriteQueue)(nil)
	_ infer.CustomDelete[WriteQueueState]                 = (*WriteQueue)(nil)
	_ infer.CustomDiff[CacheArgs, CacheState]             = (*Cache)(nil)
	_ infer.CustomUpdate[CacheArgs, CacheState]           = (*Cache)(nil)
	_ infer.CustomRead[CacheArgs, CacheState]             = (*Cache)(nil)
	_ infer.CustomDelete[CacheState]                      = (*Cache)(nil)
	_ infer.CustomDiff[LinkArgs, LinkState]               = (*Link)(nil)
	_ infer.CustomUpdate[LinkArgs, LinkState]             = (*Link)(nil)
	_ infer.CustomRead[LinkArgs, LinkState]               = (*Link)(nil)
	_ infer.CustomDelete[LinkState]                       = (*Link)(nil)
)
