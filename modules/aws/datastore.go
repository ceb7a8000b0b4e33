package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Datastore is a region's member of a service's replicated data tier.
//
// engine "postgres": an Aurora PostgreSQL global database; the writer
// cluster in the primary region (which also declares the global cluster,
// the credentials' secret and the writer URL every region's instances
// read), a secondary cluster elsewhere; an instance per zone.
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
	// Runtime is how the region's instances get the database's part of
	// the runtime contract.
	Runtime DatabaseRuntime
}

// DatabaseRuntime is how an instance of a region gets the database's part
// of the runtime contract: values the stack knows (Env), values another
// region's stack writes into the region's Parameter Store (Parameters:
// contract key -> parameter name) and credentials from the region's copy
// of a Secrets Manager secret (Secret, SecretKeys: contract key -> the
// secret's JSON key). Nothing secret is in Env.
type DatabaseRuntime struct {
	Env        pulumi.StringMap
	Parameters map[string]string
	Secret     string
	SecretKeys map[string]string
	// SecretARN is the secret's full ARN where the stack declares it (the
	// primary region); zero elsewhere.
	SecretARN pulumi.StringOutput
}

// DatastoreArgs is what NewDatastore needs.
type DatastoreArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	Service  topology.Service
	Network  *Network
	// Provider is the region's provider (for the password's invoke).
	Provider pulumi.ProviderResource
	// InstanceClass defaults to db.r6g.large.
	InstanceClass string
}

// Aurora settings.
const (
	// AuroraEngineVersion is the version a new global database starts
	// at. AWS upgrades minor versions itself (AutoMinorVersionUpgrade), so
	// bulwark never reverts to it: the clusters ignore later differences
	// in engineVersion, and a major upgrade is an operator's decision
	// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-upgrade.html).
	AuroraEngineVersion = "16.4"
	// DatabaseUser is the clusters' master user.
	DatabaseUser = "bulwark"
	// DatabasePort is Aurora PostgreSQL's port.
	DatabasePort = 5432
)

// NewDatastore declares a region's member of the service's global database.
func NewDatastore(ctx *pulumi.Context, name string, a DatastoreArgs, opts ...pulumi.ResourceOption) (*Datastore, error) {
	primary, _ := a.Topology.PrimaryRegionOf(a.Service)
	d := &Datastore{Role: "secondary"}
	if primary == a.Region.Name {
		d.Role = "writer"
	}
	if err := ctx.RegisterComponentResource(contract.TypeAWSDatastore, name, d, opts...); err != nil {
		return nil, err
	}
	if a.Service.Database.Engine == topology.EngineDynamoDB {
		return d, d.globalTable(ctx, name, a, primary)
	}
	child := pulumi.Parent(d)
	s := a.Service
	env := a.Topology.Environment.Name
	if a.InstanceClass == "" {
		a.InstanceClass = "db.r6g.large"
	}
	global := GlobalCluster(a.Topology, s.Name)
	identifier := ClusterIdentifier(a.Topology, s.Name, a.Region.Name)
	t := tags(a.Topology, a.Region.Name, s.Name, contract.TagBackup, global)
	key, err := kms.NewKey(ctx, name+"-db", &kms.KeyArgs{
		Description: pulumi.Sprintf("%s database in %s", global, a.Region.Name), EnableKeyRotation: pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	subnets, err := rds.NewSubnetGroup(ctx, name, &rds.SubnetGroupArgs{
		Name: pulumi.String(identifier), SubnetIds: a.Network.PrivateSubnetIDs, Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-db", &ec2.SecurityGroupArgs{
		VpcId: a.Network.VpcID, Description: pulumi.Sprintf("%s database", global), Tags: t,
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(DatabasePort), ToPort: pulumi.Int(DatabasePort),
			CidrBlocks: pulumi.StringArray{pulumi.Sprintf("10.%d.0.0/16", regionIndex(a.Topology, a.Region.Name))},
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	args := &rds.ClusterArgs{
		ClusterIdentifier:       pulumi.String(identifier),
		Engine:                  pulumi.String("aurora-postgresql"),
		EngineVersion:           pulumi.String(AuroraEngineVersion),
		GlobalClusterIdentifier: pulumi.String(global),
		DbSubnetGroupName:       subnets.Name,
		VpcSecurityGroupIds:     pulumi.StringArray{sg.ID()},
		StorageEncrypted:        pulumi.Bool(true),
		KmsKeyId:                key.Arn,
		DeletionProtection:      pulumi.Bool(s.Database.DeletionProtection),
		BackupRetentionPeriod:   pulumi.Int(7),
		CopyTagsToSnapshot:      pulumi.Bool(true),
		SkipFinalSnapshot:       pulumi.Bool(!s.Database.DeletionProtection),
		// the RDS Data API: bulwark creates the application user through it,
		// and a promoted secondary takes it too
		// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html)
		EnableHttpEndpoint: pulumi.Bool(true),
		Tags:               t,
	}
	if s.Database.DeletionProtection {
		// DeleteDBCluster needs a snapshot name when it takes one
		// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html)
		args.FinalSnapshotIdentifier = pulumi.String(BoundedName(identifier+"-final", 255, "-"))
	}
	// AWS upgrades minor versions: an up must not try to go back
	clusterOpts := []pulumi.ResourceOption{child, pulumi.IgnoreChanges([]string{"engineVersion"})}
	dbName := contract.DatabaseName(s.Name)
	var password, globalEndpoint pulumi.StringOutput
	if d.Role == "writer" {
		gc, err := rds.NewGlobalCluster(ctx, name, &rds.GlobalClusterArgs{
			GlobalClusterIdentifier: pulumi.String(global), Engine: pulumi.String("aurora-postgresql"), EngineVersion: pulumi.String(AuroraEngineVersion),
			StorageEncrypted: pulumi.Bool(true), DeletionProtection: pulumi.Bool(s.Database.DeletionProtection),
			DatabaseName: pulumi.String(dbName), Tags: t,
		}, child, pulumi.IgnoreChanges([]string{"engineVersion"}))
		if err != nil {
			return nil, err
		}
		// Secrets Manager cannot manage the master password of a cluster
		// in a global database (ManageMasterUserPassword; see "Limitations"
		// in https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html),
		// so Secrets Manager makes one up at deploy time and it is written
		// to the cluster and to the secret write-only: never in the
		// engine's state or the plan
		password, err = generatedPassword(ctx, a.Provider)
		if err != nil {
			return nil, err
		}
		args.MasterUsername = pulumi.String(DatabaseUser)
		args.MasterPasswordWo = password
		args.MasterPasswordWoVersion = pulumi.Int(1)
		clusterOpts = append(clusterOpts, pulumi.DependsOn([]pulumi.Resource{gc}))
		if err := declareWriterURL(ctx, name, a, gc.Endpoint, dbName, child); err != nil {
			return nil, err
		}
		globalEndpoint = gc.Endpoint
	}
	// a secondary joins the global cluster its primary region's stack
	// declares, by its identifier (the orchestrator deploys the primary
	// region first on aws)
	cluster, err := rds.NewCluster(ctx, name, args, clusterOpts...)
	if err != nil {
		return nil, err
	}
	var secretARN pulumi.StringOutput
	if d.Role == "writer" {
		if secretARN, err = declareCredentials(ctx, name, a, password, globalEndpoint, dbName, child, pulumi.DependsOn([]pulumi.Resource{cluster})); err != nil {
			return nil, err
		}
	}
	for _, zone := range a.Network.Zones {
		// an instance takes its cluster's engine version: none is set here,
		// so AWS's minor upgrades are never undone
		if _, err := rds.NewClusterInstance(ctx, fmt.Sprintf("%s-%s", name, zone), &rds.ClusterInstanceArgs{
			ClusterIdentifier: cluster.ID(), InstanceClass: pulumi.String(a.InstanceClass),
			Engine:           rds.EngineTypeAuroraPostgresql,
			AvailabilityZone: pulumi.String(zone), DbSubnetGroupName: subnets.Name,
			PubliclyAccessible: pulumi.Bool(false), AutoMinorVersionUpgrade: pulumi.Bool(true), Tags: t,
		}, child); err != nil {
			return nil, err
		}
	}
	d.Endpoint, d.Identifier = cluster.Endpoint, cluster.ClusterIdentifier
	d.Runtime = DatabaseRuntime{
		Env: pulumi.StringMap{
			contract.DatabaseEngine:    pulumi.String(contract.EnginePostgres),
			contract.DatabaseReaderURL: postgresURL(cluster.ReaderEndpoint, dbName),
		},
		Parameters: map[string]string{contract.DatabaseWriterURL: contract.RuntimeParameter(env, s.Name, contract.DatabaseWriterURL)},
		Secret:     contract.DatabaseSecret(env, s.Name),
		SecretKeys: map[string]string{contract.DatabaseUser: "username", contract.DatabasePassword: "password"},
		SecretARN:  secretARN,
	}
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": cluster.Endpoint, "readerEndpoint": cluster.ReaderEndpoint, "role": pulumi.String(d.Role), "globalCluster": pulumi.String(global)})
}

// postgresURL is a libpq URL of a host, TLS required, without credentials.
func postgresURL(host pulumi.StringOutput, db string) pulumi.StringOutput {
	return pulumi.Sprintf("postgres://%s:%d/%s?sslmode=require", host, DatabasePort, db)
}

// generatedPassword asks Secrets Manager for a new password (letters and
// digits: it goes into URLs and environment files unescaped), marked
// secret. It is asked anew at every run; the write-only version settings
// apply it only when the cluster and the secret are created.
func generatedPassword(ctx *pulumi.Context, provider pulumi.ProviderResource) (pulumi.StringOutput, error) {
	var opts []pulumi.InvokeOption
	if provider != nil {
		opts = append(opts, pulumi.Provider(provider))
	}
	res, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
		PasswordLength: pulumi.IntRef(40), ExcludePunctuation: pulumi.BoolRef(true), RequireEachIncludedType: pulumi.BoolRef(true),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("a database password: %w", err)
	}
	return pulumi.ToSecret(pulumi.String(res.RandomPassword)).(pulumi.StringOutput), nil
}

// declareWriterURL writes the global database's writer URL (its global
// writer endpoint, which follows the writer through a failover or a
// switchover: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html)
// into the Parameter Store of every region of the service, where that
// region's instances read it.
func declareWriterURL(ctx *pulumi.Context, name string, a DatastoreArgs, endpoint pulumi.StringOutput, db string, child pulumi.ResourceOption) error {
	s := a.Service
	url := postgresURL(endpoint, db)
	for _, region := range s.Regions {
		if _, err := ssm.NewParameter(ctx, fmt.Sprintf("%s-writer-url-%s", name, region), &ssm.ParameterArgs{
			Region: pulumi.String(region),
			Name:   pulumi.String(contract.RuntimeParameter(a.Topology.Environment.Name, s.Name, contract.DatabaseWriterURL)),
			Type:   pulumi.String("String"), Tier: pulumi.String("Standard"), InsecureValue: url,
			Tags: tags(a.Topology, region, s.Name),
		}, child); err != nil {
			return err
		}
	}
	return nil
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
		d.Runtime = dynamoRuntime(table)
		return ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": d.Endpoint, "role": pulumi.String(d.Role), "table": pulumi.String(table)})
	}
	child := pulumi.Parent(d)
	t := tags(a.Topology, a.Region.Name, s.Name, contract.TagBackup, table)
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
	d.Runtime = dynamoRuntime(table)
	return ctx.RegisterResourceOutputs(d, pulumi.Map{"endpoint": tbl.Name, "role": pulumi.String(d.Role), "table": tbl.Name})
}

// dynamoRuntime is the contract's database part for a DynamoDB global
// table: the table's name (the region's replica answers under it; the
// instances' role reaches it, no credentials).
func dynamoRuntime(table string) DatabaseRuntime {
	return DatabaseRuntime{Env: pulumi.StringMap{
		contract.DatabaseEngine: pulumi.String(contract.EngineDynamoDB),
		contract.DatabaseTable:  pulumi.String(table),
	}}
}
