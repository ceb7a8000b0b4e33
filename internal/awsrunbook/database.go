package awsrunbook

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// GlobalCluster is an Aurora global database as the steps see it.
type GlobalCluster struct {
	ID, Status string
	Writer     string            // the writer member's cluster ARN
	Members    map[string]string // region -> cluster ARN
	FailingTo  string            // a failover's or switchover's target, while one runs
}

// RegionOfARN is the region field of an ARN (arn:aws:rds:<region>:...).
func RegionOfARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// DescribeGlobal reads a global cluster, asking RDS in region (any region of the account answers).
func (c *Clients) DescribeGlobal(ctx context.Context, region, id string) (GlobalCluster, error) {
	out, err := c.RDS(region).DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String(id)})
	if err != nil {
		return GlobalCluster{}, fmt.Errorf("global cluster %s: %w", id, err)
	}
	if len(out.GlobalClusters) == 0 {
		return GlobalCluster{}, fmt.Errorf("global cluster %s: %w", id, ErrNotFound)
	}
	g := out.GlobalClusters[0]
	gc := GlobalCluster{ID: id, Status: aws.ToString(g.Status), Members: map[string]string{}}
	for _, m := range g.GlobalClusterMembers {
		arn := aws.ToString(m.DBClusterArn)
		gc.Members[RegionOfARN(arn)] = arn
		if aws.ToBool(m.IsWriter) {
			gc.Writer = arn
		}
	}
	if g.FailoverState != nil {
		gc.FailingTo = aws.ToString(g.FailoverState.ToDbClusterArn)
	}
	return gc, nil
}

// MoveWriter makes the member in target the global cluster's writer and
// waits until RDS reports it so. With dataLoss it is an unplanned failover
// (the writer is treated as lost; what it had not replicated is lost with
// it); without, a switchover that first catches the target up (no loss,
// but the old writer must be healthy).
func (c *Clients) MoveWriter(ctx context.Context, id, target string, dataLoss bool, limit time.Duration) (GlobalCluster, error) {
	g, err := c.DescribeGlobal(ctx, target, id)
	if err != nil {
		return g, err
	}
	arn, ok := g.Members[target]
	if !ok {
		return g, fmt.Errorf("global cluster %s has no member in %s: %w", id, target, ErrNotFound)
	}
	if g.Writer == arn && g.FailingTo == "" {
		return g, nil // already there: a rerun after an interruption
	}
	if g.FailingTo == "" {
		if dataLoss {
			_, err = c.RDS(target).FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{
				GlobalClusterIdentifier: aws.String(id), TargetDbClusterIdentifier: aws.String(arn), AllowDataLoss: aws.Bool(true),
			})
		} else {
			_, err = c.RDS(target).SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{
				GlobalClusterIdentifier: aws.String(id), TargetDbClusterIdentifier: aws.String(arn),
			})
		}
		if err != nil {
			return g, fmt.Errorf("move the writer of %s to %s: %w", id, target, err)
		}
	}
	err = c.wait(ctx, fmt.Sprintf("writer of %s in %s", id, target), limit, func() (bool, error) {
		g, err = c.DescribeGlobal(ctx, target, id)
		return err == nil && g.Writer == arn && g.FailingTo == "" && g.Status == "available", err
	})
	return g, err
}

// DeleteScratchCluster deletes a cluster a restore created, without a final snapshot.
func (c *Clients) DeleteScratchCluster(ctx context.Context, region, id string) error {
	_, err := c.RDS(region).DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("delete scratch cluster %s in %s: %w", id, region, err)
	}
	return nil
}
