package drill

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// DatabaseDependency is the dependency dependency-loss names for the
// service's own database.
const DatabaseDependency = "database"

// DefaultHold is how long a degradation holds its failure unless told.
const DefaultHold = 10 * time.Second

// Disruptions of the degradation scenarios: no objective of the
// environment covers them (its targets are for what a service recovers
// from), so a degradation drill has no RTO/RPO target and no estimate.
const (
	DisruptionDependency topology.Disruption = "dependency"
	DisruptionOrigin     topology.Disruption = "origin"
)

// ErrBadFault is a degradation asked for as it cannot be run: an unknown
// or undeclared dependency, a service without the cache or database the
// scenario needs, a flag of another scenario.
var ErrBadFault = errors.New("bad fault")

// Fault is what a degradation scenario does, as the command line asked
// for it and ResolveFault completed it; it crosses the target seam in
// target.DrillRequest.
type Fault struct {
	// Dependency is what dependency-loss cuts and latency slows: a service
	// the caller declares a depends_on block for, or DatabaseDependency
	// (dependency-loss only: the service's own database). Empty for
	// origin-loss.
	Dependency string `json:"dependency,omitempty"`
	// Regions are the caller's regions whose links to the dependency are
	// cut or slowed, or (origin-loss) whose instances are taken down
	// behind the cache; the default is every region of the caller. For
	// the database it is every region (the database has one writer).
	Regions []string `json:"regions"`
	// Latency and Jitter are latency's added delay, Latency ± Jitter on
	// each chunk of data each way; Ramp is how long the link takes to get
	// there, in steps (RampSteps).
	Latency time.Duration `json:"latency_ns,omitempty"`
	Jitter  time.Duration `json:"jitter_ns,omitempty"`
	Ramp    time.Duration `json:"ramp_ns,omitempty"`
	// Hold is how long the failure is held once injected (after the ramp).
	Hold time.Duration `json:"hold_ns"`
	// Budget is the longest one call to the dependency may take as the
	// caller declares it (topology.Dependency.Budget; 0 for the database
	// and origin-loss): latency's rule.
	Budget time.Duration `json:"budget_ns,omitempty"`
	// How says how the defaults were derived.
	How string `json:"how,omitempty"`
}

// IsZero says whether nothing of a fault was asked for.
func (f Fault) IsZero() bool {
	return f.Dependency == "" && len(f.Regions) == 0 && f.Latency == 0 && f.Jitter == 0 && f.Ramp == 0 && f.Hold == 0
}

// Describe says what the fault does, in a few words.
func (f Fault) Describe(s ScenarioName, service string) string {
	regions := strings.Join(f.Regions, ", ")
	switch {
	case s == DependencyLoss && f.Dependency == DatabaseDependency:
		return fmt.Sprintf("%s's database unavailable for %s", service, f.Hold)
	case s == DependencyLoss:
		return fmt.Sprintf("%s's link to %s cut in %s for %s", service, f.Dependency, regions, f.Hold)
	case s == Latency:
		return fmt.Sprintf("%s's link to %s slowed in %s by %s ± %s (ramped over %s), held %s", service, f.Dependency, regions, f.Latency, f.Jitter, f.Ramp, f.Hold)
	case s == OriginLoss:
		return fmt.Sprintf("every origin of %s's cache down in %s for %s", service, regions, f.Hold)
	}
	return string(s)
}

// ResolveFault checks what the command line asked of a degradation
// scenario for a service and fills in the defaults:
//
//   - Regions: every region of the service (each given must be one of
//     them); the database's loss is of every region.
//   - Hold: DefaultHold.
//   - latency: Latency 2 × the dependency's per-attempt timeout (every
//     attempt times out), Jitter a tenth of Latency, Ramp 4 × the
//     dependency's budget (its timeouts are crossed step by step).
//
// A scenario that is not a degradation takes none of it. Errors wrap
// ErrBadFault and read as what to change on the command line.
func ResolveFault(t *topology.Topology, svc topology.Service, s ScenarioName, f Fault) (Fault, error) {
	if !IsDegradation(s) {
		if !f.IsZero() {
			return f, badFault("--dependency, --region, --hold, --latency, --jitter and --ramp are for %v, not %s", DegradationNames, s)
		}
		return f, nil
	}
	if f.Hold < 0 || f.Latency < 0 || f.Jitter < 0 || f.Ramp < 0 {
		return f, badFault("--hold, --latency, --jitter and --ramp must not be negative")
	}
	if s != Latency && (f.Latency != 0 || f.Jitter != 0 || f.Ramp != 0) {
		return f, badFault("--latency, --jitter and --ramp are for the latency scenario, not %s", s)
	}
	if f.Hold == 0 {
		f.Hold = DefaultHold
	}
	for _, r := range f.Regions {
		if !slices.Contains(svc.Regions, r) {
			return f, badFault("service %s does not run in region %q (it runs in %v)", svc.Name, r, svc.Regions)
		}
	}
	if len(f.Regions) == 0 {
		f.Regions = slices.Clone(svc.Regions)
	}
	switch s {
	case OriginLoss:
		if f.Dependency != "" {
			return f, badFault("origin-loss takes the origins behind %s's cache down; --dependency is for dependency-loss and latency", svc.Name)
		}
		if svc.Cache == nil || len(svc.Cache.Paths) == 0 {
			return f, badFault("service %s has no cache block: origin-loss drills the cache in front of a service's read-only paths", svc.Name)
		}
		return f, nil
	case DependencyLoss:
		if f.Dependency == DatabaseDependency {
			if svc.Database == nil {
				return f, badFault("service %s has no database to lose", svc.Name)
			}
			f.Regions = slices.Clone(svc.Regions)
			return f, nil
		}
	}
	dep, err := declared(t, svc, s, f.Dependency)
	if err != nil {
		return f, err
	}
	f.Budget = dep.Budget()
	if s == Latency {
		var how []string
		if f.Latency == 0 {
			f.Latency = 2 * dep.Timeout
			how = append(how, fmt.Sprintf("latency 2 × %s's timeout %s", dep.On, dep.Timeout))
		}
		if f.Jitter == 0 {
			f.Jitter = f.Latency / 10
			how = append(how, "jitter a tenth of the latency")
		}
		if f.Ramp == 0 {
			f.Ramp = 4 * f.Budget
			how = append(how, fmt.Sprintf("ramp 4 × %s's budget %s", dep.On, f.Budget))
		}
		if f.Jitter > f.Latency {
			return f, badFault("--jitter (%s) must not exceed --latency (%s)", f.Jitter, f.Latency)
		}
		if len(how) > 0 {
			f.How = "defaults: " + strings.Join(how, ", ")
		}
	}
	return f, nil
}

// declared is the caller's depends_on block for a dependency of the
// environment's.
func declared(t *topology.Topology, svc topology.Service, s ScenarioName, name string) (topology.Dependency, error) {
	var names []string
	for _, d := range svc.Dependencies {
		if !d.External {
			names = append(names, d.On)
		}
	}
	if s == DependencyLoss && svc.Database != nil {
		names = append(names, DatabaseDependency)
	}
	if name == "" {
		return topology.Dependency{}, badFault("%s needs --dependency: one of %v (what %s depends on)", s, names, svc.Name)
	}
	if name == DatabaseDependency {
		return topology.Dependency{}, badFault("latency slows a link to a service; the database has none (dependency-loss --dependency database takes it away)")
	}
	for _, d := range svc.Dependencies {
		if d.On != name {
			continue
		}
		if d.External {
			return d, badFault("%s is an external endpoint; %s drills a service of the environment (one of %v)", name, s, names)
		}
		return d, nil
	}
	known := t != nil && slices.ContainsFunc(t.Services, func(x topology.Service) bool { return x.Name == name })
	if known {
		return topology.Dependency{}, badFault("service %s does not declare a dependency on %s (no depends_on %q block); it depends on %v", svc.Name, name, name, names)
	}
	return topology.Dependency{}, badFault("unknown dependency %q: environment has no service of that name; %s depends on %v", name, svc.Name, names)
}

// badFault is an ErrBadFault that reads as its message alone.
func badFault(format string, args ...any) error {
	return faultError(fmt.Sprintf(format, args...))
}

type faultError string

func (e faultError) Error() string        { return string(e) }
func (e faultError) Is(target error) bool { return target == ErrBadFault }

// RampStep is one step of a latency ramp: the delay to set, After the
// ramp's start.
type RampStep struct {
	After           time.Duration
	Latency, Jitter time.Duration
}

// RampSteps are the steps a latency fault reaches its full delay in: one
// every half second of the ramp, at most 10 (one step, at once, without a
// ramp); step i of n sets i/n of the latency and jitter, and the last
// sets them whole, a step's length before the ramp ends.
func RampSteps(f Fault) []RampStep {
	n := min(max(int(f.Ramp/(500*time.Millisecond)), 1), 10)
	out := make([]RampStep, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, RampStep{After: f.Ramp * time.Duration(i-1) / time.Duration(n),
			Latency: f.Latency * time.Duration(i) / time.Duration(n), Jitter: f.Jitter * time.Duration(i) / time.Duration(n)})
	}
	return out
}
