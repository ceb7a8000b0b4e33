package awsrunbook

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	bktypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

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
// the job it started.
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
	deadline := time.Now().Add(limit)
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
	err = c.wait(ctx, fmt.Sprintf("restored cluster %s available", cluster), time.Until(deadline), func() (bool, error) {
		out, err := c.RDS(p.Region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cluster)})
		if err != nil {
			return false, fmt.Errorf("restored cluster %s: %w", cluster, err)
		}
		return len(out.DBClusters) > 0 && aws.ToString(out.DBClusters[0].Status) == "available", nil
	})
	r.Finished = time.Now()
	return r, err
}
