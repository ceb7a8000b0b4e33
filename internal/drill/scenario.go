package drill

import (
	"errors"
	"fmt"
	"slices"
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

// The degradation scenarios: a service is to ride them out degraded, not
// recover from them (Degrader).
const (
	// DependencyLoss cuts what a service depends on: another service's
	// link from the caller's regions, or the service's own database.
	DependencyLoss ScenarioName = "dependency-loss"
	// Latency slows a dependency's link, with jitter, ramped up.
	Latency ScenarioName = "latency"
	// OriginLoss takes every origin behind a service's cache down.
	OriginLoss ScenarioName = "origin-loss"
)

// ScenarioNames are the scenarios a service recovers from, in the order
// the CLI lists them: the assessment estimates each (policies.Scenarios)
// and the game day plans them.
var ScenarioNames = []ScenarioName{InstanceLoss, ZoneLoss, RegionLoss, RegionPartition, DatabasePrimaryLoss, BackupRestore}

// DegradationNames are the scenarios a service rides out degraded, listed
// after ScenarioNames: no RTO estimate covers them (they are judged by
// what the probe was served: Degrader), and the game day leaves them out.
var DegradationNames = []ScenarioName{DependencyLoss, Latency, OriginLoss}

// AllScenarioNames are ScenarioNames then DegradationNames: every name a
// target may register, in the order the CLI lists them.
func AllScenarioNames() []ScenarioName {
	return append(append([]ScenarioName(nil), ScenarioNames...), DegradationNames...)
}

// IsDegradation says whether a scenario is one of DegradationNames.
func IsDegradation(n ScenarioName) bool { return slices.Contains(DegradationNames, n) }

// ParseScenarioName checks a name given on the command line.
func ParseScenarioName(s string) (ScenarioName, error) {
	for _, n := range AllScenarioNames() {
		if string(n) == s {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w: unknown scenario %q (one of %v)", ErrUnknownScenario, s, AllScenarioNames())
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
