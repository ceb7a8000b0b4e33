package awsrunbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	bktypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	datatypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// ErrNotQueryable is wrapped when a restored copy does not answer a query
// within its wait.
var ErrNotQueryable = errors.New("does not answer queries")

// RecoveryPoint is a completed backup in a vault.
type RecoveryPoint struct {
	ARN, Vault, Region, ResourceARN string
	Created                         time.Time
}

// NewestRecoveryPoint finds the newest completed recovery point of a
// resource type in a region's vault.
func (c *Clients) NewestRecoveryPoint(ctx context.Context, region, vault, resourceType string) (RecoveryPoint, error) {
	var newest RecoveryPoint
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(c.Backup(region), &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String(vault), ByResourceType: aws.String(resourceType),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return newest, fmt.Errorf("recovery points in vault %s of %s: %w", vault, region, err)
		}
		for _, rp := range page.RecoveryPoints {
			created := aws.ToTime(rp.CreationDate)
			if rp.Status == bktypes.RecoveryPointStatusCompleted && created.After(newest.Created) {
				newest = RecoveryPoint{ARN: aws.ToString(rp.RecoveryPointArn), Vault: vault, Region: region, ResourceARN: aws.ToString(rp.ResourceArn), Created: created}
			}
		}
	}
	if newest.ARN == "" {
		return newest, fmt.Errorf("no completed %s recovery point in vault %s of %s: %w", resourceType, vault, region, ErrNotFound)
	}
	return newest, nil
}

// Restored is what a restore job made.
type Restored struct {
	JobID, ResourceARN string
	Finished           time.Time
}

// RestoreCluster restores an Aurora recovery point into a new cluster of
// the given identifier in the point's region, waits for the job and for
// the cluster to be available. The idempotency token makes a rerun find
// the job it started. The cluster has no DB instance yet: AWS Backup
// "does not create or attach an Amazon RDS instance" (AddInstance does)
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html).
func (c *Clients) RestoreCluster(ctx context.Context, p RecoveryPoint, role, cluster string, metadata map[string]string, limit time.Duration) (Restored, error) {
	meta := map[string]string{"DBClusterIdentifier": cluster, "Engine": "aurora-postgresql"}
	for k, v := range metadata {
		meta[k] = v
	}
	started, err := c.Backup(p.Region).StartRestoreJob(ctx, &backup.StartRestoreJobInput{
		RecoveryPointArn: aws.String(p.ARN), IamRoleArn: aws.String(role), Metadata: meta, ResourceType: aws.String("Aurora"),
		IdempotencyToken: aws.String("bulwark-" + cluster),
	})
	if err != nil {
		return Restored{}, fmt.Errorf("restore %s into %s: %w", p.ARN, cluster, err)
	}
	r := Restored{JobID: aws.ToString(started.RestoreJobId)}
	deadline := c.Now().Add(limit)
	err = c.wait(ctx, fmt.Sprintf("restore job %s", r.JobID), limit, func() (bool, error) {
		job, err := c.Backup(p.Region).DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: started.RestoreJobId})
		if err != nil {
			return false, fmt.Errorf("restore job %s: %w", r.JobID, err)
		}
		switch job.Status {
		case bktypes.RestoreJobStatusCompleted:
			r.ResourceARN = aws.ToString(job.CreatedResourceArn)
			return true, nil
		case bktypes.RestoreJobStatusFailed, bktypes.RestoreJobStatusAborted:
			return false, fmt.Errorf("restore job %s %s: %s", r.JobID, job.Status, aws.ToString(job.StatusMessage))
		}
		return false, nil
	})
	if err != nil {
		return r, err
	}
	err = c.wait(ctx, fmt.Sprintf("restored cluster %s available", cluster), deadline.Sub(c.Now()), func() (bool, error) {
		out, err := c.RDS(p.Region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cluster)})
		if err != nil {
			return false, fmt.Errorf("restored cluster %s: %w", cluster, err)
		}
		return len(out.DBClusters) > 0 && aws.ToString(out.DBClusters[0].Status) == "available", nil
	})
	r.Finished = c.Now()
	return r, err
}

// CopyRDS is the part of the RDS API the check of a restored copy calls:
// its cluster, the DB instance it needs, its Data API endpoint.
type CopyRDS interface {
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DeleteDBCluster(context.Context, *rds.DeleteDBClusterInput, ...func(*rds.Options)) (*rds.DeleteDBClusterOutput, error)
	CreateDBInstance(context.Context, *rds.CreateDBInstanceInput, ...func(*rds.Options)) (*rds.CreateDBInstanceOutput, error)
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DeleteDBInstance(context.Context, *rds.DeleteDBInstanceInput, ...func(*rds.Options)) (*rds.DeleteDBInstanceOutput, error)
	EnableHttpEndpoint(context.Context, *rds.EnableHttpEndpointInput, ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error)
}

// RDSData is the part of the RDS Data API the check calls.
type RDSData interface {
	ExecuteStatement(context.Context, *rdsdata.ExecuteStatementInput, ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error)
}

// SecretsManager is the part of Secrets Manager the check calls.
type SecretsManager interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

var (
	_ CopyRDS        = (*rds.Client)(nil)
	_ RDSData        = (*rdsdata.Client)(nil)
	_ SecretsManager = (*secretsmanager.Client)(nil)
)

// CopyClients check a restored copy of a database from the drill's side
// of the network: the RDS Data API answers over HTTPS where the cluster's
// own endpoint is inside its VPC. As Clients' waits, theirs are bounded on
// Clock (default the wall clock), which also times when the copy answered,
// and poll Poll of wall time apart (default 5 s).
type CopyClients struct {
	RDS     func(region string) CopyRDS
	Data    func(region string) RDSData
	Secrets func(region string) SecretsManager
	Clock   clock.Clock
	Poll    time.Duration
}

// NewCopyClients loads the default AWS configuration and makes the clients.
func NewCopyClients(ctx context.Context, o ClientOptions) (*CopyClients, error) {
	cfg, endpoint, err := loadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	return &CopyClients{
		RDS: func(region string) CopyRDS {
			return rds.NewFromConfig(cfg, func(o *rds.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		Data: func(region string) RDSData {
			return rdsdata.NewFromConfig(cfg, func(o *rdsdata.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		Secrets: func(region string) SecretsManager {
			return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
	}, nil
}

func (c *CopyClients) clock() clock.Clock { return clock.OrReal(c.Clock) }

func (c *CopyClients) poll() time.Duration { return pollOr(c.Poll) }

// waitFor is waitUntil on the clients' clock and poll interval.
func (c *CopyClients) waitFor(ctx context.Context, what string, limit time.Duration, cond func() (bool, error)) error {
	return waitUntil(ctx, c.clock(), c.poll(), what, limit, cond)
}

// Copy is a restored cluster as its check sees it.
type Copy struct {
	Region, Cluster, ARN, Engine string
	Instance                     string // the DB instance AddInstance made ("" before)
	Secret                       string // the ARN of the secret the Data API signs in with
	Database                     string // the database the service's table is in
}

// ScratchInstance names the one DB instance of a scratch cluster.
func ScratchInstance(cluster string) string { return cluster + "-1" }

// AddInstance creates the copy's DB instance, of the cluster's engine and
// the given class, and waits until it is available: a restored Aurora
// cluster answers nothing without one. The RDS Data API does not run on T
// instance classes
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
func (c *CopyClients) AddInstance(ctx context.Context, cp *Copy, class string, limit time.Duration) error {
	if strings.HasPrefix(class, "db.t") {
		return fmt.Errorf("instance class %s for %s: the RDS Data API does not run on T instance classes", class, cp.Cluster)
	}
	api := c.RDS(cp.Region)
	out, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cp.Cluster)})
	if err != nil {
		return fmt.Errorf("restored cluster %s in %s: %w", cp.Cluster, cp.Region, err)
	}
	if len(out.DBClusters) == 0 {
		return fmt.Errorf("restored cluster %s in %s: %w", cp.Cluster, cp.Region, ErrNotFound)
	}
	cp.ARN, cp.Engine = aws.ToString(out.DBClusters[0].DBClusterArn), aws.ToString(out.DBClusters[0].Engine)
	id := ScratchInstance(cp.Cluster)
	_, err = api.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBClusterIdentifier: aws.String(cp.Cluster),
		DBInstanceClass: aws.String(class), Engine: aws.String(cp.Engine),
	})
	if err != nil && errorCode(err) != "DBInstanceAlreadyExists" { // a rerun finds the one it made
		return fmt.Errorf("create instance %s in %s: %w", id, cp.Cluster, err)
	}
	cp.Instance = id
	return c.waitFor(ctx, fmt.Sprintf("instance %s of %s available", id, cp.Cluster), limit, func() (bool, error) {
		out, err := api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return false, fmt.Errorf("instance %s: %w", id, err)
		}
		return len(out.DBInstances) > 0 && aws.ToString(out.DBInstances[0].DBInstanceStatus) == "available", nil
	})
}

// OpenDataAPI enables the copy's HTTP endpoint (the RDS Data API, for
// Aurora PostgreSQL provisioned clusters among others:
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_EnableHttpEndpoint.html)
// and finds the ARN of the secret it signs in with, by name in the copy's
// region (DescribeSecret; an ARN ends in six random characters:
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
// The copy holds the users and passwords the source had at the recovery
// point: a secret whose password has not changed since signs in (the
// admin secret, never rotated; not the application's, which is).
func (c *CopyClients) OpenDataAPI(ctx context.Context, cp *Copy, secret, database string) error {
	if _, err := c.RDS(cp.Region).EnableHttpEndpoint(ctx, &rds.EnableHttpEndpointInput{ResourceArn: aws.String(cp.ARN)}); err != nil {
		return fmt.Errorf("enable the Data API of %s: %w", cp.Cluster, err)
	}
	out, err := c.Secrets(cp.Region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secret)})
	if err != nil {
		return fmt.Errorf("secret %s in %s: %w", secret, cp.Region, err)
	}
	cp.Secret, cp.Database = aws.ToString(out.ARN), database
	return nil
}

// AwaitQuery runs SELECT 1 on the copy until it is answered, and returns
// when (on the clock): the moment the copy took queries.
func (c *CopyClients) AwaitQuery(ctx context.Context, cp Copy, limit time.Duration) (time.Time, error) {
	var last error
	var answered time.Time
	err := c.waitFor(ctx, fmt.Sprintf("a query answered by %s", cp.Cluster), limit, func() (bool, error) {
		_, err := c.execute(ctx, cp, "SELECT 1")
		switch code := errorCode(err); {
		case err == nil:
			answered = c.clock().Now()
			return true, nil
		case code == "DatabaseUnavailableException" || code == "DatabaseNotFoundException" || code == "DatabaseResumingException":
			last = err // its instance is not there yet
			return false, nil
		default:
			return false, fmt.Errorf("query %s: %w", cp.Cluster, err)
		}
	})
	if errors.Is(err, ErrTimeout) {
		return time.Time{}, fmt.Errorf("%w: %w (last: %v)", ErrNotQueryable, err, last)
	}
	return answered, err
}

// writesPage bounds one read of the writes table: the Data API answers at
// most 1 MiB (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html),
// some 40 bytes a row.
const writesPage = 10000

// Writes lists which of the sequence numbers first..last the copy's writes
// table holds (images/shop's table: seq bigint primary key). A copy of a
// database that had no write yet has no such table: it holds none.
func (c *CopyClients) Writes(ctx context.Context, cp Copy, first, last int64) ([]int64, error) {
	var held []int64
	for from := first; from <= last; from += writesPage {
		to := min(from+writesPage-1, last)
		out, err := c.execute(ctx, cp, "SELECT seq FROM writes WHERE seq BETWEEN :from AND :to ORDER BY seq",
			datatypes.SqlParameter{Name: aws.String("from"), Value: &datatypes.FieldMemberLongValue{Value: from}},
			datatypes.SqlParameter{Name: aws.String("to"), Value: &datatypes.FieldMemberLongValue{Value: to}})
		if err != nil {
			var api smithy.APIError
			if errors.As(err, &api) && api.ErrorCode() == "DatabaseErrorException" && strings.Contains(api.ErrorMessage(), "42P01") {
				return nil, nil // undefined_table
			}
			return nil, fmt.Errorf("read the writes of %s: %w", cp.Cluster, err)
		}
		for _, rec := range out.Records {
			if len(rec) == 0 {
				continue
			}
			v, ok := rec[0].(*datatypes.FieldMemberLongValue)
			if !ok {
				return nil, fmt.Errorf("read the writes of %s: seq is a %T, not a bigint", cp.Cluster, rec[0])
			}
			held = append(held, v.Value)
		}
	}
	return held, nil
}

func (c *CopyClients) execute(ctx context.Context, cp Copy, sql string, params ...datatypes.SqlParameter) (*rdsdata.ExecuteStatementOutput, error) {
	in := &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(cp.ARN), SecretArn: aws.String(cp.Secret), Sql: aws.String(sql), Parameters: params}
	if cp.Database != "" {
		in.Database = aws.String(cp.Database)
	}
	return c.Data(cp.Region).ExecuteStatement(ctx, in)
}

// DeleteCopy deletes a scratch copy: its DB instance, then its cluster
// without a final snapshot (RDS refuses to delete a cluster that still has
// an instance not being deleted:
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html).
// What is already gone is not an error: a rerun after an interruption.
func (c *CopyClients) DeleteCopy(ctx context.Context, region, cluster string) error {
	api := c.RDS(region)
	instance := ScratchInstance(cluster)
	if _, err := api.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(instance), SkipFinalSnapshot: aws.Bool(true)}); err != nil && errorCode(err) != "DBInstanceNotFound" {
		return fmt.Errorf("delete scratch instance %s in %s: %w", instance, region, err)
	}
	if _, err := api.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(cluster), SkipFinalSnapshot: aws.Bool(true)}); err != nil && errorCode(err) != "DBClusterNotFoundFault" {
		return fmt.Errorf("delete scratch cluster %s in %s: %w", cluster, region, err)
	}
	return nil
}

// errorCode is an AWS error's code ("" for another error).
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
