package awstarget

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

func init() {
	register(drill.BackupRestore, scenario{disruption: topology.DisruptionDatabase, build: func(ctx context.Context, b *build) (drill.Scenario, error) {
		if b.req.RestoreRole == "" {
			return nil, target.Errorf(target.ErrBadRequest, "backup-restore on aws needs --restore-role-arn: the IAM role AWS Backup restores with")
		}
		if err := needsAurora(b); err != nil {
			return nil, err
		}
		// the restored copy answers through the RDS Data API, signing in
		// with the database's admin secret (never rotated)
		copies, err := awsrunbook.NewCopyClients(ctx, b.opts)
		if err != nil {
			return nil, err
		}
		return &BackupRestore{Ops: b.ops, Copies: copies, Topology: b.topo, Service: b.req.Service, Vault: b.req.Region, Role: b.req.RestoreRole, Wait: b.req.Wait}, nil
	}})
}

// BackupRestore restores the newest recovery point of a service's
// database from a region's vault (a cross-region copy) into a scratch
// cluster there, gives it the DB instance AWS Backup does not create, and
// measures the recovery until the copy answers a query through the RDS
// Data API (signing in as the master user with the service's admin
// secret, contract.DatabaseAdminSecret); the writes the copy lacks are
// read from it. The return to steady state deletes the scratch instance
// and cluster.
type BackupRestore struct {
	Ops      *awsrunbook.Clients
	Copies   *awsrunbook.CopyClients
	Topology *topology.Topology
	Service  topology.Service
	Vault    string // the region whose vault the copy comes from
	Role     string // the IAM role AWS Backup restores with
	// InstanceClass is the scratch instance's class (default
	// DefaultInstanceClass); the Data API refuses T classes.
	InstanceClass string
	Wait          time.Duration
	Clock         clock.Clock

	point   awsrunbook.RecoveryPoint
	cluster string
	copy    awsrunbook.Copy
	ready   time.Time
}

// DefaultInstanceClass is the scratch instance's class: the stacks' own
// default for the service's instances (modules/aws).
const DefaultInstanceClass = "db.r6g.large"

var (
	_ drill.Scenario     = (*BackupRestore)(nil)
	_ drill.CopyVerifier = (*BackupRestore)(nil)
	_ drill.Clocked      = (*BackupRestore)(nil)
)

func (s *BackupRestore) Name() drill.ScenarioName        { return drill.BackupRestore }
func (s *BackupRestore) Disruption() topology.Disruption { return topology.DisruptionDatabase }

// UseClock sets the scenario's clock, and its runbook and copy clients',
// unless they have one: the copy's readiness is measured on it.
func (s *BackupRestore) UseClock(c clock.Clock) {
	s.Clock = shareClock(s.Clock, c, s.Ops)
	if s.Copies != nil && s.Copies.Clock == nil {
		s.Copies.Clock = s.Clock
	}
}

func (s *BackupRestore) Inject(ctx context.Context) (string, error) {
	if s.Copies == nil {
		return "", fmt.Errorf("%w: backup-restore on aws needs the clients of the RDS Data API and Secrets Manager", drill.ErrPreflight)
	}
	p, err := s.Ops.NewestRecoveryPoint(ctx, s.Vault, awsmodule.Vault(s.Topology, s.Service.Name), "Aurora")
	if err != nil {
		return "", fmt.Errorf("%w: %w", drill.ErrPreflight, err)
	}
	s.point = p
	return fmt.Sprintf("%s's data declared lost (nothing is touched); newest recovery point in %s's vault taken %s ago",
		s.Service.Name, s.Vault, clock.Since(clock.OrReal(s.Clock), p.Created).Round(time.Second)), nil
}

// ScratchCluster names a drill's scratch cluster: the global cluster's
// name, "-drill-" and the time, within RDS's 63 characters with room for
// its instance's suffix (awsrunbook.ScratchInstance).
func ScratchCluster(global string, at time.Time) string {
	suffix := fmt.Sprintf("-drill-%d", at.Unix())
	return strings.TrimRight(global[:min(len(global), 61-len(suffix))], "-") + suffix
}

func (s *BackupRestore) Recover(ctx context.Context) (string, error) {
	clk := clock.OrReal(s.Clock)
	global := awsmodule.GlobalCluster(s.Topology, s.Service.Name)
	s.cluster = ScratchCluster(global, clk.Now())
	var r awsrunbook.Restored
	err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		r, err = s.Ops.RestoreCluster(ctx, s.point, s.Role, s.cluster,
			map[string]string{"DBSubnetGroupName": fmt.Sprintf("%s-%s", global, s.Vault)}, waitOr(s.Wait))
		return err
	})
	if err != nil {
		return "", err
	}
	steps := []string{fmt.Sprintf("restored %s into %s (job %s)", s.point.ARN, s.cluster, r.JobID)}
	s.copy = awsrunbook.Copy{Region: s.Vault, Cluster: s.cluster}
	class := cmp.Or(s.InstanceClass, DefaultInstanceClass)
	if err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error { return s.Copies.AddInstance(ctx, &s.copy, class, waitOr(s.Wait)) }); err != nil {
		return strings.Join(steps, "; "), err
	}
	steps = append(steps, fmt.Sprintf("added instance %s (%s)", s.copy.Instance, class))
	// the copy holds the users and passwords of the recovery point: the
	// application user's password has been rotated since (its secret holds
	// the new one), the master user's is never rotated, so its secret signs in
	secret := contract.DatabaseAdminSecret(s.Topology.Environment.Name, s.Service.Name)
	if err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error {
		return s.Copies.OpenDataAPI(ctx, &s.copy, secret, contract.DatabaseName(s.Service.Name))
	}); err != nil {
		return strings.Join(steps, "; "), err
	}
	err = withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		s.ready, err = s.Copies.AwaitQuery(ctx, s.copy, waitOr(s.Wait))
		return err
	})
	if err != nil {
		return strings.Join(steps, "; "), err
	}
	steps = append(steps, fmt.Sprintf("the copy answers queries through the RDS Data API (secret %s)", secret))
	return strings.Join(steps, "; "), nil
}

// CopyReady is when the copy answered its first query.
func (s *BackupRestore) CopyReady() time.Time { return s.ready }

// CopyPresent reads which of the writes the copy holds, from the copy.
func (s *BackupRestore) CopyPresent(ctx context.Context, first, last int64) ([]int64, error) {
	if s.ready.IsZero() {
		return nil, fmt.Errorf("no restored copy of %s answers queries", s.Service.Name)
	}
	return s.Copies.Writes(ctx, s.copy, first, last)
}

// Restore deletes the scratch instance and cluster, whatever of them the
// recovery got to make.
func (s *BackupRestore) Restore(ctx context.Context) (string, error) {
	if s.cluster == "" {
		return "no scratch cluster to delete", nil
	}
	if err := s.Copies.DeleteCopy(ctx, s.Vault, s.cluster); err != nil {
		return "", err
	}
	return fmt.Sprintf("scratch instance %s and cluster %s deleted", awsrunbook.ScratchInstance(s.cluster), s.cluster), nil
}
