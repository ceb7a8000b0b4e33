package local

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Parameter is a service's parameter in a region's store.
type Parameter struct {
	pulumi.CustomResourceState
}

// BackupPlan is a service database's backup plan.
type BackupPlan struct {
	pulumi.CustomResourceState
	LastBackup pulumi.StringOutput `pulumi:"lastBackup"`
}

// Database is a region's member of a service's replicated PostgreSQL.
type Database struct {
	pulumi.CustomResourceState
	Address pulumi.StringOutput `pulumi:"address"`
	Role    pulumi.StringOutput `pulumi:"role"`
	// Password is the application role's password, which the provider
	// generates at create and keeps: a secret output. The instances get
	// it from the control plane (the runtime contract), as aws's get
	// theirs from Secrets Manager, so no other resource's input and no
	// stack output carries it.
	Password pulumi.StringOutput `pulumi:"password"`
}

// Region is a region's loopback range.
type Region struct {
	pulumi.CustomResourceState
	Index           pulumi.IntOutput    `pulumi:"index"`
	Cidr            pulumi.StringOutput `pulumi:"cidr"`
	BalancerAddress pulumi.StringOutput `pulumi:"balancerAddress"`
}

// Image is a built image.
type Image struct {
	pulumi.CustomResourceState
	Digest pulumi.StringOutput `pulumi:"digest"`
	Path   pulumi.StringOutput `pulumi:"path"`
}

// InstanceGroup is the autoscaling group.
type InstanceGroup struct {
	pulumi.CustomResourceState
	Addresses pulumi.StringArrayOutput `pulumi:"addresses"`
}

// LoadBalancer is HAProxy in front of the group.
type LoadBalancer struct {
	pulumi.CustomResourceState
	Address pulumi.StringOutput `pulumi:"address"`
	Running pulumi.BoolOutput   `pulumi:"running"`
}

// RegionArgs is what DeployRegion needs.
type RegionArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	// ProjectRoot holds images/.
	ProjectRoot string
	// Parent is the region's topology component; Services its service components.
	Parent   pulumi.Resource
	Services map[string]pulumi.Resource
	// ImageOverrides pin services, by name, to an image other than the one
	// their source builds (the orchestrator rolling a canary back); nil
	// for none.
	ImageOverrides map[string]topology.ImageRef
}

// DeployRegion declares the region's resources and returns, per service, its
// outputs ("endpoint": the load balancer's address).
func DeployRegion(ctx *pulumi.Context, a RegionArgs) (map[string]pulumi.Map, error) {
	env := a.Topology.Environment.Name
	region := &Region{}
	err := ctx.RegisterResource(contract.TypeLocalRegion, a.Region.Name, pulumi.Map{
		"env": pulumi.String(env), "name": pulumi.String(a.Region.Name),
	}, region, pulumi.Parent(a.Parent))
	if err != nil {
		return nil, fmt.Errorf("local region %s: %w", a.Region.Name, err)
	}
	out := map[string]pulumi.Map{}
	for _, s := range a.Topology.ServicesIn(a.Region.Name) {
		parent := pulumi.Parent(a.Services[s.Name])
		source := filepath.Join(a.ProjectRoot, "images", s.Image)
		digest, err := localcloud.SourceDigest(source)
		if err != nil {
			return nil, fmt.Errorf("image %s of service %s: %w", s.Image, s.Name, err)
		}
		img := &Image{}
		err = ctx.RegisterResource(contract.TypeLocalImage, s.Name, pulumi.Map{
			"name": pulumi.String(s.Image), "source": pulumi.String(source), "sourceDigest": pulumi.String(digest),
		}, img, parent)
		if err != nil {
			return nil, err
		}
		health := pulumi.Map{
			"path": pulumi.String(s.Health.Path), "intervalMs": pulumi.Int(s.Health.Interval.Milliseconds()),
			"timeoutMs": pulumi.Int(s.Health.Timeout.Milliseconds()), "unhealthyAfter": pulumi.Int(s.Health.UnhealthyAfter),
			"healthyAfter": pulumi.Int(s.Health.HealthyAfter),
		}
		var imageDigest, imagePath pulumi.StringInput = img.Digest, img.Path
		if pin, ok := a.ImageOverrides[s.Name]; ok {
			imageDigest, imagePath = pulumi.String(pin.Digest), pulumi.String(pin.Path) // a rolled-back canary
		}
		groupArgs := pulumi.Map{
			"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
			"imageDigest": imageDigest, "imagePath": imagePath, "port": pulumi.Int(s.Port),
			"min": pulumi.Int(s.Capacity.Min), "desired": pulumi.Int(s.Capacity.Desired), "max": pulumi.Int(s.Capacity.Max),
			"zones": pulumi.Int(a.Region.Zones), "health": health,
		}
		lbArgs := pulumi.Map{
			"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
			"port": pulumi.Int(s.Port), "health": health,
		}
		if s.Rollout.Strategy == topology.RolloutBlueGreen {
			groupArgs["blueGreen"], groupArgs["bakeMs"] = pulumi.Bool(true), pulumi.Int(int(s.Rollout.Bake.Milliseconds()))
			lbArgs["blueGreen"] = pulumi.Bool(true) // it balances both slot ranges
		}
		if sc := s.Scaling; sc.TargetRequests > 0 || sc.TargetCPU > 0 {
			groupArgs["targetRequests"] = pulumi.Int(sc.TargetRequests)
			groupArgs["targetCpu"] = pulumi.Int(sc.TargetCPU)
			groupArgs["cooldownMs"] = pulumi.Int(int(sc.Cooldown.Milliseconds()))
		}
		deps := []pulumi.Resource{region}
		// the parameters are in the region's store before instances start
		// with them, and a changed value replaces the instances
		for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
			param := &Parameter{}
			err := ctx.RegisterResource(contract.TypeLocalParameter, s.Name+"-"+name, pulumi.Map{
				"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
				"name": pulumi.String(name), "value": pulumi.String(s.Parameters[name]),
			}, param, parent)
			if err != nil {
				return nil, err
			}
			deps = append(deps, param)
		}
		secrets, err := secretParameters(ctx, env, a.Region.Name, s, parent)
		if err != nil {
			return nil, err
		}
		deps = append(deps, secrets...)
		if digest := s.ParametersDigest(); digest != "" {
			groupArgs["vars"] = pulumi.StringMap{"BULWARK_PARAMETERS_DIGEST": pulumi.String(digest)}
		}
		var db *Database
		if s.Database != nil {
			primary, replicas := a.Topology.PrimaryRegionOf(s)
			db = &Database{}
			err = ctx.RegisterResource(contract.TypeLocalDatabase, s.Name, pulumi.Map{
				"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
				"primary": pulumi.String(primary), "replicas": pulumi.ToStringArray(replicas),
				"replication": pulumi.String(string(s.Database.Replication)), "deletionProtection": pulumi.Bool(s.Database.DeletionProtection),
				"port": pulumi.Int(s.Port), // a database per service in one region: each at its service's port
			}, db, parent, pulumi.DependsOn([]pulumi.Resource{region}))
			if err != nil {
				return nil, err
			}
			deps = append(deps, db)
			groupArgs["databaseRegions"] = pulumi.ToStringArray(append([]string{primary}, replicas...))
			groupArgs["databasePort"] = pulumi.Int(s.Port)
			if s.Backup != nil && a.Region.Name == primary {
				vaults := s.Backup.CopyTo
				if len(vaults) == 0 {
					vaults = []string{primary} // no copy: the primary's own vault (a policy flags it)
				}
				plan := &BackupPlan{}
				err = ctx.RegisterResource(contract.TypeLocalBackupPlan, s.Name, pulumi.Map{
					"env": pulumi.String(env), "service": pulumi.String(s.Name), "primary": pulumi.String(primary),
					"vaults": pulumi.ToStringArray(vaults), "everySeconds": pulumi.Int(int(s.Backup.Every.Seconds())),
					"keepSeconds": pulumi.Int(int(s.Backup.Keep.Seconds())),
				}, plan, parent, pulumi.DependsOn([]pulumi.Resource{db}))
				if err != nil {
					return nil, err
				}
			}
		}
		group := &InstanceGroup{}
		if err := ctx.RegisterResource(contract.TypeLocalInstanceGroup, s.Name, groupArgs, group, parent, pulumi.DependsOn(deps)); err != nil {
			return nil, err
		}
		lb := &LoadBalancer{}
		err = ctx.RegisterResource(contract.TypeLocalLoadBalancer, s.Name, lbArgs, lb, parent, pulumi.DependsOn([]pulumi.Resource{group}))
		if err != nil {
			return nil, err
		}
		out[s.Name] = pulumi.Map{contract.OutputEndpoint: lb.Address, contract.OutputImage: img.Digest, contract.OutputInstances: group.Addresses}
		if db != nil {
			out[s.Name][contract.OutputDatabase] = db.Address
			out[s.Name][contract.OutputDatabaseRole] = db.Role
		}
	}
	return out, nil
}
