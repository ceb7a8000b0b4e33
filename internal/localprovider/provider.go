package localprovider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// Name is the provider's package name: resource types are
// contract.LocalType(<Type>), bulwark:local:<Type>.
const Name = contract.LocalPackage

// ControlPlaneArg makes the provider binary serve the control plane instead.
const ControlPlaneArg = "control-plane"

// New builds the provider.
func New() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("bulwark local target").
		WithDescription("Regions, images, instance groups, load balancers, databases, write queues, caches and links on this machine's loopback addresses.").
		WithNamespace("bulwark").
		WithResources(resources()...).Build()
}

// kind is one of the local target's resource kinds: the provider registers
// it, and ReplaceOnChanges reads its arguments' tags.
type kind struct {
	resource infer.InferredResource
	// args is the kind's arguments type: <Kind>Args, whose name gives the
	// type token bulwark:local:<Kind>.
	args any
}

// kinds are every resource kind, each once: a new kind is a type and a
// line here.
var kinds = []kind{
	{infer.Resource(&Region{}), RegionArgs{}},
	{infer.Resource(&Image{}), ImageArgs{}},
	{infer.Resource(&InstanceGroup{}), InstanceGroupArgs{}},
	{infer.Resource(&LoadBalancer{}), LoadBalancerArgs{}},
	{infer.Resource(&DnsServer{}), DnsServerArgs{}},
	{infer.Resource(&DnsRecord{}), DnsRecordArgs{}},
	{infer.Resource(&Database{}), DatabaseArgs{}},
	{infer.Resource(&BackupPlan{}), BackupPlanArgs{}},
	{infer.Resource(&Parameter{}), ParameterArgs{}},
	{infer.Resource(&Monitor{}), MonitorArgs{}},
	{infer.Resource(&Data{}), DataArgs{}},
	{infer.Resource(&WriteQueue{}), WriteQueueArgs{}},
	{infer.Resource(&Cache{}), CacheArgs{}},
	{infer.Resource(&Link{}), LinkArgs{}},
}

func resources() []infer.InferredResource {
	out := make([]infer.InferredResource, len(kinds))
	for i, k := range kinds {
		out[i] = k.resource
	}
	return out
}

// client returns a client of the control plane, starting it if needed.
//
// The plugin serves hundreds of steps at once, each asking for a client:
// once a plane of this build answered for the state directory, the plugin
// keeps that client (one connection pool, kept alive) for as long as the
// plane's process lives, instead of checking the plane's PID file, socket
// and version, and dialling afresh, at every step. A plane that exits, or
// another state directory, is checked (and started) again.
func client(ctx context.Context) (*localapi.Client, error) {
	state, err := project.StateDir()
	if err != nil {
		return nil, err
	}
	dir := localcloud.Dir(state)
	planeMu.Lock()
	defer planeMu.Unlock()
	if known.c != nil && known.dir == dir && syscall.Kill(known.pid, 0) == nil {
		return known.c, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("the provider's own file: %w", err)
	}
	pid, err := localcloud.EnsureRunning(ctx, dir, []string{exe, ControlPlaneArg})
	if err != nil {
		return nil, err
	}
	known = knownPlane{dir: dir, pid: pid, c: localcloud.Dial(dir)}
	return known.c, nil
}

// knownPlane is the control plane the plugin last found running, by its
// folder and PID.
type knownPlane struct {
	dir string
	pid int
	c   *localapi.Client
}

var (
	planeMu sync.Mutex
	known   knownPlane
)

// gone reports whether err says the object no longer exists.
func gone(err error) bool { return errors.Is(err, localapi.ErrNotFound) }

// read gets the object of kind k that a resource's ID names; found is
// false when the control plane holds none (the resource is gone, and so is
// one whose ID no object of the kind can have).
func read[I localapi.ID, S, O any](ctx context.Context, k localapi.Kind[I, S, O], id string) (o O, found bool, err error) {
	c, err := client(ctx)
	if err != nil {
		return o, false, err
	}
	i, err := k.Parse(id)
	if err != nil {
		return o, false, nil
	}
	o, err = localapi.Get(ctx, c, k, i)
	if gone(err) {
		return o, false, nil
	}
	return o, err == nil, err
}

// remove deletes the object of kind k that a resource's ID names; one that
// is gone already is deleted. what names the resource in an error.
func remove[I localapi.ID, S, O any](ctx context.Context, k localapi.Kind[I, S, O], id, what string) error {
	c, err := client(ctx)
	if err != nil {
		return err
	}
	i, err := k.Parse(id)
	if err == nil {
		err = localapi.Delete(ctx, c, k, i)
	}
	if gone(err) {
		err = nil
	}
	return wrap(what, err)
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
