package awstarget

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/gameday"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/policies"
)

// A game day on the aws target runs, against awsfake.Cloud on the scaled
// clock, the drills `bulwark gameday` builds: each through Target.Drill
// (the runbook's steps, the target's Timing, the paging alarms as stop
// conditions wrapped by the game day's Alarms) with the assessment's
// estimate for its scenario and region, as the CLI's drillOptions adds it,
// and the deadline left to the drill to derive. Only what the fakes need
// differs from the CLI: the clock, the probe's DNS (the fake's record
// sets), the load balancers' port, the runbook's polling in wall time.

// restoreRole is the IAM role backup-restore gives AWS Backup.
const restoreRole = "arn:aws:iam::123456789012:role/restore"

// assessment is the resilience assessment of the world's environment, as
// `bulwark plan` and the CLI's drills make it: the offline plan under
// Pulumi mocks, modelled, assessed at the target's estimate timings.
func (w *awsWorld) assessment(t *testing.T, tgt *Target) policies.Assessment {
	t.Helper()
	pl, err := plan.Build(context.Background(), w.topo, plan.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	m := policies.FromPlan(w.topo, pl)
	if m.Timings, err = tgt.EstimateTimings(); err != nil {
		t.Fatal(err)
	}
	return policies.Assess(m)
}

// gameday runs a game day of the given scenarios on the world, runs times
// each, writing its report (and each drill's) under dir.
func (w *awsWorld) gameday(t *testing.T, runs int, scenarios []drill.ScenarioName, dir string) *gameday.Report {
	t.Helper()
	tgt := New(target.Options{Topology: w.topo, Endpoint: w.cloud.URL()})
	p, err := gameday.NewPlan(w.topo, gameday.PlanOptions{Offered: tgt.Scenarios(), WritersRestored: tgt.WritersRestored(), Runs: runs, Scenarios: scenarios})
	if err != nil {
		t.Fatal(err)
	}
	if p.NeedsSettle() {
		t.Fatalf("plan %+v: a drill needs recreate-region on aws, whose drills switch the writer back themselves", p.Drills)
	}
	a := w.assessment(t, tgt)
	r := &gameday.Runner{Plan: p, Topology: w.topo, Clock: w.clk, ReportDir: dir,
		Timeout:  24 * time.Hour, // on the clock: a backup-restore alone is half an hour of AWS's
		Progress: func(line string) { t.Log("gameday: " + line) },
		Drill: func(ctx context.Context, d gameday.Drill, run int, alarms *gameday.Alarms) (*drill.Report, error) {
			svc, region, err := drill.Choose(w.topo, d.Scenario, d.Service, d.Region)
			if err != nil {
				return nil, err
			}
			opts, err := tgt.Drill(ctx, target.DrillRequest{Scenario: d.Scenario, Service: svc, Region: region, RestoreRole: restoreRole, Wait: 30 * time.Minute})
			if err != nil {
				return nil, err
			}
			if e, ok := a.For(svc.Name, string(d.Scenario), region); ok {
				opts.Estimated = &drill.Numbers{RTOSeconds: e.RTO.Seconds(), RPOSeconds: e.RPO.Seconds(), Known: !e.Unrecoverable, RPOUpTo: e.RPOUpTo}
			}
			w.fakeRouting(t, &opts)
			if d.Scenario == drill.BackupRestore {
				w.backupDuring(t, &opts)
			}
			opts.StopConditions = alarms.Wrap(opts.StopConditions)
			return drill.Run(ctx, opts)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // wall time
	defer cancel()
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatalf("game day: %v", err)
	}
	return rep
}

// fakeRouting points a drill the target built at the world: its clock,
// the fake's DNS answers, the load balancers' port, a probe write every 3 s
// of the clock and the stop conditions every 10 s (to keep the requests
// few), and the runbook polling every 10 ms of wall time (3 s of the clock)
// rather than AWS's 5 s.
func (w *awsWorld) fakeRouting(t *testing.T, o *drill.Options) {
	o.Clock, o.Port, o.Interval, o.StopEvery = w.clk, w.port, 3*time.Second, 10*time.Second
	o.Lookup = func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil }
	o.Progress = func(line string) { t.Log("  drill: " + line) }
	switch s := o.Scenario.(type) {
	case *RegionLoss:
		s.Ops.Poll = 10 * time.Millisecond
	case *DatabasePrimaryLoss:
		s.Ops.Poll = 10 * time.Millisecond
	case *BackupRestore:
		s.Ops.Poll, s.Copies.Poll = 10*time.Millisecond, 10*time.Millisecond
	default:
		t.Fatalf("scenario %T: the test does not speed its polling up", s)
	}
}

// backupDuring has AWS Backup finish a recovery point of the database,
// copied to us-west-2's vault, at the drill's 5th committed write: each
// backup-restore run restores its own, newest, point. The baseline is a
// minute, for the point to be taken during it with writes after it.
func (w *awsWorld) backupDuring(t *testing.T, o *drill.Options) {
	w.mu.Lock()
	at := len(w.commit) + 5
	w.mu.Unlock()
	var once sync.Once
	w.onWrite(func(_ int64, n int) {
		if n >= at {
			once.Do(func() {
				w.cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: global, Region: "us-west-2", ResourceType: "Aurora",
					ResourceARN: "arn:aws:rds:us-east-1:123456789012:cluster:" + global + "-us-east-1"})
			})
		}
	})
	o.Baseline = time.Minute
}

// handEstimate is an estimate of testdata/aws.hcl on aws, derived by hand
// from policies.DefaultTimings(aws) and the HCL, with the deadline the
// drill derives from it (drill.DeriveDeadline: 2 × the estimate's RTO, or
// the target's typical recovery 2m when it is 0, + Route 53's 10 s × 3 +
// the TTL 60 s + steady 1 s).
type handEstimate struct {
	rto, rpo float64
	upTo     bool
	deadline string // the preflight's "deadline ... (derived: ...)"
}

// awsEstimates: the database primary's loss (db-primary-loss, and
// region-loss of us-east-1, its primary region) is the runbook acting on
// the first failed write 50ms + the Aurora global failover's promotion 1m
// + the instances reconnecting through the writer endpoint 30s = 1m30.05s,
// longer than DNS's way back (Route 53 10 s × 3 less half an interval,
// 25 s, + half the TTL, 30 s = 55 s); RPO the replication lag, 1 s.
// region-loss of us-west-2, a hot standby with no part in the writes: 0
// and 0. backup-restore: an AWS Backup restore of an Aurora cluster and
// its instance, 30m; RPO up to the backup interval, 1h.
var awsEstimates = map[string]handEstimate{
	"shop/region-loss/us-east-1": {90.05, 1, false,
		"deadline 4m31.1s (derived: 2 × 1m30.05s (the region estimate) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 4m31.1s)"},
	"shop/region-loss/us-west-2": {0, 0, false,
		"deadline 5m31s (derived: 2 × 2m0s (the aws target's typical recovery) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 5m31s)"},
	"shop/db-primary-loss/us-east-1": {90.05, 1, false,
		"deadline 4m31.1s (derived: 2 × 1m30.05s (the database estimate) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 4m31.1s)"},
	"shop/backup-restore/us-west-2": {1800, 3600, true,
		"deadline 1h1m31s (derived: 2 × 30m0s (the database estimate) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 1h1m31s)"},
}

// A game day on AWS, through the aws target's drill steps against the
// fakes at AWS's timings: region-loss (of the primary region and of the
// standby), db-primary-loss and backup-restore, twice each. Every run
// passes; the report's estimate is the assessment's for aws (worked out
// by hand above); each drill's deadline was derived from that estimate;
// the game day is recorded. A later game day, against a failover that
// now takes 6 minutes, fails the gate: the region's loss is past its
// 5-minute target and grew more than 50 % over the recorded game day.
func TestAWSGameDay(t *testing.T) {
	history := t.TempDir()
	w := newAWSWorld(t, awsfake.Timings{})
	dir := filepath.Join(history, "first")
	rep := w.gameday(t, 2, []drill.ScenarioName{drill.RegionLoss, drill.DatabasePrimaryLoss, drill.BackupRestore}, dir)
	rep.Gate(nil, gameday.DefaultMaxGrowth)
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Stopped != "" {
		t.Fatalf("game day %s (stopped: %q):\n%s", rep.Verdict(), rep.Stopped, rep.Markdown())
	}
	var keys []string
	for _, s := range rep.Scenarios {
		keys = append(keys, s.Key)
		want, ok := awsEstimates[s.Key]
		if !ok {
			t.Errorf("%s: not a drill the game day should have planned", s.Key)
			continue
		}
		if !s.AllPassed || len(s.Runs) != 2 || s.RTO.N != 2 {
			t.Errorf("%s: %d runs, %d measured, all passed %t: %+v", s.Key, len(s.Runs), s.RTO.N, s.AllPassed, s.Runs)
		}
		if e := s.Estimate; !e.Known || math.Abs(e.RTOSeconds-want.rto) > 1e-6 || math.Abs(e.RPOSeconds-want.rpo) > 1e-6 || e.RPOUpTo != want.upTo {
			t.Errorf("%s: estimate %+v, want RTO %gs RPO %gs (up to: %t), the assessment's for aws", s.Key, e, want.rto, want.rpo, want.upTo)
		}
		for _, run := range s.Runs {
			if pre := drillStep(t, run, "preflight"); !strings.Contains(pre.Detail, want.deadline) {
				t.Errorf("%s run %d: preflight %q, want %q", s.Key, run.Run, pre.Detail, want.deadline)
			}
		}
	}
	if len(keys) != len(awsEstimates) {
		t.Errorf("planned %v, want the %d drills of awsEstimates", keys, len(awsEstimates))
	}
	// each run's restore brought the steady state back for the next: the
	// writer switched back after each of the 4 failovers, each of the 2
	// restores' scratch clusters deleted
	if g, _ := w.cloud.GlobalCluster(global); g.Writer().Region != "us-east-1" || g.Failovers != 4 || g.Switchovers != 4 {
		t.Errorf("global cluster after the game day: writer in %s, %d failovers, %d switchovers; want us-east-1, 4, 4", g.Writer().Region, g.Failovers, g.Switchovers)
	}
	if jobs, clusters := w.cloud.RestoreJobs(), w.cloud.DBClusters("us-west-2"); len(jobs) != 2 || !slices.Equal(clusters, []string{global + "-us-west-2"}) {
		t.Errorf("%d restore jobs, clusters in us-west-2 %v; want 2, and only the global member", len(jobs), clusters)
	}
	md := rep.Markdown()
	for _, s := range rep.Scenarios {
		want := awsEstimates[s.Key]
		rpo := gameday.Seconds(want.rpo)
		if want.upTo {
			rpo = "up to " + rpo
		}
		// | scenario | runs passed | RTO median | RTO estimate | RPO median | RPO estimate | ...
		if cells := markdownRow(md, s.Label); len(cells) < 6 || !strings.HasPrefix(cells[3], gameday.Seconds(want.rto)) || !strings.HasPrefix(cells[5], rpo) {
			t.Errorf("%s: row %q, want the estimates %s and %s", s.Key, cells, gameday.Seconds(want.rto), rpo)
		}
	}
	t.Logf("the game day took %s on the clock (the default --timeout is %s)", rep.Finished.Sub(rep.Started).Round(time.Second), gameday.DefaultTimeout)
	for _, f := range gameday.Files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := gameday.SaveRecord(history, gameday.Stamp(rep.Started), rep.Record()); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := gameday.LoadHistory(history)
	if err != nil || len(skipped) != 0 || len(recs) != 1 || !recs[0].Passed || recs[0].Target != "aws" || len(recs[0].Scenarios) != len(awsEstimates) {
		t.Fatalf("history: %v, skipped %v, %+v", err, skipped, recs)
	}
	first := recs[0].Scenarios[0]
	if first.Key != "shop/region-loss/us-east-1" || !first.Median.Known || first.Median.RTOSeconds <= 0 || first.Estimate.RTOSeconds != rep.Scenarios[0].Estimate.RTOSeconds {
		t.Errorf("recorded %+v", first)
	}

	// a later game day: the failover takes 6 minutes
	slow := newAWSWorld(t, awsfake.Timings{GlobalFailover: 6 * time.Minute})
	later := slow.gameday(t, 2, []drill.ScenarioName{drill.RegionLoss}, filepath.Join(history, "later"))
	// each world keeps its own scaled clock, which ran on while the first
	// was set up: the record is, as the gate asks, from before this game day
	for i := range recs {
		recs[i].Time = later.Started.Add(-time.Hour)
	}
	later.Gate(recs, gameday.DefaultMaxGrowth)
	if later.Passed {
		t.Fatalf("a game day whose failover went from 1m30s to 6m passed:\n%s", later.Markdown())
	}
	for _, s := range later.Scenarios {
		switch s.Key {
		case "shop/region-loss/us-east-1":
			if !s.Gate.Regressed || s.Gate.Records != 1 || !strings.Contains(s.Gate.Message, "is past the target 5m") ||
				!strings.Contains(s.Gate.Message, "over the last game days'") {
				t.Errorf("%s: RTO %s, was %s: gate %+v; want past the target and grown over the history", s.Key,
					gameday.Seconds(s.RTO.Median), gameday.Seconds(first.Median.RTOSeconds), s.Gate)
			}
		case "shop/region-loss/us-west-2":
			if s.Gate.Regressed || !s.Passed {
				t.Errorf("%s: the standby's loss, no slower, failed: %+v", s.Key, s)
			}
		default:
			t.Errorf("later game day drilled %s", s.Key)
		}
	}
}

// drillStep is a step of the drill report a game day run wrote.
func drillStep(t *testing.T, run gameday.Run, name string) drill.Step {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(run.Dir, "drill.json"))
	if err != nil {
		t.Fatalf("run %d's drill report: %v", run.Run, err)
	}
	var r drill.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return stepOf(&r, name)
}

// markdownRow is the cells of the Markdown table's row whose first cell is label.
func markdownRow(md, label string) []string {
	for _, line := range strings.Split(md, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) > 1 && cells[0] == label {
			return cells
		}
	}
	return nil
}
