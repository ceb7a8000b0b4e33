package drill

import (
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ScenarioName names a kind of failure a drill injects. Both targets name
// their scenarios from this one list; a target offers those it can run.
type ScenarioName string

// The scenarios, in the order the CLI lists them.
const (
	InstanceLoss        ScenarioName = "instance-loss"
	ZoneLoss            ScenarioName = "zone-loss"
	RegionLoss          ScenarioName = "region-loss"
	RegionPartition     ScenarioName = "region-partition"
	DatabasePrimaryLoss ScenarioName = "db-primary-loss"
	BackupRestore       ScenarioName = "backup-restore"
)

// ScenarioNames are every scenario, in the order the CLI lists them.
var ScenarioNames = []ScenarioName{InstanceLoss, ZoneLoss, RegionLoss, RegionPartition, DatabasePrimaryLoss, BackupRestore}

// ParseScenarioName checks a name given on the command line.
func ParseScenarioName(s string) (ScenarioName, error) {
	for _, n := range ScenarioNames {
		if string(n) == s {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w: unknown scenario %q (one of %v)", ErrUnknownScenario, s, ScenarioNames)
}

// ErrUnknownScenario is a scenario name that is not one of ScenarioNames,
// or that the environment's target does not run.
var ErrUnknownScenario = errors.New("unknown scenario")

// Timing is what a target says about how fast it recovers, for the
// deadline a drill derives (DeriveDeadline) when it is given none.
type Timing struct {
	// Target names the target in the deadline's explanation.
	Target topology.Target
	// TypicalRecovery is how long a recovery typically takes when the
	// assessment has no estimate.
	TypicalRecovery time.Duration
	// DNSDetection is how long the service's DNS health checks take to
	// declare a region's endpoint down, and how that is worked out.
	DNSDetection func(topology.Service) (time.Duration, string)
}

// ErrNoSuchTarget is a service or region the environment does not have.
var ErrNoSuchTarget = errors.New("no such service or region")

// Choose resolves what a drill disrupts: the service (default the first)
// and the region (default the primary; for backup-restore the first
// region the service's backups are copied to, whose vault it restores
// from).
func Choose(t *topology.Topology, scenario ScenarioName, service, region string) (topology.Service, string, error) {
	var svc *topology.Service
	for i := range t.Services {
		if service == "" || t.Services[i].Name == service {
			svc = &t.Services[i]
			break
		}
	}
	if svc == nil {
		return topology.Service{}, "", noSuch(fmt.Sprintf("environment %s has no service %q", t.Environment.Name, service))
	}
	if region == "" {
		region = t.Primary().Name
		if scenario == BackupRestore && svc.Backup != nil && len(svc.Backup.CopyTo) > 0 {
			region = svc.Backup.CopyTo[0]
		}
	}
	if _, ok := t.Region(region); !ok {
		return topology.Service{}, "", noSuch(fmt.Sprintf("environment %s has no region %q", t.Environment.Name, region))
	}
	return *svc, region, nil
}

// noSuch is an ErrNoSuchTarget that reads as its message alone.
type noSuch string

func (e noSuch) Error() string        { return string(e) }
func (e noSuch) Is(target error) bool { return target == ErrNoSuchTarget }
