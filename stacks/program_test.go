package stacks

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

type recorded struct {
	mu     sync.Mutex
	types  []string
	inputs map[string]resource.PropertyMap // by "type::name", when not nil
}

func (r *recorded) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.types = append(r.types, args.TypeToken+"::"+args.Name)
	if r.inputs != nil {
		r.inputs[args.TypeToken+"::"+args.Name] = args.Inputs
	}
	r.mu.Unlock()
	return args.Name, args.Inputs, nil
}

func (r *recorded) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) { return nil, nil }

// FromStack is what `pulumi up -s dev.east` runs with a stock CLI: it finds
// the project above the working directory and loads environments/dev.hcl.
func TestFromStackLoadsTheEnvironmentNamedByTheStack(t *testing.T) {
	m := &recorded{}
	if err := pulumi.RunErr(FromStack, pulumi.WithMocks("bulwark", "dev.east", m)); err != nil {
		t.Fatal(err)
	}
	// the topology's components for region east, and beneath them the local
	// target's resources (dev is a local environment)
	have := map[string]bool{}
	for _, ty := range m.types {
		have[ty] = true
		if !strings.HasPrefix(ty, "bulwark:topology:") && !strings.HasPrefix(ty, "bulwark:local:") {
			t.Errorf("unexpected resource %s", ty)
		}
	}
	for _, want := range []string{"bulwark:topology:Region::east", "bulwark:topology:Service::shop", "bulwark:local:Region::east", "bulwark:local:InstanceGroup::shop"} {
		if !have[want] {
			t.Errorf("%s not registered (have %v)", want, m.types)
		}
	}
}

// What a run learned is given to the program beside the topology and
// reaches the target's modules: a canary's pin sets the instance group's
// image.
func TestRunInputsReachTheModules(t *testing.T) {
	p, err := project.Find(".")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := p.LoadEnvironment("dev")
	if err != nil {
		t.Fatal(err)
	}
	in := RunInputs{ImageOverrides: map[string]topology.ImageRef{"shop": {Digest: "sha256:old", Path: "/images/old/shop"}}}
	run, err := Program(topo, in, Ref{Env: "dev", Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	m := &recorded{inputs: map[string]resource.PropertyMap{}}
	if err := pulumi.RunErr(run, pulumi.WithMocks("bulwark", "dev.east", m)); err != nil {
		t.Fatal(err)
	}
	group := m.inputs["bulwark:local:InstanceGroup::shop"]
	if d, p := group["imageDigest"], group["imagePath"]; !d.IsString() || d.StringValue() != "sha256:old" || !p.IsString() || p.StringValue() != "/images/old/shop" {
		t.Errorf("the pinned group runs %v %v, want sha256:old from /images/old/shop", d, p)
	}
}

func TestFromStackRejectsBadNames(t *testing.T) {
	for _, stack := range []string{"dev", "dev.mars", "nope.east"} {
		err := pulumi.RunErr(FromStack, pulumi.WithMocks("bulwark", stack, &recorded{}))
		if err == nil {
			t.Errorf("stack %q: no error", stack)
		}
	}
	if _, err := ParseRef("dev"); !errors.Is(err, ErrBadStackName) {
		t.Errorf("ParseRef(dev) = %v", err)
	}
	if r, err := ParseRef("organization/bulwark/prod.us-east-1"); err != nil || r.Env != "prod" || r.Region != "us-east-1" {
		t.Errorf("ParseRef(qualified) = %+v, %v", r, err)
	}
}
