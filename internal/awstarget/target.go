package awstarget

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsconstraints"
	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
	"github.com/bulwark-dev/bulwark/policies"
)

// Target is the aws target of one environment. Its AWS clients are made
// when an operation needs them, with the credentials the AWS SDK finds.
type Target struct {
	opts target.Options
}

var _ target.Target = (*Target)(nil)

// New makes the aws target of opts.Topology.
func New(opts target.Options) *Target { return &Target{opts: opts} }

// Name is aws.
func (*Target) Name() topology.Target { return topology.TargetAWS }

func (t *Target) clientOptions() awsrunbook.ClientOptions {
	return awsrunbook.ClientOptions{Endpoint: t.opts.Endpoint}
}

// ConfigureEngine insists on a real secrets provider (an aws environment
// holds secrets, so a passphrase environment needs BULWARK_PASSPHRASE) and
// on a checkpoint after every step.
func (t *Target) ConfigureEngine(_ context.Context, cfg *engine.Config, passphraseSet bool) error {
	env := t.opts.Topology
	if env.Environment.Secrets == "passphrase" && !passphraseSet {
		return fmt.Errorf("%w: environment %s (target %s) encrypts its secrets with a passphrase; export BULWARK_PASSPHRASE, or set secrets = \"awskms://...\" in %s",
			engine.ErrNoPassphrase, env.Environment.Name, env.Environment.Target, env.File)
	}
	// every step: a resource created but not recorded would be orphaned
	c, err := engine.CheckpointsFor(false, "aws", string(cfg.Checkpoints))
	cfg.Checkpoints = c
	return err
}

// ConfigureDeploy gives the orchestrator the canary's bake (the region's
// target health and CloudWatch; a failed bake stops the rollout, and
// instance refresh rolls failing instances back), the images a failed
// canary goes back to, blue-green, and the databases' application users
// once the primary regions are up (through the RDS Data API).
func (t *Target) ConfigureDeploy(ctx context.Context, o *orchestrate.Orchestrator) error {
	clients, err := awsrunbook.NewClients(ctx, t.clientOptions())
	if err != nil {
		return err
	}
	topo := t.opts.Topology
	o.Bake, o.PreviousImages = Bake(clients, topo, 0), PreviousImages(topo)
	o.BlueGreen = BlueGreen(clients, topo, filepath.Join(t.opts.ProjectRoot, "images"))
	users, err := awsrunbook.NewUserClients(ctx, t.clientOptions())
	if err != nil {
		return err
	}
	o.AfterPrimaries = AppUsers(users, topo)
	return nil
}

// AppUsers creates, for each service whose Aurora PostgreSQL primary is
// in one of the regions, the application user its secret names, in the
// primary cluster (awsrunbook.EnsureAppUser): the stacks declare the
// cluster, the admin secret and the application secret, but no SQL runs
// in a stack, and the alternating-users rotation needs the user to exist
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html#rotating-secrets-two-users).
// It says what it did per service; one service's failure does not keep
// the others from theirs.
func AppUsers(c *awsrunbook.UserClients, t *topology.Topology) func(ctx context.Context, regions []string) (string, error) {
	return func(ctx context.Context, regions []string) (string, error) {
		env := t.Environment.Name
		var did []string
		var errs []error
		for _, s := range t.Services {
			if s.Database == nil || s.Database.Engine != topology.EnginePostgres {
				continue
			}
			primary, _ := t.PrimaryRegionOf(s)
			if !slices.Contains(regions, primary) {
				continue
			}
			cluster := awsmodule.ClusterIdentifier(t, s.Name, primary)
			target, err := c.FindAppUserTarget(ctx, primary, cluster, contract.DatabaseAdminSecret(env, s.Name), contract.DatabaseSecret(env, s.Name))
			if err != nil {
				errs = append(errs, fmt.Errorf("service %s: %w", s.Name, err))
				continue
			}
			u, err := c.EnsureAppUser(ctx, target)
			if err != nil {
				errs = append(errs, fmt.Errorf("service %s: %w", s.Name, err))
				continue
			}
			did = append(did, fmt.Sprintf("%s (%s in %s): %s", s.Name, cluster, primary, u))
		}
		if len(did) == 0 && len(errs) == 0 {
			return fmt.Sprintf("no Aurora PostgreSQL database has its primary in %s", strings.Join(regions, ", ")), nil
		}
		return strings.Join(did, "; "), errors.Join(errs...)
	}
}

// WritersRestored is true: region-loss and db-primary-loss switch the
// Aurora writer back without data loss in their restore step.
func (*Target) WritersRestored() bool { return true }

// Status reads the environment from CloudWatch and its load balancers.
func (t *Target) Status(ctx context.Context) (*status.Report, error) {
	ops, err := awsrunbook.NewClients(ctx, t.clientOptions())
	if err != nil {
		return nil, err
	}
	return ReadStatus(ctx, ops, t.opts.Topology)
}

// Recreator is not offered on aws yet.
func (t *Target) Recreator(context.Context) (target.Recreator, error) {
	return nil, target.Errorf(target.ErrUnsupported, "runs on the local target today; environment %s targets aws", t.opts.Topology.Environment.Name)
}

// EstimateTimings are AWS's documented figures (policies.DefaultTimings).
func (*Target) EstimateTimings() (*policies.Timings, error) { return nil, nil }

// CheckPlan runs the AWS constraints suite over the plan.
func (*Target) CheckPlan(pl *plan.Plan) *target.Constraints {
	c := &target.Constraints{Suite: "AWS constraints", RulePrefix: "aws/", Violations: []target.Violation{}}
	for _, r := range awsconstraints.Rules() {
		c.Rules = append(c.Rules, target.Constraint{ID: r.ID, Summary: r.Summary, Source: r.Source})
	}
	c.RuleCount = len(c.Rules)
	for _, v := range awsconstraints.Check(pl) {
		c.Violations = append(c.Violations, target.Violation(v))
	}
	return c
}

// PreviewsOffline is false: a preview of pulumi-aws resources reads the
// account.
func (*Target) PreviewsOffline() bool { return false }

// UsesImageManifests is true: aws instances boot the golden images the
// manifests pin per region.
func (*Target) UsesImageManifests() bool { return true }

// Timing is how the aws target recovers: an Aurora global database's
// failover, "typically a minute or two"
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html),
// and Route 53's health checks' detection (DNSDetection).
func Timing() drill.Timing {
	return drill.Timing{Target: topology.TargetAWS, TypicalRecovery: 2 * time.Minute, DNSDetection: DNSDetection}
}

// DNSDetection is how long Route 53 takes to find a region's endpoint
// down: its health checks' request interval times their failure threshold
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html),
// as the global stack declares them for the service (modules/aws: 10 s or
// 30 s, and the health block's unhealthy_after, 1 to 10).
func DNSDetection(s topology.Service) (time.Duration, string) {
	interval := awsmodule.RequestInterval(s.Health)
	threshold := min(10, max(1, s.Health.UnhealthyAfter))
	return time.Duration(interval*threshold) * time.Second, fmt.Sprintf("Route 53 request interval %ds × failure threshold %d", interval, threshold)
}
