package aws

import (
	"fmt"
	"slices"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// RegionArgs is what DeployRegion needs.
type RegionArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	// ImagesDir holds images/<name>/manifest.json.
	ImagesDir string
	// Parent is the region's topology component; Services its service components.
	Parent   pulumi.Resource
	Services map[string]pulumi.Resource
	// ImageOverrides pin services, by name, to an image other than the one
	// their source builds (the orchestrator rolling a canary back); nil
	// for none.
	ImageOverrides map[string]topology.ImageRef
	// BlueGreen is where the orchestrator wants each blue-green service it
	// switches in phases to stand in this phase, by name; nil (a first
	// deploy, a plan, a stock pulumi up): one group, blue, serving.
	BlueGreen map[string]topology.BlueGreenState
}

// tags are every resource's.
func tags(t *topology.Topology, region, service string, extra ...string) pulumi.StringMap {
	m := pulumi.StringMap{contract.TagEnvironment: pulumi.String(t.Environment.Name), contract.TagRegion: pulumi.String(region), contract.TagManagedBy: pulumi.String(contract.ManagedBy)}
	if service != "" {
		m[contract.TagService] = pulumi.String(service)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = pulumi.String(extra[i+1])
	}
	return m
}

// DeployRegion declares a region's resources and returns, per service, its
// outputs ("endpoint": the load balancer's DNS name).
func DeployRegion(ctx *pulumi.Context, a RegionArgs) (map[string]pulumi.Map, error) {
	provider, err := pulumiaws.NewProvider(ctx, a.Region.Name, &pulumiaws.ProviderArgs{
		Region:      pulumi.String(a.Region.Name),
		DefaultTags: &pulumiaws.ProviderDefaultTagsArgs{Tags: tags(a.Topology, a.Region.Name, "")},
	}, pulumi.Parent(a.Parent))
	if err != nil {
		return nil, fmt.Errorf("aws provider for %s: %w", a.Region.Name, err)
	}
	opts := []pulumi.ResourceOption{pulumi.Provider(provider)}
	network, err := NewNetwork(ctx, a.Region.Name, NetworkArgs{Topology: a.Topology, Region: a.Region, Provider: provider}, append(opts, pulumi.Parent(a.Parent))...)
	if err != nil {
		return nil, err
	}
	topic, err := newAlarmTopic(ctx, a.Topology, a.Region.Name, append(opts, pulumi.Parent(a.Parent))...)
	if err != nil {
		return nil, err
	}
	account, err := accountID(ctx, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	out := map[string]pulumi.Map{}
	for _, s := range a.Topology.ServicesIn(a.Region.Name) {
		image, err := a.serviceImage(s)
		if err != nil {
			return nil, err
		}
		parent := append(opts, pulumi.Parent(a.Services[s.Name]))
		// the database first: the service's instances are told how to reach it
		var db *Datastore
		if s.Database != nil {
			if db, err = NewDatastore(ctx, s.Name, DatastoreArgs{Topology: a.Topology, Region: a.Region, Service: s, Network: network, Provider: provider}, parent...); err != nil {
				return nil, err
			}
		}
		args := ServiceArgs{Topology: a.Topology, Region: a.Region, Service: s, Network: network, Build: image.Build, Account: account, Provider: provider}
		if db != nil {
			args.Database = &db.Runtime
		}
		switch {
		case s.Runtime == topology.RuntimeContainer:
			args.Container = image.Digest
		case SwitchesBlueGreen(s):
			args.BlueGreen = blueGreenState(a.BlueGreen, s, image)
		default:
			args.AMI = image.Digest
		}
		svc, err := NewService(ctx, s.Name, args, parent...)
		if err != nil {
			return nil, err
		}
		outs := pulumi.Map{contract.OutputEndpoint: svc.Endpoint, contract.OutputEndpointZoneID: svc.EndpointZoneID, contract.OutputImage: pulumi.String(image.Digest), contract.OutputImageBuild: pulumi.String(image.Build)}
		if svc.BlueGreen != nil {
			live := args.BlueGreen.Groups[args.BlueGreen.Live]
			outs[contract.OutputBlueGreen], outs[contract.OutputImage], outs[contract.OutputImageBuild] = svc.BlueGreen, pulumi.String(live.Digest), pulumi.String(live.Build)
		}
		alarms := AlarmsArgs{Topology: a.Topology, Region: a.Region, Service: s, Topic: topic, LoadBalancer: svc.LoadBalancer, TargetGroup: svc.TargetGroup}
		outs[contract.OutputLoadBalancer], outs[contract.OutputTargetGroup], outs[contract.OutputAlarmTopic] = svc.LoadBalancer, svc.TargetGroup, topic.Arn
		if s.WriteQueue != nil {
			outs[contract.OutputQueue] = pulumi.String(QueueURL(a.Region.Name, account, QueueName(a.Topology, s.Name)))
		}
		if db != nil {
			outs[contract.OutputDatabase] = db.Endpoint
			outs[contract.OutputDatabaseRole] = pulumi.String(db.Role)
			primary, _ := a.Topology.PrimaryRegionOf(s)
			alarms.Database, alarms.Secondary = &db.Identifier, primary != a.Region.Name
			if s.Backup != nil && (primary == a.Region.Name || slices.Contains(s.Backup.CopyTo, a.Region.Name)) {
				alarms.BackupVault = Vault(a.Topology, s.Name)
				if _, err := NewBackup(ctx, s.Name, BackupArgs{Topology: a.Topology, Region: a.Region, Service: s,
					CopyOnly: primary != a.Region.Name, Account: account}, parent...); err != nil {
					return nil, err
				}
			}
		}
		sa, err := newServiceAlarms(ctx, s.Name, alarms, parent...)
		if err != nil {
			return nil, err
		}
		outs[contract.OutputAlarms] = pulumi.ToStringArray(sa.Names)
		tmpl, err := newZoneLossExperiment(ctx, s.Name, a, network, sa, parent...)
		if err != nil {
			return nil, err
		}
		outs[contract.OutputFISZoneLoss] = tmpl.ID()
		out[s.Name] = outs
	}
	// a copy_to region keeps the service's vault even where the service
	// does not run (a one-region service backed up to another region): the
	// primary's plan copies into it, and a restore there reads it
	for _, s := range a.Topology.Services {
		if s.Backup == nil || s.Database == nil || slices.Contains(s.Regions, a.Region.Name) || !slices.Contains(s.Backup.CopyTo, a.Region.Name) {
			continue
		}
		if _, err := NewBackup(ctx, s.Name, BackupArgs{Topology: a.Topology, Region: a.Region, Service: s, CopyOnly: true, Account: account},
			append(opts, pulumi.Parent(a.Parent))...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AccountID is the account the ARNs of other regions' vaults are built
// with: the caller's, resolved by the provider at deploy time.
func accountID(ctx *pulumi.Context, opts ...pulumi.InvokeOption) (string, error) {
	id, err := pulumiaws.GetCallerIdentity(ctx, &pulumiaws.GetCallerIdentityArgs{}, opts...)
	if err != nil {
		return "", fmt.Errorf("caller identity: %w", err)
	}
	return id.AccountId, nil
}

// serviceImage is the image a service runs in the region: the one the
// orchestrator pinned it to (a canary rolled back), else the one its
// source built (ServiceImage).
func (a RegionArgs) serviceImage(s topology.Service) (topology.ImageRef, error) {
	if pin, ok := a.ImageOverrides[s.Name]; ok {
		return pin, nil
	}
	return ServiceImage(a.Topology, a.Region.Name, s, a.ImagesDir)
}

// ServiceImage is the image a service's source built for a region: its
// manifest's AMI for the region (runtime "vm") or its container pinned by
// digest. A deploy runs it unless the orchestrator pinned the service to
// another (RegionArgs.ImageOverrides: a canary rolled back).
func ServiceImage(t *topology.Topology, region string, s topology.Service, imagesDir string) (topology.ImageRef, error) {
	manifest, err := imagemanifest.Load(imagesDir, s.Image)
	if err != nil {
		return topology.ImageRef{}, fmt.Errorf("service %s: %w", s.Name, err)
	}
	ref := topology.ImageRef{Build: manifest.Build}
	if s.Runtime == topology.RuntimeContainer {
		ref.Digest, err = manifest.ContainerImage(region)
	} else {
		ref.Digest, err = manifest.AMI(region)
	}
	if err != nil {
		return topology.ImageRef{}, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return ref, nil
}

// SwitchesBlueGreen reports whether the orchestrator switches a service's
// blue-green groups in phases: blue-green instance groups (runtime "vm").
// ECS switches a container service's by itself.
func SwitchesBlueGreen(s topology.Service) bool {
	return s.Rollout.Strategy == topology.RolloutBlueGreen && s.Runtime != topology.RuntimeContainer
}

// blueGreenState is the state the orchestrator set for a blue-green
// service in this phase (states, from RegionArgs.BlueGreen), or, when it
// set none (a first deploy, a plan, a stock pulumi up), one group, blue,
// running the image, and serving.
func blueGreenState(states map[string]topology.BlueGreenState, s topology.Service, image topology.ImageRef) *topology.BlueGreenState {
	if st, ok := states[s.Name]; ok && len(st.Groups) > 0 {
		return &st
	}
	return &topology.BlueGreenState{Live: topology.Blue, Groups: map[topology.Colour]topology.ImageRef{topology.Blue: image}}
}

// ImageFromOutputs reads back, from a regional stack's outputs, the image
// (AMI or container) and build a service ran after the last up (the
// "image" and "image_build" outputs DeployRegion writes).
func ImageFromOutputs(outputs map[string]any, service string) (topology.ImageRef, bool) {
	services, _ := outputs[contract.OutputServices].(map[string]any)
	out, _ := services[service].(map[string]any)
	image, _ := out[contract.OutputImage].(string)
	build, _ := out[contract.OutputImageBuild].(string)
	return topology.ImageRef{Digest: image, Build: build}, image != ""
}

// BlueGreenFromOutputs reads back, from a regional stack's outputs, where
// each blue-green service stood after the last up (the "blue_green" output
// NewService writes). A service missing from them was never deployed.
func BlueGreenFromOutputs(outputs map[string]any) map[string]topology.BlueGreenState {
	out := map[string]topology.BlueGreenState{}
	services, _ := outputs[contract.OutputServices].(map[string]any)
	for name, v := range services {
		svc, _ := v.(map[string]any)
		bg, _ := svc[contract.OutputBlueGreen].(map[string]any)
		groups, _ := bg[contract.OutputBlueGreenGroups].(map[string]any)
		if len(groups) == 0 {
			continue
		}
		live, _ := bg[contract.OutputBlueGreenLive].(string)
		st := topology.BlueGreenState{Live: topology.Colour(live), Groups: map[topology.Colour]topology.ImageRef{}}
		for c, g := range groups {
			m, _ := g.(map[string]any)
			image, _ := m[contract.OutputImage].(string)
			build, _ := m[contract.OutputColourBuild].(string)
			st.Groups[topology.Colour(c)] = topology.ImageRef{Digest: image, Build: build}
		}
		out[name] = st
	}
	return out
}
