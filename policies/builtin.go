package policies

import (
	"fmt"
	"slices"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Builtin returns the built-in policies, in report order: the policies that
// judge services, then the resource-level ones.
func Builtin() []Policy {
	return append(append(append(servicePolicies(), graphPolicies()...), resourcePolicies()...), budgetPolicy())
}

func servicePolicies() []Policy {
	return []Policy{
		{
			ID: "region-count", Description: "every service runs in enough regions to survive the loss of one",
			Enforcement: Mandatory, Remediation: "add regions to the service (regions = [...]) or to the environment",
			Params: []Param{{Name: "min_regions", Default: cty.NumberIntVal(2), Description: "regions each service needs"}},
			Check:  checkRegionCount,
		},
		{
			ID: "zone-spread", Description: "instances spread over enough zones in every region",
			Enforcement: Mandatory, Remediation: "raise the region's zones and the service's desired capacity to at least min_zones",
			Params: []Param{{Name: "min_zones", Default: cty.NumberIntVal(2), Description: "zones each region's instances spread over"}},
			Check:  checkZoneSpread,
		},
		{
			ID: "min-capacity", Description: "the autoscaling minimum keeps enough instances in every serving region",
			Enforcement: Mandatory, Remediation: "raise capacity.min",
			Params: []Param{{Name: "min", Default: cty.NumberIntVal(2), Description: "least instances per serving region"}},
			Check:  checkMinCapacity,
		},
		{
			ID: "warm-standby", Description: "a hot standby's standby regions keep enough instances to take over",
			Enforcement: Advisory, Remediation: "raise capacity.min, or accept a slower takeover while the standby scales out",
			Params: []Param{{Name: "min", Default: cty.NumberIntVal(2), Description: "least instances per standby region"}},
			Check:  checkWarmStandby,
		},
		{
			ID: "n-plus-one", Description: "with any one region lost, the other regions' maximum capacity covers the total desired capacity",
			Enforcement: Mandatory, Remediation: "raise capacity.max so the surviving regions can absorb a lost region's load",
			Check: checkNPlusOne,
		},
		{
			ID: "dns-health-checked", Description: "every multi-region service's DNS record is health-checked, and failover has exactly one primary",
			Enforcement: Mandatory, Remediation: "give the service a dns block and a health check; for hot-standby, one primary region",
			Check: checkDNS,
		},
		{
			ID: "data-replicated", Description: "every data store is replicated to, or backed up in, another region",
			Enforcement: Mandatory, Remediation: "run the service in a second region (a replica follows) or add backup { copy_to = [...] }",
			Check: checkDataReplicated,
		},
		{
			ID: "backup-offsite", Description: "backup copies leave the source region",
			Enforcement: Mandatory, Remediation: "set backup.copy_to to another region",
			Check: checkBackupOffsite,
		},
		{
			ID: "backup-retention", Description: "backups are kept long enough",
			Enforcement: Mandatory, Remediation: "raise backup.keep",
			Params: []Param{{Name: "min_keep", Default: cty.StringVal("7d"), Description: "least retention"}},
			Check:  checkBackupRetention,
		},
		{
			ID: "images-pinned", Description: "every region runs a pinned image, the same build everywhere",
			Enforcement: Mandatory, Remediation: "promote one image build to every region",
			Check: checkImagesPinned,
		},
		{
			ID: "deletion-protection", Description: "production databases have deletion protection",
			Enforcement: Mandatory, Remediation: "set database.deletion_protection = true",
			Params: []Param{{Name: "environments", Default: cty.ListVal([]cty.Value{cty.StringVal("prod"), cty.StringVal("production")}), Description: "environments that are production"}},
			Check:  checkDeletionProtection,
		},
		{
			ID: "recovery-targets", Description: "the estimated RTO and RPO meet the environment's declared targets",
			Enforcement: Mandatory, Remediation: "shorten health check intervals and DNS TTLs, use synchronous replication, or revise the targets",
			Check: checkRecoveryTargets,
		},
	}
}

func finding(s *Service, region string, res *Resource, format string, args ...any) Finding {
	f := Finding{Message: fmt.Sprintf(format, args...), Service: s.Decl.Name, Region: region, Range: s.Decl.DeclRange}
	if res != nil {
		f.Stack, f.URN = res.Stack, res.URN
	}
	return f
}

func checkRegionCount(m *Model, p Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		if n := len(s.Regions); n < p.Int("min_regions") {
			out = append(out, finding(s, "", nil, "service %s runs in %d region(s); a region loss takes it down (need %d)", s.Decl.Name, n, p.Int("min_regions")))
		}
	}
	return out
}

func checkZoneSpread(m *Model, p Params) []Finding {
	var out []Finding
	want := p.Int("min_zones")
	for _, s := range m.Services {
		for _, d := range s.Regions {
			if d.Group == nil {
				continue
			}
			if spread := min(d.Group.Zones, d.Group.Desired); spread < want {
				f := finding(s, d.Region, &d.Group.Resource, "service %s in %s spreads over %d zone(s) (%d zones, %d instances); need %d",
					s.Decl.Name, d.Region, spread, d.Group.Zones, d.Group.Desired, want)
				f.Range = s.Decl.Capacity.DeclRange
				out = append(out, f)
			}
		}
	}
	return out
}

// primaryFirst is the region a hot-standby service serves from.
func primaryFirst(s *Service) string {
	for _, d := range s.Regions {
		if d.Primary {
			return d.Region
		}
	}
	return s.Regions[0].Region
}

func checkMinCapacity(m *Model, p Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		for _, d := range s.Regions {
			if d.Group == nil || !(s.Decl.Mode == topology.ActiveActive || d.Region == primaryFirst(s)) {
				continue
			}
			if d.Group.Min < p.Int("min") {
				f := finding(s, d.Region, &d.Group.Resource, "service %s in %s may scale down to %d instance(s); need at least %d", s.Decl.Name, d.Region, d.Group.Min, p.Int("min"))
				f.Range = s.Decl.Capacity.DeclRange
				out = append(out, f)
			}
		}
	}
	return out
}

func checkWarmStandby(m *Model, p Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		if s.Decl.Mode != topology.HotStandby {
			continue
		}
		for _, d := range s.Regions {
			if d.Group == nil || d.Region == primaryFirst(s) {
				continue
			}
			if d.Group.Min < p.Int("min") {
				f := finding(s, d.Region, &d.Group.Resource, "standby region %s of %s keeps %d instance(s); a takeover starts there with less than %d", d.Region, s.Decl.Name, d.Group.Min, p.Int("min"))
				f.Range = s.Decl.Capacity.DeclRange
				out = append(out, f)
			}
		}
	}
	return out
}

func checkNPlusOne(m *Model, _ Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		if s.Decl.Mode != topology.ActiveActive || len(s.Regions) < 2 {
			continue
		}
		total := 0
		for _, d := range s.Regions {
			if d.Group != nil {
				total += d.Group.Desired
			}
		}
		for _, lost := range s.Regions {
			left := 0
			for _, d := range s.Regions {
				if d != lost && d.Group != nil {
					left += d.Group.Max
				}
			}
			if left < total {
				f := finding(s, lost.Region, nil, "without %s, the other regions of %s can run %d instance(s), less than the %d desired in all", lost.Region, s.Decl.Name, left, total)
				f.Range = s.Decl.Capacity.DeclRange
				out = append(out, f)
			}
		}
	}
	return out
}

func checkDNS(m *Model, _ Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		if len(s.Regions) < 2 {
			continue
		}
		switch {
		case s.DNS == nil:
			out = append(out, finding(s, "", nil, "service %s has no DNS record in the global stack", s.Decl.Name))
		case !s.DNS.HealthChecked:
			f := finding(s, "", &s.DNS.Resource, "the DNS record of %s is not health-checked: a dead region keeps receiving clients", s.Decl.Name)
			f.Range = s.Decl.DNS.DeclRange
			out = append(out, f)
		case s.Decl.Mode == topology.HotStandby && (len(s.DNS.Sets) < 2 || len(s.DNS.Sets[0]) != 1):
			f := finding(s, "", &s.DNS.Resource, "the failover record of %s does not have exactly one primary region first", s.Decl.Name)
			f.Range = s.Decl.DNS.DeclRange
			out = append(out, f)
		}
	}
	return out
}

func (s *Service) database() *Database {
	for _, d := range s.Regions {
		if d.Database != nil {
			return d.Database
		}
	}
	return nil
}

func checkDataReplicated(m *Model, _ Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		db := s.database()
		if db == nil {
			continue
		}
		offsite := s.Backup != nil && slices.ContainsFunc(s.Backup.Vaults, func(v string) bool { return v != s.Backup.Source })
		if len(db.Replicas) == 0 && !offsite {
			f := finding(s, db.Primary, &db.Resource, "the database of %s lives only in %s: no replica, no backup in another region", s.Decl.Name, db.Primary)
			if s.Decl.Database != nil {
				f.Range = s.Decl.Database.DeclRange
			}
			out = append(out, f)
		}
	}
	return out
}

func checkBackupOffsite(m *Model, _ Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		if s.Backup == nil {
			continue
		}
		if !slices.ContainsFunc(s.Backup.Vaults, func(v string) bool { return v != s.Backup.Source }) {
			f := finding(s, s.Backup.Source, &s.Backup.Resource, "the backups of %s stay in %s, the region they protect", s.Decl.Name, s.Backup.Source)
			if s.Decl.Backup != nil {
				f.Range = s.Decl.Backup.DeclRange
			}
			out = append(out, f)
		}
	}
	return out
}

func checkBackupRetention(m *Model, p Params) []Finding {
	var out []Finding
	want := p.Duration("min_keep")
	for _, s := range m.Services {
		if s.Backup == nil || s.Backup.Keep >= want {
			continue
		}
		f := finding(s, s.Backup.Source, &s.Backup.Resource, "the backups of %s are kept %s, less than %s", s.Decl.Name, formatDuration(s.Backup.Keep), formatDuration(want))
		if s.Decl.Backup != nil {
			f.Range = s.Decl.Backup.DeclRange
		}
		out = append(out, f)
	}
	return out
}

func checkImagesPinned(m *Model, _ Params) []Finding {
	var out []Finding
	for _, s := range m.Services {
		builds := map[string][]string{}
		for _, d := range s.Regions {
			if d.Image == nil {
				continue
			}
			if d.Image.Digest == "" {
				out = append(out, finding(s, d.Region, &d.Image.Resource, "the image of %s in %s is not pinned to a build", s.Decl.Name, d.Region))
				continue
			}
			builds[d.Image.BuildOf()] = append(builds[d.Image.BuildOf()], d.Region)
		}
		if len(builds) > 1 {
			out = append(out, finding(s, "", nil, "%s runs %d different image builds across its regions: %v", s.Decl.Name, len(builds), builds))
		}
	}
	return out
}

func checkDeletionProtection(m *Model, p Params) []Finding {
	if !slices.Contains(p.Strings("environments"), m.Topology.Environment.Name) {
		return nil
	}
	var out []Finding
	for _, s := range m.Services {
		for _, d := range s.Regions {
			if d.Database != nil && !d.Database.DeletionProtection {
				f := finding(s, d.Region, &d.Database.Resource, "the production database of %s in %s can be deleted with its stack", s.Decl.Name, d.Region)
				if s.Decl.Database != nil {
					f.Range = s.Decl.Database.DeclRange
				}
				out = append(out, f)
			}
		}
	}
	return out
}

func checkRecoveryTargets(m *Model, _ Params) []Finding {
	var out []Finding
	for _, e := range Assess(m).Estimates {
		if e.Target == nil || e.Met() {
			continue
		}
		f := Finding{Service: e.Service, Message: e.Miss(), Range: e.Target.DeclRange}
		out = append(out, f)
	}
	return out
}

func formatDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
