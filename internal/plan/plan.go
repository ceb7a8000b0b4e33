package plan

import (
	"context"
	"errors"
	"fmt"
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
}

// Resource is one registered resource.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"` // the parent's URN; empty for the stack's root
	// Custom is true for a provider's resource, false for a component.
	Custom bool           `json:"custom"`
	Inputs map[string]any `json:"inputs"`
}

// Options set up a plan.
type Options struct {
	// Project is the Pulumi project name (Pulumi.yaml's name).
	Project string
}

// Build plans every stack of t: the regional stacks in file order, then the
// global stack, whose stack references resolve to the regional outputs.
func Build(ctx context.Context, t *topology.Topology, opts Options) (*Plan, error) {
	if opts.Project == "" {
		opts.Project = "bulwark"
	}
	p := &Plan{Environment: t.Environment.Name, Target: string(t.Environment.Target)}
	published := map[string]map[string]any{} // qualified stack name -> outputs
	for _, ref := range stacks.All(t) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g, err := planStack(t, ref, opts.Project, published)
		if err != nil {
			return nil, err
		}
		published[stacks.QualifiedName("", opts.Project, ref)] = g.Outputs // mocks run with no organization
		p.Stacks = append(p.Stacks, *g)
	}
	return p, nil
}

func planStack(t *topology.Topology, ref stacks.Ref, project string, published map[string]map[string]any) (*StackGraph, error) {
	body, err := stacks.Build(t, ref)
	if err != nil {
		return nil, err
	}
	m := &recorder{stackRefs: published, stack: ref.String(), project: project}
	resolved := map[string]any{}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		outputs, err := body(ctx)
		if err != nil {
			return err
		}
		// Await each output inside the run: mocked resources resolve on
		// their own goroutines, and RunErr does not wait for bare applies.
		for k, v := range outputs {
			r, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
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
	}, pulumi.WithMocks(project, ref.String(), m))
	if err != nil {
		return nil, fmt.Errorf("%w: stack %s: %w", ErrProgram, ref, err)
	}
	sort.Slice(m.resources, func(i, j int) bool { return m.resources[i].URN < m.resources[j].URN })
	return &StackGraph{Stack: ref.String(), Resources: m.resources, Outputs: resolved}, nil
}

// recorder is a pulumi.MockResourceMonitor that records registrations.
type recorder struct {
	mu        sync.Mutex
	resources []Resource
	stackRefs map[string]map[string]any
	stack     string
	project   string
}

var _ pulumi.MockResourceMonitor = (*recorder)(nil)

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: plainMap(args.Inputs)}
	state := args.Inputs
	id := args.Name + "-id"
	switch {
	case args.RegisterRPC != nil:
		res.Parent = args.RegisterRPC.GetParent()
	case args.ReadRPC != nil:
		res.Parent = args.ReadRPC.GetParent()
		id = args.ID
	}
	if strings.HasPrefix(args.TypeToken, "aws:") {
		state = mockAWSOutputs(args.TypeToken, args.Name, state)
	}
	if args.TypeToken == StackReferenceType {
		outs, ok := r.stackRefs[args.ID]
		if !ok {
			return "", nil, fmt.Errorf("stack reference %q: no such stack in this environment's plan", args.ID)
		}
		state = resource.PropertyMap{
			"name":              resource.NewProperty(args.ID),
			"outputs":           resource.NewProperty(resource.NewPropertyMapFromMap(outs)),
			"secretOutputNames": resource.NewProperty([]resource.PropertyValue{}),
		}
		res.Inputs = map[string]any{"name": args.ID}
	}
	res.URN = r.urn(res)
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return id, state, nil
}

// mockAWSOutputs adds the outputs AWS computes that other resources read
// (an ARN, a load balancer's DNS name, a cluster's endpoint), as
// recognisable placeholders, so the plan shows what depends on what.
func mockAWSOutputs(token, name string, inputs resource.PropertyMap) resource.PropertyMap {
	state := inputs.Copy()
	service := strings.TrimPrefix(strings.SplitN(token, "/", 2)[0], "aws:")
	set := func(k, v string) {
		if _, ok := state[resource.PropertyKey(k)]; !ok {
			state[resource.PropertyKey(k)] = resource.NewProperty(v)
		}
	}
	if n := inputs["name"]; token == "aws:ssm/parameter:Parameter" && n.IsString() {
		set("arn", fmt.Sprintf("arn:aws:ssm::%s:parameter%s", MockAccount, n.StringValue())) // a parameter's ARN ends in its path
	}
	set("arn", fmt.Sprintf("arn:aws:%s::%s:%s", service, MockAccount, name))
	// the physical name Pulumi's auto-naming would give (name plus a suffix)
	set("name", name)
	switch token {
	case "aws:lb/loadBalancer:LoadBalancer":
		set("dnsName", name+".elb.example")
		set("zoneId", "Z-ELB")
		set("arnSuffix", "app/"+name)
	case "aws:lb/targetGroup:TargetGroup":
		set("arnSuffix", "targetgroup/"+name)
	case "aws:rds/cluster:Cluster":
		set("endpoint", name+".cluster.rds.example")
	case "aws:ec2/launchTemplate:LaunchTemplate":
		state["latestVersion"] = resource.NewProperty(1.0)
	}
	return state
}

// MockAccount is the AWS account ID the offline plan's ARNs name.
const MockAccount = "123456789012"

// Call answers the data sources the programs read, with placeholders a
// reviewer recognises (the account, a hosted zone named after its domain).
func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": MockAccount, "arn": "arn:aws:iam::" + MockAccount + ":user/plan", "userId": "plan", "id": MockAccount,
		}), nil
	case "aws:route53/getZone:getZone":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"zoneId": "Z-" + name, "name": name, "id": "Z-" + name}), nil
	}
	return resource.PropertyMap{}, nil
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
