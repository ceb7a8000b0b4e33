package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
	"github.com/bulwark-dev/bulwark/modules/local"
)

// Body declares one stack's resources and returns the stack's outputs.
type Body func(ctx *pulumi.Context) (pulumi.Map, error)

// Build returns the body of one stack of a topology, given what the run
// learned beside it (in; the zero value when it learned nothing).
func Build(t *topology.Topology, in RunInputs, ref Ref) (Body, error) {
	if ref.Env != t.Environment.Name {
		return nil, fmt.Errorf("stack %s: environment file %s declares environment %q", ref, t.File, t.Environment.Name)
	}
	if ref.IsGlobal() {
		return func(ctx *pulumi.Context) (pulumi.Map, error) { return global(ctx, t, in) }, nil
	}
	region, ok := t.Region(ref.Region)
	if !ok {
		return nil, fmt.Errorf("stack %s: environment %q has no region %q (it has %v)", ref, t.Environment.Name, ref.Region, t.RegionNames())
	}
	return func(ctx *pulumi.Context) (pulumi.Map, error) { return regional(ctx, t, in, region) }, nil
}

// Program returns the Pulumi program for one stack of a topology, given
// what the run learned beside it (in): its body, with the outputs exported
// as stack outputs.
func Program(t *topology.Topology, in RunInputs, ref Ref) (pulumi.RunFunc, error) {
	body, err := Build(t, in, ref)
	if err != nil {
		return nil, err
	}
	return withLayers(in, body).Export, nil
}

// Export runs the body and exports its outputs.
func (b Body) Export(ctx *pulumi.Context) error {
	outputs, err := b(ctx)
	if err != nil {
		return err
	}
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return nil
}

// withLayers adds the outputs of the Terraform layers that ran before the
// stacks (in.LayerOutputs) as the stack's "layers" output, secrets kept
// secret.
func withLayers(in RunInputs, body Body) Body {
	if len(in.LayerOutputs) == 0 {
		return body
	}
	return func(ctx *pulumi.Context) (pulumi.Map, error) {
		outs, err := body(ctx)
		if err != nil {
			return nil, err
		}
		all := pulumi.Map{}
		for name, values := range in.LayerOutputs {
			m := pulumi.Map{}
			for k, v := range values {
				var out pulumi.Input = pulumi.Any(v)
				if slices.Contains(in.LayerSensitive[name], k) {
					out = pulumi.ToSecret(pulumi.Any(v))
				}
				m[k] = out
			}
			all[name] = m
		}
		if outs == nil {
			outs = pulumi.Map{}
		}
		outs[contract.OutputLayers] = all
		return outs, nil
	}
}

// FromStack is the program for `pulumi up -s <env>.<region>` run by a stock
// Pulumi CLI: it loads environments/<env>.hcl from the project root.
func FromStack(ctx *pulumi.Context) error {
	ref, err := ParseRef(ctx.Stack())
	if err != nil {
		return err
	}
	root := ctx.RootDirectory()
	if root == "" {
		if root, err = os.Getwd(); err != nil {
			return err
		}
	}
	p, err := project.Find(root)
	if err != nil {
		return err
	}
	t, err := p.LoadEnvironment(ref.Env)
	if err != nil {
		return err
	}
	// a stock `pulumi preview` or `up` deploys: secret parameters' values
	// come from the operator's environment, none from a placeholder
	if err := t.CheckSecrets(os.LookupEnv); err != nil {
		return fmt.Errorf("stack %s: %w", ref, err)
	}
	run, err := Program(t, RunInputs{}, ref) // a stock CLI run learned nothing
	if err != nil {
		return err
	}
	return run(ctx)
}

func regional(ctx *pulumi.Context, t *topology.Topology, in RunInputs, r topology.Region) (pulumi.Map, error) {
	region := &Region{}
	if err := ctx.RegisterComponentResource(contract.TypeTopologyRegion, r.Name, region); err != nil {
		return nil, fmt.Errorf("region %s: %w", r.Name, err)
	}
	components := map[string]pulumi.Resource{}
	var svcs []*Service
	for _, s := range t.ServicesIn(r.Name) {
		svc := &Service{}
		if err := ctx.RegisterComponentResource(contract.TypeTopologyService, s.Name, svc, pulumi.Parent(region)); err != nil {
			return nil, fmt.Errorf("region %s, service %s: %w", r.Name, s.Name, err)
		}
		components[s.Name] = svc
		svcs = append(svcs, svc)
	}
	parts, err := deployTarget(ctx, t, in, r, region, components)
	if err != nil {
		return nil, err
	}
	services := pulumi.Map{}
	for i, s := range t.ServicesIn(r.Name) {
		out := serviceOutputs(s)
		for k, v := range parts[s.Name] {
			out[k] = v
		}
		if err := ctx.RegisterResourceOutputs(svcs[i], out); err != nil {
			return nil, err
		}
		services[s.Name] = out
	}
	outputs := pulumi.Map{
		contract.OutputRegion:   pulumi.String(r.Name),
		contract.OutputPrimary:  pulumi.Bool(r.Primary),
		contract.OutputZones:    pulumi.Int(r.Zones),
		contract.OutputServices: services,
	}
	if err := ctx.RegisterResourceOutputs(region, outputs); err != nil {
		return nil, err
	}
	return outputs, nil
}

// deployTarget declares the target's resources of a region under the
// topology's components, and returns extra outputs per service. The
// target's modules get the run inputs they read (pinned images, blue-green
// states) in their arguments.
func deployTarget(ctx *pulumi.Context, t *topology.Topology, in RunInputs, r topology.Region, region pulumi.Resource, services map[string]pulumi.Resource) (map[string]pulumi.Map, error) {
	switch t.Environment.Target {
	case topology.TargetLocal:
		root, err := projectRoot(t)
		if err != nil {
			return nil, err
		}
		return local.DeployRegion(ctx, local.RegionArgs{Topology: t, Region: r, ProjectRoot: root, Parent: region, Services: services, ImageOverrides: in.ImageOverrides})
	case topology.TargetAWS:
		root, err := projectRoot(t)
		if err != nil {
			return nil, err
		}
		return awsmodule.DeployRegion(ctx, awsmodule.RegionArgs{Topology: t, Region: r, ImagesDir: filepath.Join(root, "images"), Parent: region, Services: services,
			ImageOverrides: in.ImageOverrides, BlueGreen: in.BlueGreen})
	default:
		return nil, fmt.Errorf("environment %s: unknown target %q", t.Environment.Name, t.Environment.Target)
	}
}

// projectRoot is the project holding the environment file.
func projectRoot(t *topology.Topology) (string, error) {
	p, err := project.Find(filepath.Dir(t.File))
	if err != nil {
		return "", fmt.Errorf("environment %s: %w", t.File, err)
	}
	return p.Root, nil
}

// awaitedRegions are the regions' outputs as outputs that resolve once
// await returns them (RunInputs.AwaitRegionOutputs): what reads no region
// (the DNS server) registers at once, the rest when they resolve. An error
// from await, or a region it has no outputs of, fails what reads them.
func awaitedRegions(ctx *pulumi.Context, t *topology.Topology, await func() (map[string]map[string]any, error)) map[string]pulumi.MapOutput {
	type promise struct {
		resolve func(any)
		reject  func(error)
	}
	outs := map[string]pulumi.MapOutput{}
	promises := map[string]promise{}
	for _, r := range t.Regions {
		out, resolve, reject := ctx.NewOutput()
		promises[r.Name] = promise{resolve, reject}
		outs[r.Name] = out.ApplyT(func(v any) map[string]any { return v.(map[string]any) }).(pulumi.MapOutput)
	}
	go func() {
		all, err := await()
		for name, p := range promises {
			switch m, ok := all[name]; {
			case err != nil:
				p.reject(fmt.Errorf("the outputs of region %s: %w", name, err))
			case !ok:
				p.reject(fmt.Errorf("the outputs of region %s cannot be read from its state", name))
			default:
				p.resolve(m)
			}
		}
	}()
	return outs
}

func serviceOutputs(s topology.Service) pulumi.Map {
	return pulumi.Map{
		contract.OutputMode:  pulumi.String(string(s.Mode)),
		contract.OutputImage: pulumi.String(s.Image),
		contract.OutputPort:  pulumi.Int(s.Port),
		contract.OutputCapacity: pulumi.Map{
			"min": pulumi.Int(s.Capacity.Min), "desired": pulumi.Int(s.Capacity.Desired), "max": pulumi.Int(s.Capacity.Max),
		},
		contract.OutputFQDN: pulumi.String(s.DNS.FQDN()),
	}
}

func global(ctx *pulumi.Context, t *topology.Topology, in RunInputs) (pulumi.Map, error) {
	env := &Environment{}
	if err := ctx.RegisterComponentResource(contract.TypeTopologyEnvironment, t.Environment.Name, env); err != nil {
		return nil, fmt.Errorf("environment %s: %w", t.Environment.Name, err)
	}
	regions := pulumi.Map{}
	regionOutputs := map[string]pulumi.MapOutput{}
	if in.RegionOutputs == nil && in.AwaitRegionOutputs != nil {
		regionOutputs = awaitedRegions(ctx, t, in.AwaitRegionOutputs)
		for name, out := range regionOutputs {
			regions[name] = out
		}
	}
	for _, r := range t.Regions {
		if _, awaited := regionOutputs[r.Name]; awaited {
			continue
		}
		if outs, ok := in.RegionOutputs[r.Name]; ok {
			m := pulumi.ToMap(outs)
			regions[r.Name], regionOutputs[r.Name] = m, m.ToMapOutput()
			continue
		}
		name := StackReferenceName(ctx, Ref{Env: t.Environment.Name, Region: r.Name})
		ref, err := pulumi.NewStackReference(ctx, r.Name, &pulumi.StackReferenceArgs{Name: pulumi.String(name)}, pulumi.Parent(env))
		if err != nil {
			return nil, fmt.Errorf("reference to stack %s: %w", name, err)
		}
		regions[r.Name] = ref.Outputs
		regionOutputs[r.Name] = ref.Outputs
	}
	var extra pulumi.Map
	var err error
	switch t.Environment.Target {
	case topology.TargetLocal:
		extra, err = local.DeployGlobal(ctx, local.GlobalArgs{Topology: t, Parent: env, Regions: regionOutputs})
	case topology.TargetAWS:
		extra, err = awsmodule.DeployGlobal(ctx, awsmodule.GlobalArgs{Topology: t, Parent: env, Regions: regionOutputs})
	}
	if err != nil {
		return nil, err
	}
	dns := pulumi.Map{}
	for _, s := range t.Services {
		dns[s.Name] = pulumi.String(s.DNS.FQDN())
	}
	outputs := pulumi.Map{
		contract.OutputEnvironment: pulumi.String(t.Environment.Name),
		contract.OutputTarget:      pulumi.String(string(t.Environment.Target)),
		contract.OutputPrimary:     pulumi.String(t.Primary().Name),
		contract.OutputRegions:     regions,
		contract.OutputDNS:         dns,
	}
	for k, v := range extra {
		outputs[k] = v
	}
	if err := ctx.RegisterResourceOutputs(env, outputs); err != nil {
		return nil, err
	}
	return outputs, nil
}

// StackReferenceName is the fully qualified name of a sibling stack, as the
// running program sees its organization and project.
func StackReferenceName(ctx *pulumi.Context, ref Ref) string {
	return QualifiedName(ctx.Organization(), ctx.Project(), ref)
}

// QualifiedName is <organization>/<project>/<env>.<region>; an empty
// organization is the file backend's, "organization".
func QualifiedName(org, project string, ref Ref) string {
	if org == "" {
		org = "organization"
	}
	return org + "/" + project + "/" + ref.String()
}
