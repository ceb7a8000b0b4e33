package awsrunbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
)

var (
	// ErrNotFound is wrapped when a scope has no group, check, cluster or recovery point.
	ErrNotFound = errors.New("not found")
	// ErrTimeout is wrapped when a wait ends before its condition holds.
	ErrTimeout = errors.New("timed out")
)

// AutoScaling is the part of the Auto Scaling API the steps call.
type AutoScaling interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	TerminateInstanceInAutoScalingGroup(context.Context, *autoscaling.TerminateInstanceInAutoScalingGroupInput, ...func(*autoscaling.Options)) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error)
	SuspendProcesses(context.Context, *autoscaling.SuspendProcessesInput, ...func(*autoscaling.Options)) (*autoscaling.SuspendProcessesOutput, error)
	ResumeProcesses(context.Context, *autoscaling.ResumeProcessesInput, ...func(*autoscaling.Options)) (*autoscaling.ResumeProcessesOutput, error)
}

// Route53 is the part of the Route 53 API the steps call.
type Route53 interface {
	ListHealthChecks(context.Context, *route53.ListHealthChecksInput, ...func(*route53.Options)) (*route53.ListHealthChecksOutput, error)
	ListTagsForResources(context.Context, *route53.ListTagsForResourcesInput, ...func(*route53.Options)) (*route53.ListTagsForResourcesOutput, error)
	GetHealthCheckStatus(context.Context, *route53.GetHealthCheckStatusInput, ...func(*route53.Options)) (*route53.GetHealthCheckStatusOutput, error)
	UpdateHealthCheck(context.Context, *route53.UpdateHealthCheckInput, ...func(*route53.Options)) (*route53.UpdateHealthCheckOutput, error)
}

// RDS is the part of the RDS API the steps call.
type RDS interface {
	DescribeGlobalClusters(context.Context, *rds.DescribeGlobalClustersInput, ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error)
	FailoverGlobalCluster(context.Context, *rds.FailoverGlobalClusterInput, ...func(*rds.Options)) (*rds.FailoverGlobalClusterOutput, error)
	SwitchoverGlobalCluster(context.Context, *rds.SwitchoverGlobalClusterInput, ...func(*rds.Options)) (*rds.SwitchoverGlobalClusterOutput, error)
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DeleteDBCluster(context.Context, *rds.DeleteDBClusterInput, ...func(*rds.Options)) (*rds.DeleteDBClusterOutput, error)
}

// Backup is the part of the AWS Backup API the steps call.
type Backup interface {
	ListRecoveryPointsByBackupVault(context.Context, *backup.ListRecoveryPointsByBackupVaultInput, ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error)
	StartRestoreJob(context.Context, *backup.StartRestoreJobInput, ...func(*backup.Options)) (*backup.StartRestoreJobOutput, error)
	DescribeRestoreJob(context.Context, *backup.DescribeRestoreJobInput, ...func(*backup.Options)) (*backup.DescribeRestoreJobOutput, error)
}

// FIS is the part of the Fault Injection Service API the steps call.
type FIS interface {
	StartExperiment(context.Context, *fis.StartExperimentInput, ...func(*fis.Options)) (*fis.StartExperimentOutput, error)
	GetExperiment(context.Context, *fis.GetExperimentInput, ...func(*fis.Options)) (*fis.GetExperimentOutput, error)
	StopExperiment(context.Context, *fis.StopExperimentInput, ...func(*fis.Options)) (*fis.StopExperimentOutput, error)
	ListExperimentTemplates(context.Context, *fis.ListExperimentTemplatesInput, ...func(*fis.Options)) (*fis.ListExperimentTemplatesOutput, error)
}

// Clients gives each region's clients, and the global Route 53 one.
type Clients struct {
	AutoScaling func(region string) AutoScaling
	RDS         func(region string) RDS
	Backup      func(region string) Backup
	FIS         func(region string) FIS
	ELB         func(region string) ELB
	CloudWatch  func(region string) CloudWatch
	Route53     Route53
	// Poll is the wall time between two describe calls of a wait (default
	// 5 s): AWS's request rates are wall-clock rates.
	Poll time.Duration
	// Clock is the time a wait's limit is measured on (nil: the wall
	// clock); a test shares a scaled clock with the fakes of AWS, so that
	// AWS's minutes pass in milliseconds.
	Clock clock.Clock
}

// Now is the time on the clients' clock.
func (c *Clients) Now() time.Time { return clock.OrReal(c.Clock).Now() }

// maxPages bounds how many pages of one list the steps read: far more
// than any account holds (100,000 groups at 100 a page), so that a service
// that never ends its pages cannot keep a step reading forever.
const maxPages = 1000

// ErrTooManyPages is wrapped when a list has not ended after maxPages pages.
var ErrTooManyPages = errors.New("list did not end")

// ClientOptions configure NewClients.
type ClientOptions struct {
	// Endpoint replaces every service's endpoint (a fake on loopback); empty for AWS.
	Endpoint string
	// MaxBackoff bounds the retryer's delay after a throttled call (the SDK's default when zero).
	MaxBackoff time.Duration
}

// loadConfig loads the default AWS configuration for a set of clients:
// the retryer's backoff capped at o.MaxBackoff when set, and o.Endpoint
// (nil when unset) for every client's BaseEndpoint.
func loadConfig(ctx context.Context, o ClientOptions) (aws.Config, *string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, nil, fmt.Errorf("aws configuration: %w", err)
	}
	if o.MaxBackoff > 0 {
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) { so.Backoff = retry.NewExponentialJitterBackoff(o.MaxBackoff) })
		}
	}
	var endpoint *string
	if o.Endpoint != "" {
		endpoint = aws.String(o.Endpoint)
	}
	return cfg, endpoint, nil
}

// NewClients loads the default AWS configuration (environment, shared
// files, instance role) and makes the clients.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	cfg, endpoint, err := loadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Clients{
		AutoScaling: func(region string) AutoScaling {
			return autoscaling.NewFromConfig(cfg, func(o *autoscaling.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		RDS: func(region string) RDS {
			return rds.NewFromConfig(cfg, func(o *rds.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		Backup: func(region string) Backup {
			return backup.NewFromConfig(cfg, func(o *backup.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		FIS: func(region string) FIS {
			return fis.NewFromConfig(cfg, func(o *fis.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		ELB: func(region string) ELB {
			return elb.NewFromConfig(cfg, func(o *elb.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		CloudWatch: func(region string) CloudWatch {
			return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		// Route 53 is global: its control plane is in us-east-1
		Route53: route53.NewFromConfig(cfg, func(o *route53.Options) { o.Region, o.BaseEndpoint = "us-east-1", endpoint }),
	}, nil
}

// Scope selects resources by the tags every bulwark stack puts on them;
// an empty field matches any value.
type Scope struct{ Environment, Region, Service string }

func (s Scope) String() string {
	parts := []string{"env " + s.Environment}
	if s.Service != "" {
		parts = append(parts, "service "+s.Service)
	}
	if s.Region != "" {
		parts = append(parts, "region "+s.Region)
	}
	return strings.Join(parts, ", ")
}

func (s Scope) tags() map[string]string {
	m := map[string]string{contract.TagEnvironment: s.Environment}
	if s.Region != "" {
		m[contract.TagRegion] = s.Region
	}
	if s.Service != "" {
		m[contract.TagService] = s.Service
	}
	return m
}

// matches reports whether a resource's tags put it in the scope.
func (s Scope) matches(have map[string]string) bool {
	for k, v := range s.tags() {
		if have[k] != v {
			return false
		}
	}
	return true
}

// wait polls cond until it returns true, an error, or limit passes on the
// clients' clock, Poll of wall time apart; it polls at most limit/Poll+1
// times.
func (c *Clients) wait(ctx context.Context, what string, limit time.Duration, cond func() (bool, error)) error {
	return waitUntil(ctx, clock.OrReal(c.Clock), pollOr(c.Poll), what, limit, cond)
}

// pollOr is a poll interval, 5 s when unset.
func pollOr(d time.Duration) time.Duration {
	if d <= 0 {
		return 5 * time.Second
	}
	return d
}

// waitUntil polls cond until it returns true, an error, or limit passes on
// clk; between polls it waits poll of wall time (AWS's request rates are
// wall-clock rates). It polls at most limit/poll + 1 times.
func waitUntil(ctx context.Context, clk clock.Clock, poll time.Duration, what string, limit time.Duration, cond func() (bool, error)) error {
	deadline := clk.Now().Add(limit)
	for n := int64(limit/poll) + 1; ; n-- {
		done, err := cond()
		if err != nil || done {
			return err
		}
		if n <= 0 || clk.Now().After(deadline) {
			return fmt.Errorf("%s: %w after %s", what, ErrTimeout, limit)
		}
		if err := clock.Real.Sleep(ctx, poll); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// Group is an autoscaling group as the steps see it.
type Group struct {
	Name, Region string
	Desired      int
	InService    []string // instance IDs
	Zones        map[string]string
	Suspended    []string
}

func groupOf(region string, g asgtypes.AutoScalingGroup) Group {
	out := Group{Name: aws.ToString(g.AutoScalingGroupName), Region: region, Desired: int(aws.ToInt32(g.DesiredCapacity)), Zones: map[string]string{}}
	for _, i := range g.Instances {
		if i.LifecycleState == asgtypes.LifecycleStateInService {
			out.InService = append(out.InService, aws.ToString(i.InstanceId))
		}
		out.Zones[aws.ToString(i.InstanceId)] = aws.ToString(i.AvailabilityZone)
	}
	for _, p := range g.SuspendedProcesses {
		out.Suspended = append(out.Suspended, aws.ToString(p.ProcessName))
	}
	return out
}

// Groups finds the autoscaling groups of a scope in its region.
func (c *Clients) Groups(ctx context.Context, s Scope) ([]Group, error) {
	in := &autoscaling.DescribeAutoScalingGroupsInput{}
	tags := s.tags()
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Filters = append(in.Filters, asgtypes.Filter{Name: aws.String("tag:" + k), Values: []string{tags[k]}})
	}
	var out []Group
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c.AutoScaling(s.Region), in)
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return nil, fmt.Errorf("autoscaling groups of %s: %w after %d pages", s, ErrTooManyPages, page)
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("autoscaling groups of %s: %w", s, err)
		}
		for _, g := range res.AutoScalingGroups {
			out = append(out, groupOf(s.Region, g))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("autoscaling groups of %s: %w (are they tagged bulwark:env, bulwark:region, bulwark:service?)", s, ErrNotFound)
	}
	return out, nil
}

func (c *Clients) group(ctx context.Context, region, name string) (Group, error) {
	out, err := c.AutoScaling(region).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return Group{}, fmt.Errorf("autoscaling group %s in %s: %w", name, region, err)
	}
	if len(out.AutoScalingGroups) == 0 {
		return Group{}, fmt.Errorf("autoscaling group %s in %s: %w", name, region, ErrNotFound)
	}
	return groupOf(region, out.AutoScalingGroups[0]), nil
}

// TerminateInstance terminates an instance and lets its group replace it.
func (c *Clients) TerminateInstance(ctx context.Context, g Group, instance string) error {
	_, err := c.AutoScaling(g.Region).TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(instance), ShouldDecrementDesiredCapacity: aws.Bool(false),
	})
	if err != nil {
		return fmt.Errorf("terminate %s of %s in %s: %w", instance, g.Name, g.Region, err)
	}
	return nil
}

// WaitWhole waits until a group has its desired count in service, none of them among gone.
func (c *Clients) WaitWhole(ctx context.Context, region, name string, gone []string, limit time.Duration) (Group, error) {
	var g Group
	err := c.wait(ctx, fmt.Sprintf("autoscaling group %s in %s whole again", name, region), limit, func() (bool, error) {
		var err error
		g, err = c.group(ctx, region, name)
		if err != nil {
			return false, err
		}
		for _, id := range gone {
			if slices.Contains(g.InService, id) {
				return false, nil
			}
		}
		return len(g.InService) >= g.Desired, nil
	})
	return g, err
}

// Suspend suspends processes of a group (every process when none is named)
// and returns those it suspended, so Resume undoes exactly that.
func (c *Clients) Suspend(ctx context.Context, g Group, processes ...string) ([]string, error) {
	if len(processes) == 0 {
		processes = []string{"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"}
	}
	var fresh []string
	for _, p := range processes {
		if !slices.Contains(g.Suspended, p) {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	if _, err := c.AutoScaling(g.Region).SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(g.Name), ScalingProcesses: fresh}); err != nil {
		return nil, fmt.Errorf("suspend %v of %s in %s: %w", fresh, g.Name, g.Region, err)
	}
	return fresh, nil
}

// Resume resumes processes of a group; none named resumes nothing.
func (c *Clients) Resume(ctx context.Context, region, name string, processes []string) error {
	if len(processes) == 0 {
		return nil
	}
	if _, err := c.AutoScaling(region).ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String(name), ScalingProcesses: processes}); err != nil {
		return fmt.Errorf("resume %v of %s in %s: %w", processes, name, region, err)
	}
	return nil
}
