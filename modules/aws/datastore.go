package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Datastore is a region's member of a service's replicated data tier.
//
// engine "postgres": an Aurora PostgreSQL global database; the writer
// cluster in the primary region (which also declares the global cluster),
// a secondary cluster elsewhere; an instance per zone.
//
// engine "dynamodb": a DynamoDB global table, declared whole by the primary
// region's stack (the table, a replica in every other region of the
// service, a multi-region KMS key and its replicas); another region's
// member only names it.
type Datastore struct {
	pulumi.ResourceState
	// Endpoint is the cluster's writer endpoint, or the table's name.
	Endpoint pulumi.StringOutput
	Role     string // writer, secondary (Aurora) or replica (DynamoDB), as planned
	// Identifier is the Aurora cluster's identifier or the table's name:
	// CloudWatch's dimension for its replication lag.
	Identifier pulumi.StringOutput
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
	if a.Service.Database.Engine == topology.EngineDynamoDB {
		return d, d.globalTable(ctx, name, a, primary)
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
	d.Endpoint, d.Identifier = cluster.Endpoint, cluster.ClusterIdentifier
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": cluster.Endpoint, "role": pulumi.String(d.Role), "globalCluster": pulumi.String(global)})
}

// globalTable declares, in the primary region, the service's DynamoDB global
// table: on-demand, streams on (replication needs them), point-in-time
// recovery and deletion protection in every region, encrypted with a
// multi-region key of its own.
func (d *Datastore) globalTable(ctx *pulumi.Context, name string, a DatastoreArgs, primary string) error {
	s := a.Service
	table := GlobalCluster(a.Topology, s.Name)
	if primary != a.Region.Name {
		d.Role = "replica"
		d.Endpoint = pulumi.String(table).ToStringOutput()
		d.Identifier = d.Endpoint
		return ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": d.Endpoint, "role": pulumi.String(d.Role), "table": pulumi.String(table)})
	}
	child := pulumi.Parent(d)
	t := tags(a.Topology, a.Region.Name, s.Name, BackupTag, table)
	key, err := kms.NewKey(ctx, name+"-table", &kms.KeyArgs{
		Description: pulumi.Sprintf("%s table", table), EnableKeyRotation: pulumi.Bool(true), MultiRegion: pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), Tags: t,
	}, child)
	if err != nil {
		return err
	}
	var replicas dynamodb.TableReplicaTypeArray
	for _, region := range s.Regions {
		if region == primary {
			continue
		}
		rk, err := kms.NewReplicaKey(ctx, fmt.Sprintf("%s-table-%s", name, region), &kms.ReplicaKeyArgs{
			PrimaryKeyArn: key.Arn, Region: pulumi.String(region), Description: pulumi.Sprintf("%s table in %s", table, region),
			DeletionWindowInDays: pulumi.Int(30), Tags: tags(a.Topology, region, s.Name),
		}, child)
		if err != nil {
			return err
		}
		replicas = append(replicas, dynamodb.TableReplicaTypeArgs{
			RegionName: pulumi.String(region), KmsKeyArn: rk.Arn, PointInTimeRecovery: pulumi.Bool(true),
			DeletionProtectionEnabled: pulumi.Bool(s.Database.DeletionProtection), PropagateTags: pulumi.Bool(true),
		})
	}
	tbl, err := dynamodb.NewTable(ctx, name, &dynamodb.TableArgs{
		Name: pulumi.String(table), BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey: pulumi.String("pk"), RangeKey: pulumi.String("sk"),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String("pk"), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String("sk"), Type: pulumi.String("S")},
		},
		StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("NEW_AND_OLD_IMAGES"),
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KmsKeyArn: key.Arn},
		DeletionProtectionEnabled: pulumi.Bool(s.Database.DeletionProtection),
		Replicas:                  replicas,
		Tags:                      t,
	}, child)
	if err != nil {
		return err
	}
	d.Endpoint, d.Identifier = tbl.Name, tbl.Name
	return ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": tbl.Name, "role": pulumi.String(d.Role), "table": tbl.Name})
}
