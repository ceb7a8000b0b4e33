package policies

import (
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Figure is one figure of a target's recovery the resource graph does not
// say (how long a promotion takes), with where it comes from: a page of
// the target's documentation, or a measurement on this kind of machine.
type Figure struct {
	D      time.Duration
	Source string
}

// Timings are a target's figures for the steps of a recovery that the
// graph does not say. The graph says the rest (health checks' intervals
// and thresholds, TTLs, replicas, backups).
type Timings struct {
	// Detect is how soon the runbook acts on a lost writer: the drill runs
	// it on the first failed write it sees. HungDetect is the same when
	// the write hangs rather than fails (a partition, a synchronous
	// standby lost): the client gives up on it first.
	Detect, HungDetect Figure
	// Promote is how long a replica takes to become the primary;
	// Reconnect how long after that the instances write again.
	Promote, Reconnect Figure
	// Replace is how long a new instance takes to serve.
	Replace Figure
	// Lag is the typical asynchronous replication lag.
	Lag Figure
	// Restore is how long restoring the latest backup into a new primary
	// takes with no WAL archived since it to replay: the restore, the
	// server's start and its recovery to the backup's end.
	// RestoreSegment is how much longer each WAL segment archived since the
	// backup makes it (restore_command fetches the segment, the server
	// replays it); zero when the target has no such figure (Restore then
	// stands for the whole restore, replay included).
	Restore, RestoreSegment Figure
	// RestoreProbe is how long each restore_command call that fetches no
	// WAL segment takes (a pgBackRest process asked for a timeline's
	// history file, or for a file the archive does not hold): a recovery
	// from a backup older than the newest timeline makes two such calls
	// per timeline after the backup's, which Restore (measured on one
	// timeline) does not include. Zero when the target has no such figure.
	RestoreProbe Figure
	// Archive, when the target archives WAL continuously, is the most a
	// restore misses: WAL reaches the vaults at least that often. Zero: a
	// restore has the newest backup only.
	Archive Figure
	// BalancerRetries says whether the target's load balancer retries a
	// request whose connection an instance refused on another instance,
	// and where that is said: then an instance's loss is not seen by
	// clients at all.
	BalancerRetries bool
	RetriesSource   string
	// DNSCheckTimeout is how long a DNS health check waits for an endpoint
	// that does not answer (a partition) before it counts a failure.
	DNSCheckTimeout Figure
	// DNSCheckers is how a target's DNS health checks decide: "one check"
	// or Route 53's share of checkers.
	DNSCheckers string
}

// DefaultTimings are each target's figures when nothing better is known:
// for aws AWS's documented figures, cited; for local the figures this
// project measured on its reference machine. A project's own measurement
// (calibration/local.json, written by `bulwark calibrate`) replaces them
// through Model.Timings, each figure saying where it comes from.
func DefaultTimings(t topology.Target) Timings {
	if t == topology.TargetAWS {
		return Timings{
			HungDetect: Figure{200 * time.Millisecond, "a write that hangs fails when the client gives up: the drill's probe after 200ms"},
			Detect: Figure{50 * time.Millisecond, "the runbook acts on the first failed write: a drill's probe writes every 50ms " +
				"(without a drill, the paging alarm's period, at least a minute: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)"},
			Promote: Figure{time.Minute, "Aurora global database managed failover, typically a minute or two " +
				"(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html)"},
			Reconnect: Figure{30 * time.Second, "the writer endpoint's DNS moves to the promoted cluster, TTL 5 s, and connection pools reconnect " +
				"(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html)"},
			Replace: Figure{5 * time.Minute, "an Auto Scaling launch and its health check grace period " +
				"(https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html)"},
			Lag: Figure{time.Second, "Aurora global database replication, typically under a second " +
				"(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html)"},
			Restore: Figure{30 * time.Minute, "an AWS Backup restore of an Aurora cluster and a new instance " +
				"(https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html)"},
			RetriesSource: "an Application Load Balancer does not retry a request on another target; it routes to a target until its health checks fail " +
				"(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html)",
			DNSCheckTimeout: Figure{4 * time.Second, "a Route 53 checker's connection timeout, 4 s (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)"},
			DNSCheckers:     "Route 53 declares an endpoint unhealthy once more than 18% of its checkers see the failure threshold",
		}
	}
	measured := "the default, not calibrated here (calibration/local.json: `bulwark calibrate`)"
	return Timings{
		Detect:          Figure{50 * time.Millisecond, "the drill's probe writes every 50ms; the runbook acts on its first failed write"},
		HungDetect:      Figure{200 * time.Millisecond, "a write that hangs fails when the client gives up: the drill's probe after 200ms"},
		Promote:         Figure{110 * time.Millisecond, measured + ": pg_ctl promote through the control plane"},
		Reconnect:       Figure{0, measured + ": the instances' multi-host URL finds the new primary on their next write"},
		Replace:         Figure{1500 * time.Millisecond, measured + ": a new process and its first health checks"},
		Lag:             Figure{100 * time.Millisecond, measured + ": asynchronous streaming replication on loopback"},
		Restore:         Figure{3 * time.Second, measured + ": pgBackRest restore and WAL replay, however much WAL there is"},
		RestoreProbe:    Figure{8 * time.Millisecond, measured + ": pgbackrest archive-get of a timeline history file the vault does not hold"},
		Archive:         Figure{30 * time.Second, "the control plane sets PostgreSQL's archive_timeout to 30s for a database with a backup plan: WAL reaches the vaults at least that often"},
		BalancerRetries: true,
		RetriesSource:   "HAProxy retries a refused connection on another instance (retries 3, option redispatch, retry-on conn-failure)",
		DNSCheckTimeout: Figure{time.Second, "PowerDNS's ifurlup timeout, 1s"},
		DNSCheckers:     "PowerDNS drops an address on one failed check",
	}
}

// Term is one term of an estimate: what takes the time, how long, and
// where the figure comes from.
type Term struct {
	What   string        `json:"what"`
	D      time.Duration `json:"-"`
	Source string        `json:"source,omitempty"`
}

func (t Term) String() string {
	if t.Source == "" {
		return fmt.Sprintf("%s %s", t.What, fmtD(t.D))
	}
	return fmt.Sprintf("%s %s (%s)", t.What, fmtD(t.D), t.Source)
}

// Sum adds the terms up: an estimate from its terms.
func Sum(terms []Term) time.Duration {
	var d time.Duration
	for _, t := range terms {
		d += t.D
	}
	return d
}
