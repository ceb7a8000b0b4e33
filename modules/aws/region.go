package aws

import (
	"fmt"
	"slices"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Component types.
const (
	TypeNetwork   = "bulwark:aws:Network"
	TypeService   = "bulwark:aws:Service"
	TypeDatastore = "bulwark:aws:Datastore"
	TypeBackup    = "bulwark:aws:Backup"
	TypeEndpoint  = "bulwark:aws:Endpoint"
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
}

// tags are every resource's.
func tags(t *topology.Topology, region, service string, extra ...string) pulumi.StringMap {
	m := pulumi.StringMap{"bulwark:env": pulumi.String(t.Environment.Name), "bulwark:region": pulumi.String(region), "managed-by": pulumi.String("bulwark")}
	if service != "" {
		m["bulwark:service"] = pulumi.String(service)
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
	network, err := NewNetwork(ctx, a.Region.Name, NetworkArgs{Topology: a.Topology, Region: a.Region}, append(opts, pulumi.Parent(a.Parent))...)
	if err != nil {
		return nil, err
	}
	out := map[string]pulumi.Map{}
	for _, s := range a.Topology.ServicesIn(a.Region.Name) {
		manifest, err := imagemanifest.Load(a.ImagesDir, s.Image)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		args := ServiceArgs{Topology: a.Topology, Region: a.Region, Service: s, Network: network, Build: manifest.Build}
		image := ""
		if s.Runtime == topology.RuntimeContainer {
			args.Container, err = manifest.ContainerImage(a.Region.Name)
			image = args.Container
		} else {
			args.AMI, err = manifest.AMI(a.Region.Name)
			image = args.AMI
		}
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		parent := append(opts, pulumi.Parent(a.Services[s.Name]))
		svc, err := NewService(ctx, s.Name, args, parent...)
		if err != nil {
			return nil, err
		}
		outs := pulumi.Map{"endpoint": svc.Endpoint, "endpoint_zone_id": svc.EndpointZoneID, "image": pulumi.String(image), "image_build": pulumi.String(manifest.Build)}
		if s.Database != nil {
			db, err := NewDatastore(ctx, s.Name, DatastoreArgs{Topology: a.Topology, Region: a.Region, Service: s, Network: network}, parent...)
			if err != nil {
				return nil, err
			}
			outs["database"] = db.Endpoint
			outs["database_role"] = pulumi.String(db.Role)
			primary, _ := a.Topology.PrimaryRegionOf(s)
			if s.Backup != nil && (primary == a.Region.Name || slices.Contains(s.Backup.CopyTo, a.Region.Name)) {
				account, err := accountID(ctx, pulumi.Provider(provider))
				if err != nil {
					return nil, err
				}
				if _, err := NewBackup(ctx, s.Name, BackupArgs{Topology: a.Topology, Region: a.Region, Service: s,
					CopyOnly: primary != a.Region.Name, Account: account}, parent...); err != nil {
					return nil, err
				}
			}
		}
		out[s.Name] = outs
	}
	return out, nil
}

// Vault names the backup vault of a service's plan in a region: the same
// name everywhere, so a copy action can name another region's vault by ARN
// without reading that region's stack.
func Vault(t *topology.Topology, service string) string {
	return fmt.Sprintf("bulwark-%s-%s", t.Environment.Name, service)
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
