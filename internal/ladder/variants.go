package ladder

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Kind names a step of the ladder.
type Kind string

// The steps, cheapest first, and the environment as declared.
const (
	OneRegion     Kind = "one-region"
	BackupRestore Kind = "backup-restore"
	PilotLight    Kind = "pilot-light"
	WarmStandby   Kind = "warm-standby"
	ActiveActive  Kind = "active-active"
	Declared      Kind = "declared"
)

// Kinds are the steps in the order the ladder shows them.
var Kinds = []Kind{OneRegion, BackupRestore, PilotLight, WarmStandby, ActiveActive, Declared}

// Title is the step's name for people.
func (k Kind) Title() string {
	switch k {
	case OneRegion:
		return "one region"
	case BackupRestore:
		return "backup and restore"
	case PilotLight:
		return "pilot light"
	case WarmStandby:
		return "warm standby"
	case ActiveActive:
		return "active-active"
	case Declared:
		return "as declared"
	}
	return string(k)
}

// DefaultBackup is the backup plan the backup-and-restore step gives a
// service that declares none: AWS Backup's own default plan, a daily backup
// kept 35 days ("Daily-35day-Retention",
// https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html).
var DefaultBackup = topology.Backup{Every: 24 * time.Hour, Keep: 35 * 24 * time.Hour}

// Variant is one step for one service: the topology with that service
// changed (every other service as declared), and what changed.
type Variant struct {
	Service string
	Kind    Kind
	// Topology is a copy of the environment's with the service changed; it
	// shares everything else with the original (read-only) topology.
	Topology *topology.Topology
	// Changes say, one line each, what the step changes of the service.
	Changes []string
	// Standby, when set, is the capacity the planned instance groups of
	// StandbyRegions run at: the topology has one capacity per service, so
	// a standby smaller than the primary is a change to the plan, made
	// after planning (ReduceStandby), which the bill and the assessment
	// both read.
	Standby        *topology.Capacity
	StandbyRegions []string
	// ScaleUp is set for a pilot light: the standby runs no instance until
	// a failover scales it up, which the region-loss estimate adds.
	ScaleUp bool
	// RestoreIn is the region a backup-and-restore step restores into on a
	// region's loss.
	RestoreIn string
}

// Skipped is a step a service cannot take, and why.
type Skipped struct {
	Service string `json:"service"`
	Kind    Kind   `json:"variant"`
	Why     string `json:"why"`
}

// Variants makes every step the service can take, in the ladder's order,
// and says which it cannot take and why. The second region of the
// two-region steps is the service's first declared region after its
// primary; the steps use only regions the service declares (its
// certificates, image copies and dependencies are declared for those).
func Variants(t *topology.Topology, service string) ([]Variant, []Skipped, error) {
	i := slices.IndexFunc(t.Services, func(s topology.Service) bool { return s.Name == service })
	if i < 0 {
		return nil, nil, fmt.Errorf("no service %q in environment %s", service, t.Environment.Name)
	}
	decl := t.Services[i]
	primary, others := t.PrimaryRegionOf(decl)
	var out []Variant
	var skipped []Skipped
	skip := func(k Kind, why string) { skipped = append(skipped, Skipped{Service: service, Kind: k, Why: why}) }
	add := func(k Kind, changes []string, change func(s *topology.Service)) *Variant {
		s := copyService(decl)
		change(&s)
		out = append(out, Variant{Service: service, Kind: k, Topology: withService(t, i, s), Changes: changes})
		return &out[len(out)-1]
	}

	add(OneRegion, []string{
		fmt.Sprintf("regions: %s only (declared: %s)", primary, strings.Join(decl.Regions, ", ")),
		"mode: active-active in its one region (a standby needs a second region)",
		copyNote(decl, nil),
	}, func(s *topology.Service) {
		oneRegion(s, primary)
		if s.Backup != nil {
			s.Backup.CopyTo = nil
		}
	})

	noSecond := fmt.Sprintf("service %s runs in one region (%s): no second region is declared for it to copy to or fail over to", service, primary)
	noDB := fmt.Sprintf("service %s keeps no data (no database block): there is nothing to back up or replicate, so the step is the one-region one", service)
	switch {
	case len(others) == 0:
		skip(BackupRestore, noSecond)
	case decl.Database == nil:
		skip(BackupRestore, noDB)
	default:
		second := others[0]
		changes := []string{
			fmt.Sprintf("regions: %s only (declared: %s)", primary, strings.Join(decl.Regions, ", ")),
			"mode: active-active in its one region",
		}
		if decl.Backup == nil {
			changes = append(changes, fmt.Sprintf("backup: none declared; added every %s, kept %s (AWS Backup's default plan), copied to %s", fmtD(DefaultBackup.Every), fmtD(DefaultBackup.Keep), second))
		} else {
			changes = append(changes, fmt.Sprintf("backup: every %s, kept %s as declared, copied to %s only", fmtD(decl.Backup.Every), fmtD(decl.Backup.Keep), second))
		}
		changes = append(changes, fmt.Sprintf("on %s's loss: the newest copy restored in %s and the service deployed there (terms added by the ladder)", primary, second))
		v := add(BackupRestore, changes, func(s *topology.Service) {
			oneRegion(s, primary)
			if s.Backup == nil {
				b := DefaultBackup
				s.Backup = &b
			}
			s.Backup.CopyTo = []string{second}
		})
		v.RestoreIn = second
	}

	switch {
	case len(others) == 0:
		skip(PilotLight, noSecond)
		skip(WarmStandby, noSecond)
	default:
		second := others[0]
		two := []string{primary, second}
		regions := fmt.Sprintf("regions: %s (primary), %s (standby) (declared: %s)", primary, second, strings.Join(decl.Regions, ", "))
		if decl.Database == nil {
			skip(PilotLight, fmt.Sprintf("service %s keeps no data (no database block): a pilot light is a replica with no instances, and without a replica it is backup and restore without the backup", service))
		} else {
			v := add(PilotLight, []string{regions, "mode: hot-standby",
				fmt.Sprintf("%s: the database replica, the load balancer and an instance group of 0 instances (max %d kept)", second, decl.Capacity.Max),
				"on failover the group is scaled up to the declared capacity: the runbook acts, then an Auto Scaling launch and its health check grace period (the target's instance-replacement figure), added to the region-loss RTO",
				copyNote(decl, two),
			}, func(s *topology.Service) { standby(s, two) })
			v.Standby, v.StandbyRegions, v.ScaleUp = &topology.Capacity{Min: 0, Desired: 0, Max: decl.Capacity.Max}, []string{second}, true
		}
		warm := WarmCapacity(decl.Capacity)
		v := add(WarmStandby, []string{regions, "mode: hot-standby",
			fmt.Sprintf("%s: instance group at min %d, desired %d, max %d (declared %d/%d/%d): serves at once on failover, scaled up meanwhile", second, warm.Min, warm.Desired, warm.Max, decl.Capacity.Min, decl.Capacity.Desired, decl.Capacity.Max),
			copyNote(decl, two),
		}, func(s *topology.Service) { standby(s, two) })
		v.Standby, v.StandbyRegions = &warm, []string{second}
	}

	if len(others) == 0 {
		skip(ActiveActive, noSecond)
	} else {
		add(ActiveActive, []string{
			fmt.Sprintf("regions: every declared one (%s), all serving", strings.Join(decl.Regions, ", ")),
			fmt.Sprintf("mode: active-active (declared: %s)", decl.Mode),
		}, func(s *topology.Service) { s.Mode = topology.ActiveActive })
	}
	add(Declared, []string{"nothing: the environment file as it is"}, func(*topology.Service) {})
	return out, skipped, nil
}

// WarmCapacity is a warm standby's capacity: half the declared desired
// capacity, rounded up, as its minimum and desired (at least one
// instance), the declared maximum kept.
func WarmCapacity(c topology.Capacity) topology.Capacity {
	n := max(1, (c.Desired+1)/2)
	return topology.Capacity{Min: min(n, c.Max), Desired: min(n, c.Max), Max: c.Max}
}

// oneRegion keeps the service in its primary region only, active-active
// there (the loader refuses a hot standby with one region), rolling out
// rather than by a canary (which needs two regions).
func oneRegion(s *topology.Service, primary string) {
	s.Regions = []string{primary}
	s.Mode = topology.ActiveActive
	fitRollout(s)
	fitHTTPS(s)
}

// standby keeps the service in two regions, the primary serving.
func standby(s *topology.Service, regions []string) {
	s.Regions = slices.Clone(regions)
	s.Mode = topology.HotStandby
	fitRollout(s)
	fitHTTPS(s)
	if s.Backup != nil {
		s.Backup.CopyTo = slices.DeleteFunc(s.Backup.CopyTo, func(r string) bool { return !slices.Contains(regions, r) })
	}
}

// copyNote says what becomes of the backups' copies in a step that keeps
// regions (nil: none).
func copyNote(s topology.Service, regions []string) string {
	if s.Backup == nil {
		return "backup: none (none declared)"
	}
	var kept []string
	for _, r := range s.Backup.CopyTo {
		if slices.Contains(regions, r) {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return fmt.Sprintf("backup: every %s, kept %s, in the primary region only, no copy", fmtD(s.Backup.Every), fmtD(s.Backup.Keep))
	}
	return fmt.Sprintf("backup: every %s, kept %s, copied to %s", fmtD(s.Backup.Every), fmtD(s.Backup.Keep), strings.Join(kept, ", "))
}

// fitRollout keeps the rollout valid in fewer regions: a canary needs two
// regions and its canary region among the service's.
func fitRollout(s *topology.Service) {
	if s.Rollout.Strategy != topology.RolloutCanary {
		return
	}
	if len(s.Regions) < 2 {
		s.Rollout.Strategy, s.Rollout.Canary = topology.RolloutRolling, ""
		return
	}
	if !slices.Contains(s.Regions, s.Rollout.Canary) {
		s.Rollout.Canary = s.Regions[len(s.Regions)-1]
	}
}

// fitHTTPS keeps the certificates of the service's remaining regions (the
// loader refuses one for a region the service does not run in).
func fitHTTPS(s *topology.Service) {
	if s.HTTPS == nil {
		return
	}
	h := *s.HTTPS
	h.Certificates = map[string]string{}
	for _, r := range s.Regions {
		if arn, ok := s.HTTPS.Certificates[r]; ok {
			h.Certificates[r] = arn
		}
	}
	s.HTTPS = &h
}

// copyService copies what a step changes (regions, backup) so the
// original topology is never written.
func copyService(s topology.Service) topology.Service {
	s.Regions = slices.Clone(s.Regions)
	if s.Backup != nil {
		b := *s.Backup
		b.CopyTo = slices.Clone(b.CopyTo)
		s.Backup = &b
	}
	return s
}

// withService is a copy of t with service i replaced.
func withService(t *topology.Topology, i int, s topology.Service) *topology.Topology {
	c := *t
	c.Services = slices.Clone(t.Services)
	c.Services[i] = s
	return &c
}

// fmtD prints a duration briefly: 1h, 30m, 35d.
func fmtD(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
