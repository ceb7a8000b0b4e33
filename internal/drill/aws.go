package drill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// The scenarios of the AWS target. Each runs the steps of package
// awsrunbook against the resources the stacks tagged; Wait bounds each of
// their waits (default 30 minutes: an Aurora failover takes minutes) on
// the scenario's Clock, which the drill sets to its own (Clocked).

func waitOr(d time.Duration) time.Duration {
	if d <= 0 {
		return 30 * time.Minute
	}
	return d
}

// withinWait runs one AWS operation, its calls and its waits, bounded by
// limit on the clock (the runbook's waits bound their polling only, on
// its clients' clock) and reports running past it as awsrunbook.ErrTimeout.
func withinWait(ctx context.Context, c clock.Clock, limit time.Duration, fn func(context.Context) error) error {
	limit = waitOr(limit)
	wctx, cancel := clock.OrReal(c).WithTimeout(ctx, limit)
	defer cancel()
	err := fn(wctx)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil && !errors.Is(err, awsrunbook.ErrTimeout) {
		return fmt.Errorf("%w after %s: %w", awsrunbook.ErrTimeout, limit, err)
	}
	return err
}

// shareClock is a scenario's clock: its own, else the drill's, which its
// runbook clients take too when they have none, so that the drill, the
// scenario and the runbook's waits run on one clock.
func shareClock(own, drill clock.Clock, ops *awsrunbook.Clients) clock.Clock {
	if own == nil {
		own = drill
	}
	if ops != nil && ops.Clock == nil {
		ops.Clock = own
	}
	return own
}

// awsDNSDetection is how long Route 53 takes to find a region's endpoint
// down: its health checks' request interval times their failure threshold
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html),
// as the global stack declares them for the service (modules/aws: 10 s or
// 30 s, and the health block's unhealthy_after, 1 to 10).
func awsDNSDetection(s topology.Service) (time.Duration, string) {
	interval := awsmodule.RequestInterval(s.Health)
	threshold := min(10, max(1, s.Health.UnhealthyAfter))
	return time.Duration(interval*threshold) * time.Second, fmt.Sprintf("Route 53 request interval %ds × failure threshold %d", interval, threshold)
}

// AWSInstanceLoss terminates one in-service instance of a service's
// autoscaling group in a region; the group replaces it.
type AWSInstanceLoss struct {
	Ops    *awsrunbook.Clients
	Scope  awsrunbook.Scope
	Wait   time.Duration
	Clock  clock.Clock
	group  awsrunbook.Group
	victim string
}

var (
	_ Scenario = (*AWSInstanceLoss)(nil)
	_ Clocked  = (*AWSInstanceLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *AWSInstanceLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *AWSInstanceLoss) Name() string                    { return "instance-loss" }
func (s *AWSInstanceLoss) Disruption() topology.Disruption { return topology.DisruptionInstance }

func (s *AWSInstanceLoss) Inject(ctx context.Context) (string, error) {
	groups, err := s.Ops.Groups(ctx, s.Scope)
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		if len(g.InService) > 0 {
			s.group, s.victim = g, g.InService[0]
			if err := s.Ops.TerminateInstance(ctx, g, s.victim); err != nil {
				return "", err
			}
			return fmt.Sprintf("terminated %s (%s) of %s in %s", s.victim, g.Zones[s.victim], g.Name, g.Region), nil
		}
	}
	return "", fmt.Errorf("%w: no instance in service in the groups of %s", ErrPreflight, s.Scope)
}

func (s *AWSInstanceLoss) Recover(context.Context) (string, error) {
	return "nothing to do: the group replaces the instance and the load balancer routes around it", nil
}

func (s *AWSInstanceLoss) Restore(ctx context.Context) (string, error) {
	if s.victim == "" {
		return "nothing was terminated", nil
	}
	var g awsrunbook.Group
	err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		g, err = s.Ops.WaitWhole(ctx, s.group.Region, s.group.Name, []string{s.victim}, waitOr(s.Wait))
		return err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s whole again: %d/%d in service", g.Name, len(g.InService), g.Desired), nil
}

// AWSRegionLoss takes a region out as its loss would look to clients and
// to the other regions: Route 53 health checks of its endpoints are
// inverted (DNS stops sending clients there, as when Route 53's checkers
// cannot reach it), and its groups' processes are suspended (nothing in
// the region reacts). The runbook fails over every Aurora global cluster
// whose writer was there; the return to steady state switches it back
// without data loss and undoes exactly what the injection did.
type AWSRegionLoss struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
	Region   string
	Wait     time.Duration
	Clock    clock.Clock

	inverted  []awsrunbook.HealthCheck
	suspended map[string][]string // group name -> processes the drill suspended
	moved     map[string]string   // global cluster -> the region its writer was in
}

var (
	_ Scenario = (*AWSRegionLoss)(nil)
	_ Clocked  = (*AWSRegionLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *AWSRegionLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *AWSRegionLoss) Name() string                    { return "region-loss" }
func (s *AWSRegionLoss) Disruption() topology.Disruption { return topology.DisruptionRegion }

func (s *AWSRegionLoss) scope(svc string) awsrunbook.Scope {
	return awsrunbook.Scope{Environment: s.Topology.Environment.Name, Region: s.Region, Service: svc}
}

func (s *AWSRegionLoss) Inject(ctx context.Context) (string, error) {
	s.suspended = map[string][]string{}
	for _, svc := range s.Topology.ServicesIn(s.Region) {
		checks, err := s.Ops.HealthChecks(ctx, s.scope(svc.Name))
		if err != nil {
			return s.injected(), err
		}
		for _, h := range checks {
			if h.Inverted {
				continue // already out of DNS: an earlier, interrupted drill; Restore puts it back
			}
			h, err := s.Ops.SetInverted(ctx, h, true)
			if err != nil {
				return s.injected(), err
			}
			s.inverted = append(s.inverted, h)
		}
		if svc.Runtime == topology.RuntimeContainer {
			continue // ECS services have no autoscaling group processes to suspend
		}
		groups, err := s.Ops.Groups(ctx, s.scope(svc.Name))
		if err != nil {
			return s.injected(), err
		}
		for _, g := range groups {
			procs, err := s.Ops.Suspend(ctx, g)
			if err != nil {
				return s.injected(), err
			}
			s.suspended[g.Name] = procs
		}
	}
	return s.injected(), nil
}

func (s *AWSRegionLoss) injected() string {
	return fmt.Sprintf("region %s out of DNS: %d health checks inverted; %d autoscaling groups' processes suspended", s.Region, len(s.inverted), len(s.suspended))
}

// Recover fails over every global cluster whose writer is in the lost region.
func (s *AWSRegionLoss) Recover(ctx context.Context) (string, error) {
	s.moved = map[string]string{}
	var steps []string
	for _, svc := range s.Topology.ServicesIn(s.Region) {
		if svc.Database == nil || svc.Database.Engine == topology.EngineDynamoDB {
			continue // a DynamoDB global table takes writes in every region
		}
		id := awsmodule.GlobalCluster(s.Topology, svc.Name)
		survivor := ""
		for _, r := range svc.Regions {
			if r != s.Region {
				survivor = r
				break
			}
		}
		if survivor == "" {
			steps = append(steps, fmt.Sprintf("%s: no other region to fail over to; restore from backup", svc.Name))
			continue
		}
		g, err := s.Ops.DescribeGlobal(ctx, survivor, id)
		if err != nil {
			return strings.Join(steps, "; "), err
		}
		if awsrunbook.RegionOfARN(g.Writer) != s.Region {
			continue
		}
		if err := s.moveWriter(ctx, id, survivor, true); err != nil {
			return strings.Join(steps, "; "), err
		}
		s.moved[id] = s.Region
		steps = append(steps, fmt.Sprintf("%s: failed the global cluster over to %s", svc.Name, survivor))
	}
	if len(steps) == 0 {
		return "nothing to do: DNS health checks move clients to the other regions", nil
	}
	return strings.Join(steps, "; ") + "; DNS health checks move clients", nil
}

func (s *AWSRegionLoss) moveWriter(ctx context.Context, id, to string, dataLoss bool) error {
	return withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error {
		_, err := s.Ops.MoveWriter(ctx, id, to, dataLoss, waitOr(s.Wait))
		return err
	})
}

// Restore puts the region back into DNS, resumes what it suspended and
// switches moved writers back.
func (s *AWSRegionLoss) Restore(ctx context.Context) (string, error) {
	var notes []string
	var errs []error
	for _, h := range s.inverted {
		if _, err := s.Ops.SetInverted(ctx, h, false); err != nil {
			errs = append(errs, err)
		}
	}
	notes = append(notes, fmt.Sprintf("%d health checks back to normal", len(s.inverted)))
	for name, procs := range s.suspended {
		if err := s.Ops.Resume(ctx, s.Region, name, procs); err != nil {
			errs = append(errs, err)
		}
	}
	notes = append(notes, fmt.Sprintf("%d groups resumed", len(s.suspended)))
	for id, region := range s.moved {
		if err := s.moveWriter(ctx, id, region, false); err != nil {
			errs = append(errs, err)
			continue
		}
		notes = append(notes, fmt.Sprintf("%s switched back to %s without data loss", id, region))
	}
	return strings.Join(notes, "; "), errors.Join(errs...)
}

// AWSDatabasePrimaryLoss treats the writer of a service's Aurora global
// cluster as lost: the runbook fails over (data loss allowed) to the next
// region of the service; the return to steady state switches back.
type AWSDatabasePrimaryLoss struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
	Service  topology.Service
	Wait     time.Duration
	Clock    clock.Clock
	from, to string
}

var (
	_ Scenario = (*AWSDatabasePrimaryLoss)(nil)
	_ Clocked  = (*AWSDatabasePrimaryLoss)(nil)
)

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *AWSDatabasePrimaryLoss) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *AWSDatabasePrimaryLoss) moveWriter(ctx context.Context, to string, dataLoss bool) error {
	return withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) error {
		_, err := s.Ops.MoveWriter(ctx, s.id(), to, dataLoss, waitOr(s.Wait))
		return err
	})
}

func (s *AWSDatabasePrimaryLoss) Name() string                    { return "db-primary-loss" }
func (s *AWSDatabasePrimaryLoss) Disruption() topology.Disruption { return topology.DisruptionDatabase }

func (s *AWSDatabasePrimaryLoss) id() string {
	return awsmodule.GlobalCluster(s.Topology, s.Service.Name)
}

// Inject declares the writer lost. Aurora offers no way to kill a writer;
// what clients see is the failover itself, which the recovery starts.
func (s *AWSDatabasePrimaryLoss) Inject(ctx context.Context) (string, error) {
	if s.Service.Database == nil || s.Service.Database.Engine == topology.EngineDynamoDB {
		return "", fmt.Errorf("%w: service %s has no Aurora database", ErrPreflight, s.Service.Name)
	}
	g, err := s.Ops.DescribeGlobal(ctx, s.Service.Regions[0], s.id())
	if err != nil {
		return "", err
	}
	s.from = awsrunbook.RegionOfARN(g.Writer)
	for _, r := range s.Service.Regions {
		if _, ok := g.Members[r]; ok && r != s.from {
			s.to = r
			break
		}
	}
	if s.to == "" {
		return "", fmt.Errorf("%w: global cluster %s has no secondary to fail over to", ErrPreflight, s.id())
	}
	return fmt.Sprintf("the writer of %s in %s declared lost", s.id(), s.from), nil
}

func (s *AWSDatabasePrimaryLoss) Recover(ctx context.Context) (string, error) {
	if err := s.moveWriter(ctx, s.to, true); err != nil {
		return "", err
	}
	return fmt.Sprintf("failed %s over to %s (data loss allowed)", s.id(), s.to), nil
}

func (s *AWSDatabasePrimaryLoss) Restore(ctx context.Context) (string, error) {
	if s.from == "" {
		return "nothing was failed over", nil
	}
	if err := s.moveWriter(ctx, s.from, false); err != nil {
		return "", err
	}
	return fmt.Sprintf("switched %s back to %s without data loss", s.id(), s.from), nil
}

// AWSBackupRestore restores the newest recovery point of a service's
// database from a region's vault (a cross-region copy) into a scratch
// cluster there, gives it the DB instance AWS Backup does not create, and
// measures the recovery until the copy answers a query through the RDS
// Data API (signing in as the master user with the service's admin
// secret, contract.DatabaseAdminSecret); the writes the copy lacks are
// read from it. The return to steady state deletes the scratch instance
// and cluster.
type AWSBackupRestore struct {
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
	_ Scenario     = (*AWSBackupRestore)(nil)
	_ CopyVerifier = (*AWSBackupRestore)(nil)
	_ Clocked      = (*AWSBackupRestore)(nil)
)

func (s *AWSBackupRestore) Name() string                    { return "backup-restore" }
func (s *AWSBackupRestore) Disruption() topology.Disruption { return topology.DisruptionDatabase }

// UseClock sets the scenario's clock, and its runbook and copy clients',
// unless they have one: the copy's readiness is measured on it.
func (s *AWSBackupRestore) UseClock(c clock.Clock) {
	s.Clock = shareClock(s.Clock, c, s.Ops)
	if s.Copies != nil && s.Copies.Clock == nil {
		s.Copies.Clock = s.Clock
	}
}

func (s *AWSBackupRestore) Inject(ctx context.Context) (string, error) {
	if s.Copies == nil {
		return "", fmt.Errorf("%w: backup-restore on aws needs the clients of the RDS Data API and Secrets Manager", ErrPreflight)
	}
	p, err := s.Ops.NewestRecoveryPoint(ctx, s.Vault, awsmodule.Vault(s.Topology, s.Service.Name), "Aurora")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrPreflight, err)
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

func (s *AWSBackupRestore) Recover(ctx context.Context) (string, error) {
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
func (s *AWSBackupRestore) CopyReady() time.Time { return s.ready }

// CopyPresent reads which of the writes the copy holds, from the copy.
func (s *AWSBackupRestore) CopyPresent(ctx context.Context, first, last int64) ([]int64, error) {
	if s.ready.IsZero() {
		return nil, fmt.Errorf("no restored copy of %s answers queries", s.Service.Name)
	}
	return s.Copies.Writes(ctx, s.copy, first, last)
}

// Restore deletes the scratch instance and cluster, whatever of them the
// recovery got to make.
func (s *AWSBackupRestore) Restore(ctx context.Context) (string, error) {
	if s.cluster == "" {
		return "no scratch cluster to delete", nil
	}
	if err := s.Copies.DeleteCopy(ctx, s.Vault, s.cluster); err != nil {
		return "", err
	}
	return fmt.Sprintf("scratch instance %s and cluster %s deleted", awsrunbook.ScratchInstance(s.cluster), s.cluster), nil
}

// FISExperiment injects a failure with an AWS FIS experiment template (an
// AZ power interruption, a cross-region connectivity cut, ...). The
// recovery and the return to steady state are Then's, if any; the
// experiment is stopped first when it still runs.
type FISExperiment struct {
	Ops      *awsrunbook.Clients
	Scenario string
	Kind     topology.Disruption
	Region   string
	Template string
	Then     Scenario
	Wait     time.Duration
	Clock    clock.Clock
	exp      awsrunbook.Experiment
}

var (
	_ Scenario = (*FISExperiment)(nil)
	_ Clocked  = (*FISExperiment)(nil)
)

// UseClock sets the clock of the scenario, its runbook clients and Then,
// unless they have one.
func (s *FISExperiment) UseClock(c clock.Clock) {
	s.Clock = shareClock(s.Clock, c, s.Ops)
	if then, ok := s.Then.(Clocked); ok {
		then.UseClock(s.Clock)
	}
}

func (s *FISExperiment) Name() string                    { return s.Scenario }
func (s *FISExperiment) Disruption() topology.Disruption { return s.Kind }

func (s *FISExperiment) Inject(ctx context.Context) (string, error) {
	err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		s.exp, err = s.Ops.StartExperiment(ctx, s.Region, s.Template, fmt.Sprintf("bulwark-%s-%d", s.Scenario, time.Now().UnixNano()), waitOr(s.Wait))
		return err
	})
	e := s.exp
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("FIS experiment %s from template %s %s in %s", e.ID, s.Template, e.Status, s.Region), nil
}

func (s *FISExperiment) Recover(ctx context.Context) (string, error) {
	if s.Then == nil {
		return "nothing to do: the experiment's actions run until it ends", nil
	}
	return s.Then.Recover(ctx)
}

func (s *FISExperiment) Restore(ctx context.Context) (string, error) {
	var notes []string
	if s.exp.ID != "" {
		var e awsrunbook.Experiment
		err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
			e, err = s.Ops.EndExperiment(ctx, s.exp, waitOr(s.Wait))
			return err
		})
		if err != nil {
			return "", err
		}
		notes = append(notes, fmt.Sprintf("experiment %s %s", e.ID, e.Status))
	}
	if s.Then != nil {
		note, err := s.Then.Restore(ctx)
		notes = append(notes, note)
		if err != nil {
			return strings.Join(notes, "; "), err
		}
	}
	return strings.Join(slices.DeleteFunc(notes, func(n string) bool { return n == "" }), "; "), nil
}

// AWSStopConditions are an AWS environment's paging CloudWatch alarms
// (bulwark-<env>-...; their descriptions carry the severity) in every
// region of the environment and in us-east-1, where Route 53's health
// check alarms live. An alarm's region is the one its name holds; a name
// with no region of the environment is outside every blast radius.
type AWSStopConditions struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
}

// Breached lists the paging alarms in ALARM outside the given regions.
func (c *AWSStopConditions) Breached(ctx context.Context, outside []string) ([]string, error) {
	alarms, err := c.Ops.EnvironmentAlarms(ctx, c.Topology.Environment.Name, c.Topology.RegionNames())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range alarms {
		if sev, _ := slo.AlarmSeverity(a.Description); sev != slo.Page {
			continue
		}
		region, _ := slo.AlarmScope(c.Topology, a.Name)
		if region != "" && slices.Contains(outside, region) {
			continue
		}
		out = append(out, fmt.Sprintf("%s (page) since %s", a.Name, a.Since.Format(time.TimeOnly)))
	}
	slices.Sort(out)
	return out, nil
}
