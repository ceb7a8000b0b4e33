package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The drill scenarios an estimate is made for, named as the drill names
// them (internal/drill.ScenarioNames; a test in cmd/bulwark keeps the two
// lists equal).
const (
	ScenarioInstanceLoss        = "instance-loss"
	ScenarioZoneLoss            = "zone-loss"
	ScenarioRegionLoss          = "region-loss"
	ScenarioRegionPartition     = "region-partition"
	ScenarioDatabasePrimaryLoss = "db-primary-loss"
	ScenarioBackupRestore       = "backup-restore"
)

// Scenarios are the scenarios estimated, in the drill's order.
var Scenarios = []string{ScenarioInstanceLoss, ScenarioZoneLoss, ScenarioRegionLoss, ScenarioRegionPartition, ScenarioDatabasePrimaryLoss, ScenarioBackupRestore}

// ScenarioEstimate is what a client of a service should see when a drill
// scenario strikes one region: the typical outage from its first failed
// request to its first success after the last failure (RTO), and the
// acknowledged writes lost (RPO), each the sum of the terms of the path
// that takes longest, every term with its source. It is typical, not
// worst: what the median of several drills should measure.
type ScenarioEstimate struct {
	Service    string              `json:"service"`
	Scenario   string              `json:"scenario"`
	Region     string              `json:"region,omitempty"`
	Disruption topology.Disruption `json:"disruption"`
	RTO        time.Duration       `json:"-"`
	RPO        time.Duration       `json:"-"`
	// Unrecoverable is set when nothing takes over.
	Unrecoverable bool `json:"unrecoverable,omitempty"`
	// RPOUpTo says the RPO is a bound, not typical: what a restore loses
	// depends on when the newest backup ran.
	RPOUpTo bool `json:"rpo_up_to,omitempty"`
	// RTOTerms and RPOTerms are the terms that add up to RTO and RPO;
	// RTOHow and RPOHow say them in one line.
	RTOTerms []Term `json:"rto_terms"`
	RPOTerms []Term `json:"rpo_terms"`
	RTOHow   string `json:"rto_how"`
	RPOHow   string `json:"rpo_how"`
	// paths are the ways back the RTO is the slowest of (GivenDNSMove
	// conditions one of them on what a drill saw).
	paths []path
}

// For finds the estimate of a service's scenario in a region (the region
// is ignored for scenarios estimated for no particular region).
func (a Assessment) For(service, scenario, region string) (ScenarioEstimate, bool) {
	for _, e := range a.Scenarios {
		if e.Service == service && e.Scenario == scenario && (e.Region == "" || e.Region == region) {
			return e, true
		}
	}
	return ScenarioEstimate{}, false
}

// path is one way a client's requests come back (DNS moving clients, the
// writes coming back): its terms, the first detect of which are how long
// the failure takes to be detected.
type path struct {
	name   string
	terms  []Term
	detect int
}

// estimateScenarios makes every scenario's estimate for a service.
func estimateScenarios(s *Service, tm Timings) []ScenarioEstimate {
	var out []ScenarioEstimate
	add := func(e *ScenarioEstimate) {
		if e != nil {
			e.Service = s.Decl.Name
			out = append(out, *e)
		}
	}
	primary := primaryFirst(s)
	add(instanceLoss(s, primary, tm, false))
	add(instanceLoss(s, primary, tm, true))
	for _, d := range s.Regions {
		add(regionLoss(s, d.Region, tm, false))
		add(regionLoss(s, d.Region, tm, true))
	}
	add(primaryLoss(s, tm))
	add(backupRestore(s, tm))
	return out
}

// settle fills in the RTO from the slowest path and the one-line summaries.
func settle(e *ScenarioEstimate, paths []path) *ScenarioEstimate {
	e.paths = paths
	slow := -1
	for i := range paths {
		if slow < 0 || Sum(paths[i].terms) > Sum(paths[slow].terms) {
			slow = i
		}
	}
	if slow >= 0 {
		e.RTOTerms, e.RTO = paths[slow].terms, Sum(paths[slow].terms)
		e.RTOHow = how(paths[slow].terms)
		if len(paths) > 1 {
			var others []string
			for i, p := range paths {
				if i != slow {
					others = append(others, fmt.Sprintf("%s back in %s", p.name, fmtD(Sum(p.terms))))
				}
			}
			e.RTOHow = paths[slow].name + ": " + e.RTOHow + " (" + strings.Join(others, "; ") + ")"
		}
	}
	e.RPO = Sum(e.RPOTerms)
	if e.RPOHow == "" {
		e.RPOHow = how(e.RPOTerms)
	}
	return e
}

func how(terms []Term) string {
	if len(terms) == 0 {
		return "nothing"
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " + ")
}

// instanceLoss is one instance's loss in the primary region, or (zone)
// one zone's.
func instanceLoss(s *Service, region string, tm Timings, zone bool) *ScenarioEstimate {
	lb, group := s.servingParts()
	if lb == nil || group == nil {
		return nil
	}
	e := &ScenarioEstimate{Scenario: ScenarioInstanceLoss, Region: region, Disruption: topology.DisruptionInstance}
	if zone {
		e.Scenario, e.Disruption = ScenarioZoneLoss, topology.DisruptionZone
	}
	e.RPOTerms, e.RPOHow = nil, "instances keep no data"
	survivors := group.Desired >= 2
	if zone {
		survivors = min(group.Zones, group.Desired) >= 2
	}
	check := Term{"load balancer health checks", lbDetection(lb), fmt.Sprintf("every %s, unhealthy after %d: typically %s short of that", fmtD(lb.Interval), lb.UnhealthyAfter, fmtD(lb.Interval/2))}
	switch {
	case survivors && tm.BalancerRetries:
		return settle(e, []path{{name: "requests", terms: []Term{{"retried on another instance", 0, tm.RetriesSource}}}})
	case survivors:
		return settle(e, []path{{name: "requests", terms: []Term{check, {"routed to the other instances", 0, tm.RetriesSource}}}})
	case zone:
		// every instance of the region sits in the lost zone: its region is lost
		r := regionLoss(s, region, tm, false)
		if r == nil {
			return nil
		}
		r.Scenario, r.Disruption = ScenarioZoneLoss, topology.DisruptionZone
		r.RTOHow = "all instances in one zone, as the region's loss: " + r.RTOHow
		return r
	default:
		return settle(e, []path{{name: "requests", terms: []Term{check, {"a new instance", tm.Replace.D, tm.Replace.Source}}}})
	}
}

// lbDetection is how long a load balancer typically takes to find an
// instance dead: its interval times its threshold, less half an interval
// (the first failed check comes half an interval after the loss, on
// average).
func lbDetection(lb *Balancer) time.Duration {
	return max(0, lb.Interval*time.Duration(lb.UnhealthyAfter)-lb.Interval/2)
}

// dnsPath is how clients leave a lost region: the DNS health checks find
// it (half an interval to the next check, then the threshold's further
// checks; a partition's check waits for its timeout first), then clients
// keep the answer they had, typically half its TTL.
func dnsPath(dns *DNSRecord, tm Timings, partition bool) []Term {
	threshold := max(1, dns.Threshold)
	detect := dns.CheckInterval*time.Duration(threshold) - dns.CheckInterval/2
	terms := []Term{{"DNS health checks", detect, fmt.Sprintf("every %s, %d failure(s): %s", fmtD(dns.CheckInterval), threshold, tm.DNSCheckers)}}
	if partition {
		terms = append(terms, Term{"a check's timeout", tm.DNSCheckTimeout.D, tm.DNSCheckTimeout.Source})
	}
	return append(terms, Term{"clients keep the old answer", dns.TTL / 2, fmt.Sprintf("TTL %s: half of it, typically", fmtD(dns.TTL))})
}

// writerPath is how writes come back once the writer is lost: the runbook
// acts, promotes a replica, and the instances reconnect; or, without a
// replica, the latest backup is restored (restoreTerms).
func writerPath(db *Database, backup *BackupPlan, tm Timings, hung bool) []Term {
	terms := []Term{{"the runbook acts", tm.Detect.D, tm.Detect.Source}}
	if hung {
		terms = []Term{{"the runbook acts on a hung write", tm.HungDetect.D, tm.HungDetect.Source}}
	}
	if len(db.Replicas) == 0 {
		return append(terms, restoreTerms(backup, tm)...)
	}
	return append(terms, Term{"promotion", tm.Promote.D, tm.Promote.Source}, Term{"instances reconnect", tm.Reconnect.D, tm.Reconnect.Source})
}

// writerLoss is the RPO of losing the writer.
func writerLoss(s *Service, db *Database, tm Timings) ([]Term, string) {
	switch {
	case len(db.Replicas) > 0 && db.Replication == topology.Synchronous:
		return nil, "synchronous replication: every acknowledged write is on a replica"
	case len(db.Replicas) > 0:
		return []Term{{"asynchronous replication lag", tm.Lag.D, tm.Lag.Source}}, ""
	case s.Backup != nil && tm.Archive.D > 0:
		return []Term{{"writes not yet archived", tm.Archive.D / 2, tm.Archive.Source + ": half of it, typically"}}, ""
	case s.Backup != nil:
		return []Term{{"writes since the newest backup", s.Backup.Every / 2, fmt.Sprintf("a backup every %s: half of it, typically", fmtD(s.Backup.Every))}}, ""
	default:
		return nil, "no replica and no backup: all data"
	}
}

// regionLoss is a region's loss (its processes dead) or partition (cut
// off, still running).
func regionLoss(s *Service, region string, tm Timings, partition bool) *ScenarioEstimate {
	e := &ScenarioEstimate{Scenario: ScenarioRegionLoss, Region: region, Disruption: topology.DisruptionRegion}
	if partition {
		e.Scenario = ScenarioRegionPartition
	}
	if len(s.Regions) < 2 {
		e.Unrecoverable, e.RTOHow, e.RPOHow = true, "one region: nothing takes over", "data lost with the region unless backed up elsewhere"
		return e
	}
	var paths []path
	served := s.Decl.Mode == topology.ActiveActive || region == primaryFirst(s)
	if served {
		if s.DNS == nil || !s.DNS.HealthChecked {
			e.Unrecoverable, e.RTOHow = true, "no health-checked DNS record moves clients to another region"
			return e
		}
		dns := dnsPath(s.DNS, tm, partition)
		paths = append(paths, path{name: "DNS", terms: dns, detect: len(dns) - 1})
	}
	db := s.database()
	if db != nil {
		switch {
		case db.Primary == region:
			paths = append(paths, path{name: "writes", terms: writerPath(db, s.Backup, tm, partition)})
			e.RPOTerms, e.RPOHow = writerLoss(s, db, tm)
			e.Unrecoverable = len(db.Replicas) == 0 && s.Backup == nil
		case db.Replication == topology.Synchronous && len(db.Replicas) > 0:
			// the writer waits for its synchronous standby there until the
			// runbook tells it not to
			paths = append(paths, path{name: "writes", terms: []Term{{"the runbook acts on a hung write", tm.HungDetect.D, tm.HungDetect.Source},
				{"the writer stops waiting for the lost standby", tm.Reconnect.D, tm.Reconnect.Source}}})
		}
	}
	if len(paths) == 0 {
		e.RTOHow, e.RPOHow = "clients never reach it: it is a standby with no part in the writes", "no data there is needed"
		return e
	}
	return settle(e, paths)
}

// primaryLoss is the database primary's loss alone.
func primaryLoss(s *Service, tm Timings) *ScenarioEstimate {
	db := s.database()
	if db == nil {
		return nil
	}
	e := &ScenarioEstimate{Scenario: ScenarioDatabasePrimaryLoss, Region: db.Primary, Disruption: topology.DisruptionDatabase}
	e.RPOTerms, e.RPOHow = writerLoss(s, db, tm)
	if len(db.Replicas) == 0 && s.Backup == nil {
		e.Unrecoverable, e.RTOHow = true, "no replica and no backup"
		return e
	}
	return settle(e, []path{{name: "writes", terms: writerPath(db, s.Backup, tm, false)}})
}

// backupRestore is the newest backup restored beside the service, as the
// runbook for a lost database with no replica would: the RTO runs to the
// copy taking queries, the RPO is what the copy lacks.
func backupRestore(s *Service, tm Timings) *ScenarioEstimate {
	db := s.database()
	if db == nil || s.Backup == nil {
		return nil
	}
	e := &ScenarioEstimate{Scenario: ScenarioBackupRestore, Disruption: topology.DisruptionDatabase, RPOUpTo: true}
	e.RPOTerms = []Term{{"writes since the newest backup, at most", s.Backup.Every, fmt.Sprintf("a backup every %s", fmtD(s.Backup.Every))}}
	if tm.Archive.D > 0 {
		e.RPOTerms = []Term{{"writes not yet archived, at most", tm.Archive.D, tm.Archive.Source}}
	}
	return settle(e, []path{{name: "the copy", terms: restoreTerms(s.Backup, tm)}})
}

// restoreTerms are a restore of the latest backup: the restore itself,
// then, when the target archives WAL and knows how long a segment's replay
// takes, the WAL archived since the backup. The newest backup is typically
// half an interval old, and a segment is archived every Archive (at the
// latest; the writes of a drill's probe fill none sooner), so typically
// Every/2 ÷ Archive segments are replayed.
func restoreTerms(backup *BackupPlan, tm Timings) []Term {
	terms := []Term{{"restore the latest backup", tm.Restore.D, tm.Restore.Source}}
	if backup == nil || backup.Every <= 0 || tm.Archive.D <= 0 || tm.RestoreSegment.D <= 0 {
		return terms
	}
	segments := float64(backup.Every/2) / float64(tm.Archive.D)
	return append(terms, Term{"replay the WAL archived since the newest backup", time.Duration(segments * float64(tm.RestoreSegment.D)),
		fmt.Sprintf("a backup every %s, the newest typically half of that old; a WAL segment archived every %s (%s): %s segment(s) × %s (%s)",
			fmtD(backup.Every), fmtD(tm.Archive.D), tm.Archive.Source, strconv.FormatFloat(segments, 'f', -1, 64), fmtD(tm.RestoreSegment.D), tm.RestoreSegment.Source)})
}

// servingParts are the primary region's load balancer and group.
func (s *Service) servingParts() (*Balancer, *Group) {
	first := primaryFirst(s)
	for _, d := range s.Regions {
		if d.Region == first {
			return d.Balancer, d.Group
		}
	}
	return nil, nil
}
