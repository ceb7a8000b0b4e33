package plan

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// ErrProgram wraps an error raised by the stacks program under mocks.
var ErrProgram = errors.New("stacks program failed")

// Secret and Unknown stand in for values a plan cannot show.
const (
	Secret  = "[secret]"
	Unknown = "[unknown]"
)

// StackReferenceType is the built-in resource type of a stack reference.
const StackReferenceType = "pulumi:pulumi:StackReference"

// Plan is the resource graph of every stack of an environment.
type Plan struct {
	Environment string       `json:"environment"`
	Target      string       `json:"target"`
	Stacks      []StackGraph `json:"stacks"`
}

// StackGraph is one stack's resources and outputs.
type StackGraph struct {
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	// Invokes are the data sources the program read and what the mocks
	// answered (the hosted zone, the account, the region's zones).
	Invokes []Invoke `json:"invokes,omitempty"`
}

// Resource is one registered resource.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"` // the parent's URN; empty for the stack's root
	// Custom is true for a provider's resource, false for a component.
	Custom bool `json:"custom"`
	// Region is the AWS region a pulumi-aws resource lives in (its own
	// region argument, else its provider's); empty for a resource of a
	// global service without a provider, and for other packages'.
	Region string `json:"region,omitempty"`
	// Inputs are the resource's inputs as its provider's Check returns
	// them: the program's, and for pulumi-aws the names Pulumi's
	// autonaming adds.
	Inputs map[string]any `json:"inputs"`
	// ID and Outputs are what the mocks computed as AWS would for a
	// pulumi-aws resource: its physical ID and the outputs its inputs do
	// not say (ARN, DNS name, endpoints, a name generated at create).
	ID      string         `json:"id,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	// IgnoreChanges are the inputs the engine leaves as they are in the
	// cloud (the resource option): what AWS or autoscaling owns once created.
	IgnoreChanges []string `json:"ignore_changes,omitempty"`
}

// Options set up a plan.
type Options struct {
	// Project is the Pulumi project name (Pulumi.yaml's name).
	Project string
	// Inputs are what every stack's program is given beside the topology;
	// the zero value, a plan of the file as it is, is what a plan and a
	// review show. Tests set what an orchestrator's run would (a
	// blue-green phase, a pinned image).
	Inputs stacks.RunInputs
}

// Build plans every stack of t: the regional stacks, each on its own
// goroutine (they read nothing of one another; see running), then the
// global stack, whose stack references resolve to the regional outputs.
// The plan lists them in file order, then global, whatever order they
// finish in; an error is the first stack's in that order.
func Build(ctx context.Context, t *topology.Topology, opts Options) (*Plan, error) {
	if opts.Project == "" {
		opts.Project = "bulwark"
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	refs := stacks.All(t)
	graphs := make([]*StackGraph, len(refs))
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		if ref.IsGlobal() {
			continue
		}
		wg.Go(func() {
			running <- struct{}{}
			defer func() { <-running }()
			graphs[i], errs[i] = planStack(t, opts.Inputs, ref, opts.Project, nil)
		})
	}
	wg.Wait()
	published := map[string]map[string]any{} // qualified stack name -> outputs
	for i, ref := range refs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if graphs[i] != nil {
			published[stacks.QualifiedName("", opts.Project, ref)] = graphs[i].Outputs // mocks run with no organization
		}
	}
	for i, ref := range refs {
		if !ref.IsGlobal() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g, err := planStack(t, opts.Inputs, ref, opts.Project, published)
		if err != nil {
			return nil, err
		}
		graphs[i] = g
		published[stacks.QualifiedName("", opts.Project, ref)] = g.Outputs
	}
	p := &Plan{Environment: t.Environment.Name, Target: string(t.Environment.Target), Stacks: make([]StackGraph, 0, len(refs))}
	for _, g := range graphs {
		p.Stacks = append(p.Stacks, *g)
	}
	return p, nil
}

func planStack(t *topology.Topology, in stacks.RunInputs, ref stacks.Ref, project string, published map[string]map[string]any) (*StackGraph, error) {
	body, err := stacks.Build(t, in, ref)
	if err != nil {
		return nil, err
	}
	return runProgram(project, ref.String(), body, published)
}

// Program plans one stack of any Pulumi program under the same mocks as
// Build (stack references are not resolved): for tests of what the mocks
// make of a program written for them.
func Program(project, stack string, body func(*pulumi.Context) (pulumi.Map, error)) (*StackGraph, error) {
	return runProgram(project, stack, body, nil)
}

func runProgram(project, stack string, body func(*pulumi.Context) (pulumi.Map, error), published map[string]map[string]any) (*StackGraph, error) {
	g, _, err := runRecorded(&recorder{stackRefs: published, stack: stack, project: project, providerRegions: map[string]string{}}, body)
	return g, err
}

// runRecorded runs body under m and returns the stack's graph; when m
// keeps a digest, also the digest of what the program asked of the engine
// and its outputs, secrets in clear.
func runRecorded(m *recorder, body func(*pulumi.Context) (pulumi.Map, error)) (*StackGraph, []byte, error) {
	stack := m.stack
	resolved := map[string]any{}
	clear := resource.PropertyMap{}
	// The program runs on a goroutine of its own: the SDK captures the
	// whole Go stack at each registration (Context.getStackTrace, a source
	// position per frame), so every frame below the program's own costs
	// each of its resources; a fresh goroutine has none of the caller's.
	program := func(ctx *pulumi.Context) error {
		outputs, err := body(ctx)
		if err != nil {
			return err
		}
		// Await each output inside the run: mocked resources resolve on
		// their own goroutines, and RunErr does not wait for bare applies.
		for k, v := range outputs {
			r, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err == nil && m.digest != nil {
				clear[resource.PropertyKey(k)] = outputValue(r.Known, r.Secret, r.Value)
			}
			switch {
			case err != nil:
				return fmt.Errorf("output %s: %w", k, err)
			case r.Secret:
				resolved[k] = Secret
			case !r.Known:
				resolved[k] = Unknown
			default:
				resolved[k] = plain(r.Value)
			}
		}
		return nil
	}
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = pulumi.RunErr(program, pulumi.WithMocks(m.project, stack, m))
	}()
	<-done
	if err != nil {
		return nil, nil, fmt.Errorf("%w: stack %s: %w", ErrProgram, stack, err)
	}
	sort.Slice(m.resources, func(i, j int) bool { return m.resources[i].URN < m.resources[j].URN })
	g := &StackGraph{Stack: stack, Resources: m.resources, Outputs: resolved, Invokes: sortInvokes(m.invokes)}
	if m.digest == nil {
		return g, nil, nil
	}
	sum, err := m.digest.sum(clear)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: stack %s: digest: %w", ErrProgram, stack, err)
	}
	return g, sum, nil
}

// running holds a token for each regional stack Build is running: at most
// GOMAXPROCS at once in the process, whichever Build starts them (a bill's
// plan runs beside the environment's). More would not run faster, only
// hold more of their SDK state live at once. A regional program only
// computes; the global stack's may wait on its caller
// (stacks.RunInputs.AwaitRegionOutputs), so neither it nor Digest and
// Program take a token.
var running = make(chan struct{}, runtime.GOMAXPROCS(0))

// recorder is a pulumi.MockResourceMonitor that records registrations and
// answers for AWS as mocks.go describes.
type recorder struct {
	mu        sync.Mutex
	resources []Resource
	invokes   []Invoke
	// providerRegions maps a pulumi-aws provider's reference ("URN::ID",
	// what a resource's Provider names) to its region.
	providerRegions map[string]string
	stackRefs       map[string]map[string]any
	stack           string
	project         string
	// digest, when set, keeps every request the program made (Digest).
	digest *requestDigest
}

var _ pulumi.MockResourceMonitor = (*recorder)(nil)

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom}
	inputs, state := args.Inputs, args.Inputs
	id := args.Name + "-id"
	switch {
	case args.RegisterRPC != nil:
		res.Parent = args.RegisterRPC.GetParent()
		res.IgnoreChanges = args.RegisterRPC.GetIgnoreChanges()
	case args.ReadRPC != nil:
		res.Parent = args.ReadRPC.GetParent()
		id = args.ID
	}
	res.URN = r.urn(res)
	if r.digest != nil {
		if err := r.digest.addResource(args); err != nil {
			return "", nil, fmt.Errorf("%s %s: %w", args.TypeToken, args.Name, err)
		}
	}
	switch {
	case args.TypeToken == AWSProviderType:
		id = newEntropy("provider", res.URN).uuid()
		region, err := r.rememberProvider(res.URN, id, args.Inputs)
		if err != nil {
			return "", nil, err
		}
		res.Region = region
	case strings.HasPrefix(args.TypeToken, "aws:") && args.Custom:
		region, err := r.regionOf(args.TypeToken, args.Inputs, args.Provider)
		if err != nil {
			return "", nil, fmt.Errorf("%s %s: %w", args.TypeToken, args.Name, err)
		}
		mocked, err := mockAWS(args.TypeToken, args.Name, res.URN, region, args.Inputs)
		if err != nil {
			return "", nil, err
		}
		inputs, state, res.Region = mocked.inputs, mocked.state(), region
		if args.ReadRPC == nil {
			id = mocked.id
		}
		res.ID, res.Outputs = id, plainMap(mocked.out)
		if len(res.Outputs) == 0 {
			res.Outputs = nil
		}
	case args.TypeToken == StackReferenceType:
		outs, ok := r.stackRefs[args.ID]
		if !ok {
			return "", nil, fmt.Errorf("stack reference %q: no such stack in this environment's plan", args.ID)
		}
		state = resource.PropertyMap{
			"name":              resource.NewProperty(args.ID),
			"outputs":           resource.NewProperty(resource.NewPropertyMapFromMap(outs)),
			"secretOutputNames": resource.NewProperty([]resource.PropertyValue{}),
		}
		inputs = resource.PropertyMap{"name": resource.NewProperty(args.ID)}
	}
	res.Inputs = plainMap(inputs)
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return id, state, nil
}

// Call answers the data sources the programs read: pulumi-aws's as the
// caller's region would (see callAWS), others with nothing.
func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if r.digest != nil {
		if err := r.digest.addCall(args); err != nil {
			return nil, fmt.Errorf("%s: %w", args.Token, err)
		}
	}
	if !strings.HasPrefix(args.Token, "aws:") {
		return resource.PropertyMap{}, nil
	}
	result, region, err := r.callAWS(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", args.Token, err)
	}
	recorded := plainMap(resource.NewPropertyMapFromMap(result))
	if _, ok := recorded["randomPassword"]; ok {
		recorded["randomPassword"] = Secret
	}
	inv := Invoke{Token: args.Token, Region: region, Args: plainMap(args.Args), Result: recorded}
	if len(inv.Args) == 0 {
		inv.Args = nil
	}
	r.mu.Lock()
	r.invokes = append(r.invokes, inv)
	r.mu.Unlock()
	return resource.NewPropertyMapFromMap(result), nil
}

// urn is the URN the engine gives the resource: the parent's qualified type
// (none for children of the stack root), the resource's type and name.
func (r *recorder) urn(res Resource) string {
	var parentType tokens.Type
	if res.Parent != "" {
		if u, err := resource.ParseURN(res.Parent); err == nil && u.QualifiedType() != resource.RootStackType {
			parentType = u.QualifiedType()
		}
	}
	return string(resource.NewURN(tokens.QName(r.stack), tokens.PackageName(r.project), parentType, tokens.Type(res.Type), res.Name))
}

func plainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Secret
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return Unknown
	case v.IsOutput():
		if v.OutputValue().Secret {
			return Secret
		}
		return plainValue(v.OutputValue().Element)
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsNull():
		return nil
	default:
		return v.Mappable()
	}
}

// plain converts a resolved Go output value into JSON-friendly values.
func plain(x any) any {
	return plainValue(resource.NewPropertyValue(x))
}
