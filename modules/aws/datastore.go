package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Datastore is a region's member of a service's Aurora PostgreSQL global
// database: the writer cluster in the primary region (which also declares
// the global cluster), a secondary cluster elsewhere; an instance per zone.
type Datastore struct {
	pulumi.ResourceState
	Endpoint pulumi.StringOutput
	Role     string // writer or secondary, as planned
}

// DatastoreArgs is what NewDatastore needs.
type DatastoreArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	Service  topology.Service
	Network  *Network
	// InstanceClass defaults to db.r6g.large.
	InstanceClass string
}

// GlobalCluster names a service's global database.
func GlobalCluster(t *topology.Topology, service string) string {
	return fmt.Sprintf("bulwark-%s-%s", t.Environment.Name, service)
}

// BackupTag is the tag that puts a service's data into its backup plan.
const BackupTag = "bulwark:backup"

// NewDatastore declares a region's member of the service's global database.
func NewDatastore(ctx *pulumi.Context, name string, a DatastoreArgs, opts ...pulumi.ResourceOption) (*Datastore, error) {
	primary, _ := a.Topology.PrimaryRegionOf(a.Service)
	d := &Datastore{Role: "secondary"}
	if primary == a.Region.Name {
		d.Role = "writer"
	}
	if err := ctx.RegisterComponentResource(TypeDatastore, name, d, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(d)
	s := a.Service
	if a.InstanceClass == "" {
		a.InstanceClass = "db.r6g.large"
	}
	global := GlobalCluster(a.Topology, s.Name)
	t := tags(a.Topology, a.Region.Name, s.Name, BackupTag, global)
	key, err := kms.NewKey(ctx, name+"-db", &kms.KeyArgs{
		Description: pulumi.Sprintf("%s database in %s", global, a.Region.Name), EnableKeyRotation: pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	subnets, err := rds.NewSubnetGroup(ctx, name, &rds.SubnetGroupArgs{
		Name: pulumi.Sprintf("%s-%s", global, a.Region.Name), SubnetIds: a.Network.PrivateSubnetIDs, Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-db", &ec2.SecurityGroupArgs{
		VpcId: a.Network.VpcID, Description: pulumi.Sprintf("%s database", global), Tags: t,
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
			CidrBlocks: pulumi.StringArray{pulumi.Sprintf("10.%d.0.0/16", regionIndex(a.Topology, a.Region.Name))},
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	args := &rds.ClusterArgs{
		ClusterIdentifier:       pulumi.Sprintf("%s-%s", global, a.Region.Name),
		Engine:                  pulumi.String("aurora-postgresql"),
		EngineVersion:           pulumi.String("16.4"),
		GlobalClusterIdentifier: pulumi.String(global),
		DbSubnetGroupName:       subnets.Name,
		VpcSecurityGroupIds:     pulumi.StringArray{sg.ID()},
		StorageEncrypted:        pulumi.Bool(true),
		KmsKeyId:                key.Arn,
		DeletionProtection:      pulumi.Bool(s.Database.DeletionProtection),
		BackupRetentionPeriod:   pulumi.Int(7),
		CopyTagsToSnapshot:      pulumi.Bool(true),
		SkipFinalSnapshot:       pulumi.Bool(!s.Database.DeletionProtection),
		Tags:                    t,
	}
	clusterOpts := []pulumi.ResourceOption{child}
	if d.Role == "writer" {
		gc, err := rds.NewGlobalCluster(ctx, name, &rds.GlobalClusterArgs{
			GlobalClusterIdentifier: pulumi.String(global), Engine: pulumi.String("aurora-postgresql"), EngineVersion: pulumi.String("16.4"),
			StorageEncrypted: pulumi.Bool(true), DeletionProtection: pulumi.Bool(s.Database.DeletionProtection),
			DatabaseName: pulumi.String(s.Name), Tags: t,
		}, child)
		if err != nil {
			return nil, err
		}
		args.MasterUsername = pulumi.String("bulwark")
		args.ManageMasterUserPassword = pulumi.Bool(true) // in Secrets Manager, never in code or state
		clusterOpts = append(clusterOpts, pulumi.DependsOn([]pulumi.Resource{gc}))
	}
	// a secondary joins the global cluster its primary region's stack
	// declares, by its identifier
	cluster, err := rds.NewCluster(ctx, name, args, clusterOpts...)
	if err != nil {
		return nil, err
	}
	for _, zone := range a.Network.Zones {
		if _, err := rds.NewClusterInstance(ctx, fmt.Sprintf("%s-%s", name, zone), &rds.ClusterInstanceArgs{
			ClusterIdentifier: cluster.ID(), InstanceClass: pulumi.String(a.InstanceClass),
			Engine: rds.EngineTypeAuroraPostgresql, EngineVersion: pulumi.String("16.4"),
			AvailabilityZone: pulumi.String(zone), DbSubnetGroupName: subnets.Name,
			PubliclyAccessible: pulumi.Bool(false), AutoMinorVersionUpgrade: pulumi.Bool(true), Tags: t,
		}, child); err != nil {
			return nil, err
		}
	}
	d.Endpoint = cluster.Endpoint
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": cluster.Endpoint, "role": pulumi.String(d.Role), "globalCluster": pulumi.String(global)})
}
