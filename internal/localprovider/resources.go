package localprovider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Region is a region's loopback range.
type Region struct{}

// RegionArgs names the region.
type RegionArgs struct {
	Env  string `pulumi:"env" provider:"replaceOnChanges"`
	Name string `pulumi:"name" provider:"replaceOnChanges"`
}

// RegionState is the allocated range.
type RegionState struct {
	RegionArgs
	Index           int    `pulumi:"index"`
	Cidr            string `pulumi:"cidr"`
	BalancerAddress string `pulumi:"balancerAddress"`
}

func (*Region) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Region")
	a.Describe(&Region{}, "A region of the local target: a loopback range 127.0.R.0/24.")
}

func regionState(r localapi.Region) RegionState {
	return RegionState{RegionArgs: RegionArgs{Env: r.Env, Name: r.Name}, Index: r.Index, Cidr: r.CIDR(), BalancerAddress: r.BalancerAddress()}
}

func (*Region) Create(ctx context.Context, req infer.CreateRequest[RegionArgs]) (infer.CreateResponse[RegionState], error) {
	spec := localapi.RegionSpec{Env: req.Inputs.Env, Name: req.Inputs.Name}
	id := spec.ID().String()
	if req.DryRun {
		return infer.CreateResponse[RegionState]{ID: id, Output: RegionState{RegionArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[RegionState]{}, err
	}
	r, err := localapi.Put(ctx, c, localapi.Regions, spec)
	return infer.CreateResponse[RegionState]{ID: id, Output: regionState(r)}, wrap("region "+id, err)
}

func (*Region) Read(ctx context.Context, req infer.ReadRequest[RegionArgs, RegionState]) (infer.ReadResponse[RegionArgs, RegionState], error) {
	r, found, err := read(ctx, localapi.Regions, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[RegionArgs, RegionState]{}, err
	}
	st := regionState(r)
	return infer.ReadResponse[RegionArgs, RegionState]{ID: req.ID, Inputs: st.RegionArgs, State: st}, nil
}

func (*Region) Delete(ctx context.Context, req infer.DeleteRequest[RegionState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Regions, req.ID, "region "+req.ID)
}

// Image is a content-addressed build of images/<name>: the local AMI.
type Image struct{}

// ImageArgs says what to build.
type ImageArgs struct {
	Name   string `pulumi:"name" provider:"replaceOnChanges"`
	Source string `pulumi:"source" provider:"replaceOnChanges"`
	// SourceDigest changes whenever the source does, so a change builds a new image.
	SourceDigest string `pulumi:"sourceDigest" provider:"replaceOnChanges"`
}

// ImageState is the built image.
type ImageState struct {
	ImageArgs
	Digest string `pulumi:"digest"`
	Path   string `pulumi:"path"`
}

func (*Image) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Image")
	a.Describe(&Image{}, "An immutable image: the service built once and stored by the sha256 of its executable.")
}

func (*Image) Create(ctx context.Context, req infer.CreateRequest[ImageArgs]) (infer.CreateResponse[ImageState], error) {
	if req.DryRun {
		return infer.CreateResponse[ImageState]{ID: req.Name, Output: ImageState{ImageArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[ImageState]{}, err
	}
	img, err := localapi.Put(ctx, c, localapi.Images, localapi.ImageSpec{Name: req.Inputs.Name, Source: req.Inputs.Source})
	if err != nil {
		return infer.CreateResponse[ImageState]{}, wrap("image "+req.Inputs.Name, err)
	}
	return infer.CreateResponse[ImageState]{ID: img.Digest, Output: ImageState{ImageArgs: req.Inputs, Digest: img.Digest, Path: img.Path}}, nil
}

func (*Image) Read(ctx context.Context, req infer.ReadRequest[ImageArgs, ImageState]) (infer.ReadResponse[ImageArgs, ImageState], error) {
	if _, found, err := read(ctx, localapi.Images, req.State.Digest); !found || err != nil {
		return infer.ReadResponse[ImageArgs, ImageState]{}, err
	}
	return infer.ReadResponse[ImageArgs, ImageState](req), nil
}

func (*Image) Delete(ctx context.Context, req infer.DeleteRequest[ImageState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Images, req.State.Digest, "image "+req.State.Digest)
}

// HealthArgs is a health check.
type HealthArgs struct {
	Path           string `pulumi:"path"`
	IntervalMs     int    `pulumi:"intervalMs"`
	TimeoutMs      int    `pulumi:"timeoutMs"`
	UnhealthyAfter int    `pulumi:"unhealthyAfter"`
	HealthyAfter   int    `pulumi:"healthyAfter"`
}

func (h HealthArgs) check() localapi.HealthCheck {
	return localapi.HealthCheck{Path: h.Path, Interval: ms(h.IntervalMs), Timeout: ms(h.TimeoutMs), UnhealthyAfter: h.UnhealthyAfter, HealthyAfter: h.HealthyAfter}
}

// InstanceGroup is N instances of one image in one region: the autoscaling group.
type InstanceGroup struct{}

// InstanceGroupArgs are the group's inputs.
type InstanceGroupArgs struct {
	Env         string            `pulumi:"env" provider:"replaceOnChanges"`
	Region      string            `pulumi:"region" provider:"replaceOnChanges"`
	Service     string            `pulumi:"service" provider:"replaceOnChanges"`
	ImageDigest string            `pulumi:"imageDigest"`
	ImagePath   string            `pulumi:"imagePath"`
	Port        int               `pulumi:"port"`
	Min         int               `pulumi:"min"`
	Desired     int               `pulumi:"desired"`
	Max         int               `pulumi:"max"`
	Zones       int               `pulumi:"zones"`
	Health      HealthArgs        `pulumi:"health"`
	Vars        map[string]string `pulumi:"vars,optional"`
	// DatabaseRegions are the regions of the service's database members.
	DatabaseRegions []string `pulumi:"databaseRegions,optional"`
	// DatabasePort is the port the members listen at.
	DatabasePort int `pulumi:"databasePort,optional"`
	// Scaling targets (0: none) and the cooldown between capacity changes.
	TargetRequests int `pulumi:"targetRequests,optional"`
	TargetCpu      int `pulumi:"targetCpu,optional"`
	CooldownMs     int `pulumi:"cooldownMs,optional"`
	// BlueGreen replaces all instances at once beside the serving ones,
	// switched at the load balancer, the previous kept for BakeMs.
	BlueGreen bool `pulumi:"blueGreen,optional"`
	BakeMs    int  `pulumi:"bakeMs,optional"`
	// Dependencies are what the service calls, as the topology declares
	// them: the control plane gives instances each one's URL, the
	// region's link to it (none for an external endpoint).
	Dependencies []DependencyArgs `pulumi:"dependencies,optional"`
	// WriteQueue gives instances the keys of the service's write queue in
	// the region.
	WriteQueue bool `pulumi:"writeQueue,optional"`
}

// InstanceGroupState adds what runs.
type InstanceGroupState struct {
	InstanceGroupArgs
	Addresses []string `pulumi:"addresses"`
}

func (*InstanceGroup) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "InstanceGroup")
	a.Describe(&InstanceGroup{}, "Instances of one image, spread over zones, replaced when they exit or fail health checks.")
}

func (a InstanceGroupArgs) spec() localapi.GroupSpec {
	return localapi.GroupSpec{Env: a.Env, Region: a.Region, Service: a.Service, ImagePath: a.ImagePath, Digest: a.ImageDigest,
		Port: a.Port, Min: a.Min, Desired: a.Desired, Max: a.Max, Zones: a.Zones, Health: a.Health.check(), Vars: a.Vars,
		DatabaseRegions: a.DatabaseRegions, DatabasePort: a.DatabasePort, BlueGreen: a.BlueGreen, Bake: ms(a.BakeMs),
		Scaling:      localapi.Scaling{TargetRequests: a.TargetRequests, TargetCPU: a.TargetCpu, Cooldown: ms(a.CooldownMs)},
		Dependencies: dependencies(a.Dependencies), WriteQueue: a.WriteQueue}
}

func groupState(args InstanceGroupArgs, g localapi.Group) InstanceGroupState {
	st := InstanceGroupState{InstanceGroupArgs: args, Addresses: []string{}}
	for _, in := range g.Instances {
		st.Addresses = append(st.Addresses, in.Address)
	}
	return st
}

func (*InstanceGroup) Create(ctx context.Context, req infer.CreateRequest[InstanceGroupArgs]) (infer.CreateResponse[InstanceGroupState], error) {
	id := req.Inputs.spec().ID().String()
	if req.DryRun {
		return infer.CreateResponse[InstanceGroupState]{ID: id, Output: InstanceGroupState{InstanceGroupArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[InstanceGroupState]{}, err
	}
	g, err := localapi.Put(ctx, c, localapi.Groups, req.Inputs.spec())
	return infer.CreateResponse[InstanceGroupState]{ID: id, Output: groupState(req.Inputs, g)}, wrap("instance group "+id, err)
}

func (*InstanceGroup) Update(ctx context.Context, req infer.UpdateRequest[InstanceGroupArgs, InstanceGroupState]) (infer.UpdateResponse[InstanceGroupState], error) {
	if req.DryRun {
		return infer.UpdateResponse[InstanceGroupState]{Output: InstanceGroupState{InstanceGroupArgs: req.Inputs, Addresses: req.State.Addresses}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.UpdateResponse[InstanceGroupState]{}, err
	}
	g, err := localapi.Put(ctx, c, localapi.Groups, req.Inputs.spec())
	return infer.UpdateResponse[InstanceGroupState]{Output: groupState(req.Inputs, g)}, wrap("instance group "+req.ID, err)
}

func (*InstanceGroup) Read(ctx context.Context, req infer.ReadRequest[InstanceGroupArgs, InstanceGroupState]) (infer.ReadResponse[InstanceGroupArgs, InstanceGroupState], error) {
	g, found, err := read(ctx, localapi.Groups, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[InstanceGroupArgs, InstanceGroupState]{}, err
	}
	// what runs is the truth: the image and capacity the plane holds (the
	// declared desired capacity: the autoscaler's is not drift)
	in := req.Inputs
	in.ImageDigest, in.ImagePath, in.Desired, in.Min, in.Max, in.Port = g.Digest, g.ImagePath, g.Desired, g.Min, g.Max, g.Port
	return infer.ReadResponse[InstanceGroupArgs, InstanceGroupState]{ID: req.ID, Inputs: in, State: groupState(in, g)}, nil
}

func (*InstanceGroup) Delete(ctx context.Context, req infer.DeleteRequest[InstanceGroupState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Groups, req.ID, "instance group "+req.ID)
}

// LoadBalancer is HAProxy in front of one instance group.
type LoadBalancer struct{}

// LoadBalancerArgs are the balancer's inputs.
type LoadBalancerArgs struct {
	Env     string     `pulumi:"env" provider:"replaceOnChanges"`
	Region  string     `pulumi:"region" provider:"replaceOnChanges"`
	Service string     `pulumi:"service" provider:"replaceOnChanges"`
	Port    int        `pulumi:"port"`
	Health  HealthArgs `pulumi:"health"`
	// BlueGreen balances both slot ranges of a blue-green group.
	BlueGreen bool `pulumi:"blueGreen,optional"`
	// CallerTimeoutMs is the longest per-attempt timeout the service's
	// callers declare (0: none): the balancer's server timeout.
	CallerTimeoutMs int `pulumi:"callerTimeoutMs,optional"`
}

// LoadBalancerState adds where it listens and whether it runs.
type LoadBalancerState struct {
	LoadBalancerArgs
	Address string `pulumi:"address"`
	Running bool   `pulumi:"running"`
}

func (*LoadBalancer) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "LoadBalancer")
	a.Describe(&LoadBalancer{}, "HAProxy with active HTTP health checks and redispatch, on the region's 127.0.R.1.")
}

func (a LoadBalancerArgs) spec() localapi.BalancerSpec {
	return localapi.BalancerSpec{Env: a.Env, Region: a.Region, Service: a.Service, Port: a.Port, Health: a.Health.check(),
		CallerTimeout: ms(a.CallerTimeoutMs)}
}

func (*LoadBalancer) Create(ctx context.Context, req infer.CreateRequest[LoadBalancerArgs]) (infer.CreateResponse[LoadBalancerState], error) {
	id := req.Inputs.spec().ID().String()
	if req.DryRun {
		return infer.CreateResponse[LoadBalancerState]{ID: id, Output: LoadBalancerState{LoadBalancerArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[LoadBalancerState]{}, err
	}
	b, err := localapi.Put(ctx, c, localapi.Balancers, req.Inputs.spec())
	return infer.CreateResponse[LoadBalancerState]{ID: id, Output: LoadBalancerState{LoadBalancerArgs: req.Inputs, Address: b.Address, Running: b.Running}}, wrap("load balancer "+id, err)
}

// Diff is the inputs' diff, plus an update when the balancer is not running
// (killed by hand: drift that the next up repairs).
func (*LoadBalancer) Diff(ctx context.Context, req infer.DiffRequest[LoadBalancerArgs, LoadBalancerState]) (infer.DiffResponse, error) {
	old, new := req.State.LoadBalancerArgs, req.Inputs
	diff := p.DiffResponse{DeleteBeforeReplace: true, DetailedDiff: replacements(old, new)}
	if old.Port != new.Port {
		diff.DetailedDiff["port"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if old.Health != new.Health {
		diff.DetailedDiff["health"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if old.BlueGreen != new.BlueGreen {
		diff.DetailedDiff["blueGreen"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if old.CallerTimeoutMs != new.CallerTimeoutMs {
		diff.DetailedDiff["callerTimeoutMs"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if !req.State.Running {
		diff.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	diff.HasChanges = len(diff.DetailedDiff) > 0
	return diff, nil
}

func (*LoadBalancer) Update(ctx context.Context, req infer.UpdateRequest[LoadBalancerArgs, LoadBalancerState]) (infer.UpdateResponse[LoadBalancerState], error) {
	if req.DryRun {
		return infer.UpdateResponse[LoadBalancerState]{Output: LoadBalancerState{LoadBalancerArgs: req.Inputs, Address: req.State.Address, Running: true}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.UpdateResponse[LoadBalancerState]{}, err
	}
	b, err := localapi.Put(ctx, c, localapi.Balancers, req.Inputs.spec())
	return infer.UpdateResponse[LoadBalancerState]{Output: LoadBalancerState{LoadBalancerArgs: req.Inputs, Address: b.Address, Running: b.Running}}, wrap("load balancer "+req.ID, err)
}

func (*LoadBalancer) Read(ctx context.Context, req infer.ReadRequest[LoadBalancerArgs, LoadBalancerState]) (infer.ReadResponse[LoadBalancerArgs, LoadBalancerState], error) {
	b, found, err := read(ctx, localapi.Balancers, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[LoadBalancerArgs, LoadBalancerState]{}, err
	}
	st := LoadBalancerState{LoadBalancerArgs: req.Inputs, Address: b.Address, Running: b.Running}
	return infer.ReadResponse[LoadBalancerArgs, LoadBalancerState]{ID: req.ID, Inputs: req.Inputs, State: st}, nil
}

func (*LoadBalancer) Delete(ctx context.Context, req infer.DeleteRequest[LoadBalancerState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Balancers, req.ID, "load balancer "+req.ID)
}

// ensure the resources implement what the engine calls
var (
	_ infer.CustomDelete[RegionState]                           = (*Region)(nil)
	_ infer.CustomRead[RegionArgs, RegionState]                 = (*Region)(nil)
	_ infer.CustomUpdate[InstanceGroupArgs, InstanceGroupState] = (*InstanceGroup)(nil)
	_ infer.CustomDiff[LoadBalancerArgs, LoadBalancerState]     = (*LoadBalancer)(nil)
	_ infer.CustomUpdate[LoadBalancerArgs, LoadBalancerState]   = (*LoadBalancer)(nil)
	_ infer.CustomRead[InstanceGroupArgs, InstanceGroupState]   = (*InstanceGroup)(nil)
	_ infer.CustomRead[ImageArgs, ImageState]                   = (*Image)(nil)
	_ infer.CustomRead[LoadBalancerArgs, LoadBalancerState]     = (*LoadBalancer)(nil)
)
