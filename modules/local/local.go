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

// WriteQueue is a service's write queue in the region.
type WriteQueue struct {
	pulumi.CustomResourceState
	Url pulumi.StringOutput `pulumi:"url"`
}

// Cache is a service's cache in front of its load balancers.
type Cache struct {
	pulumi.CustomResourceState
	Address pulumi.StringOutput `pulumi:"address"`
}

// Link is the region's link to a service its services call.
type Link struct {
	pulumi.CustomResourceState
	Address pulumi.StringOutput `pulumi:"address"`
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
// outputs ("endpoint": the load balancer's address). A service with a
// write queue gets it before its instances; one that calls other
// services of the environment, the region's link to each before its
// instances (one link per service called, whichever of the region's
// services call it); one with a cache, the cache after its load balancer.
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
	links := map[string]*Link{} // by the service called
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
		if timeout := a.Topology.LongestCallerTimeout(s.Name); timeout > 0 {
			lbArgs["callerTimeoutMs"] = pulumi.Int(int(timeout.Milliseconds()))
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
		vars := pulumi.StringMap{}
		if digest := s.ParametersDigest(); digest != "" {
			vars["BULWARK_PARAMETERS_DIGEST"] = pulumi.String(digest)
		}
		if s.Cache != nil { // the instances mark their cached paths' answers for the cache
			vars[contract.CacheControl] = pulumi.String(contract.CacheControlValue(s.Cache.TTL, s.Cache.StaleFor))
		}
		if len(vars) > 0 {
			groupArgs["vars"] = vars
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
		var queue *WriteQueue
		if s.WriteQueue != nil {
			queue = &WriteQueue{}
			err = ctx.RegisterResource(contract.TypeLocalWriteQueue, s.Name, pulumi.Map{
				"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
				"port": pulumi.Int(s.Port), "stream": pulumi.String(contract.QueueStreamName(env, s.Name)),
				"keepSeconds": pulumi.Int(int(s.WriteQueue.Keep.Seconds())), "maxReceives": pulumi.Int(s.WriteQueue.MaxReceives),
			}, queue, parent, pulumi.DependsOn([]pulumi.Resource{region}))
			if err != nil {
				return nil, err
			}
			deps = append(deps, queue)
			groupArgs["writeQueue"] = pulumi.Bool(true)
		}
		for _, d := range s.Dependencies {
			callee, ok := serviceNamed(a.Topology, d.On)
			if d.External || !ok {
				continue // an external endpoint: the instances reach it themselves
			}
			link, ok := links[callee.Name]
			if !ok {
				link = &Link{}
				err = ctx.RegisterResource(contract.TypeLocalLink, callee.Name, pulumi.Map{
					"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "callee": pulumi.String(callee.Name),
					"port": pulumi.Int(callee.Port), "upstream": pulumi.String(linkUpstream(callee, a.Region.Name)),
				}, link, pulumi.Parent(a.Parent), pulumi.DependsOn([]pulumi.Resource{region}))
				if err != nil {
					return nil, err
				}
				links[callee.Name] = link
			}
			if !slices.Contains(deps, pulumi.Resource(link)) {
				deps = append(deps, link)
			}
		}
		if len(s.Dependencies) > 0 {
			groupArgs["dependencies"] = dependencyInputs(s.Dependencies)
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
		if queue != nil {
			out[s.Name][contract.OutputQueue] = queue.Url
		}
		if s.Cache != nil {
			cache := &Cache{}
			err = ctx.RegisterResource(contract.TypeLocalCache, s.Name, pulumi.Map{
				"env": pulumi.String(env), "region": pulumi.String(a.Region.Name), "service": pulumi.String(s.Name),
				"port": pulumi.Int(s.Port), "paths": pulumi.ToStringArray(s.Cache.Paths),
				"ttlMs": pulumi.Int(int(s.Cache.TTL.Milliseconds())), "staleForMs": pulumi.Int(int(s.Cache.StaleFor.Milliseconds())),
				"origins": pulumi.ToStringArray(cacheOrigins(s, a.Region.Name)),
			}, cache, parent, pulumi.DependsOn([]pulumi.Resource{lb}))
			if err != nil {
				return nil, err
			}
			out[s.Name][contract.OutputCache] = cache.Address
		}
		if db != nil {
			out[s.Name][contract.OutputDatabase] = db.Address
			out[s.Name][contract.OutputDatabaseRole] = db.Role
		}
	}
	return out, nil
}
