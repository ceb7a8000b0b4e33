package awstarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Drills of the AWS target run end to end against awsfake.Cloud, a
// loopback fake of Auto Scaling, RDS (and its Data API), Route 53, AWS
// Backup, Secrets Manager and FIS (not AWS), at AWS's timings (a failover
// takes a minute and a half, a restore job ten minutes, Route 53 checks
// every 10 s) on a clock 300 times as fast as the wall clock, which the
// fake, the runbook and the drill share. Each region's load balancer is an
// HTTP server on its own loopback address; Route 53's health checkers
// probe them, and the probe resolves the service's name through the
// fake's record sets and keeps the answer for the record's TTL (60 s, as
// staging's). The service in either region writes through the global
// database's writer endpoint into the writer's cluster, which replicates
// to the other region after the replication lag; a failover loses what
// had not replicated.

const drillScale = 300

// estimates are the assessment's estimates for testdata/aws.hcl, derived
// by hand with policies/assess.go's terms and AWS's timings
// (policies.TargetTimings: promotion 1m): an instance's or a zone's loss
// is the health check's 10s × 3 (the other instances serve); a region's
// loss is the larger of Route 53's 10s × 3 + the TTL 60s and detection 30s
// + promotion 1m; a database primary's loss is detection 30s + promotion
// 1m. RPO: asynchronous replication, typically 1s.
var estimates = map[topology.Disruption]*drill.Numbers{
	topology.DisruptionInstance: {RTOSeconds: 30, Known: true},
	topology.DisruptionZone:     {RTOSeconds: 30, Known: true},
	topology.DisruptionRegion:   {RTOSeconds: 90, RPOSeconds: 1, Known: true},
	topology.DisruptionDatabase: {RTOSeconds: 90, RPOSeconds: 1, Known: true},
}

const global = "bulwark-drilltest-shop"

type awsWorld struct {
	t      *testing.T
	cloud  *awsfake.Cloud
	clk    *clock.Scaled
	ops    *awsrunbook.Clients
	copies *awsrunbook.CopyClients
	topo   *topology.Topology
	addrs  map[string]string // region -> loopback address of its load balancer
	port   int
	mu     sync.Mutex
	down   map[string]bool     // regions whose load balancer answers 503
	commit map[int64]time.Time // seq -> when the writer committed it, on the clock
	refuse map[int64]error     // seq -> why the database refused it
	refAt  map[int64]time.Time // seq -> when it was refused
	region map[int64]string    // seq -> the region whose cluster took it
	hooks  []func(seq int64, n int)
	// baseline is the drill's Baseline (0: the default)
	baseline time.Duration
}

func (w *awsWorld) setDown(region string, down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down[region] = down
}

// onWrite runs hook after each committed write, with the count so far.
func (w *awsWorld) onWrite(hook func(seq int64, n int)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hooks = append(w.hooks, hook)
}

// serve is the service's load balancer in a region: its writes go through
// the global database's writer endpoint (it follows the writer across a
// failover) into the writer's cluster; a write the database refuses is a
// 503, as the service answers it.
func (w *awsWorld) serve(region string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		down := w.down[region]
		w.mu.Unlock()
		if down {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("POST /writes", func(rw http.ResponseWriter, r *http.Request) {
		seq, _ := strconv.ParseInt(r.URL.Query().Get("seq"), 10, 64)
		w.mu.Lock()
		down := w.down[region]
		w.mu.Unlock()
		if down {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(rw).Encode(map[string]string{"region": region, "error": "region down"})
			return
		}
		g, _ := w.cloud.GlobalCluster(global)
		writer := g.Writer()
		err := w.cloud.Write(writer.Region, writer.Identifier, seq)
		at := w.clk.Now()
		w.mu.Lock()
		if err != nil {
			w.refuse[seq], w.refAt[seq] = err, at
			w.mu.Unlock()
			rw.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(rw).Encode(map[string]string{"region": region, "error": err.Error()})
			return
		}
		w.commit[seq], w.region[seq] = at, writer.Region
		n, hooks := len(w.commit), slices.Clone(w.hooks)
		w.mu.Unlock()
		for _, hook := range hooks {
			hook(seq, n)
		}
		rw.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(rw).Encode(map[string]string{"region": region})
	})
	mux.HandleFunc("GET /writes", func(rw http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		g, _ := w.cloud.GlobalCluster(global)
		seqs, err := w.cloud.Rows(g.Writer().Region, g.Writer().Identifier, from, to)
		if err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string][]int64{"seqs": seqs})
	})
	return mux
}

// listenPair listens on the same port of two loopback addresses.
func listenPair(t *testing.T, a, b string) (net.Listener, net.Listener, int) {
	for range 20 {
		la, err := net.Listen("tcp", a+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := la.Addr().(*net.TCPAddr).Port
		lb, err := net.Listen("tcp", net.JoinHostPort(b, strconv.Itoa(port)))
		if err == nil {
			return la, lb, port
		}
		la.Close()
	}
	t.Fatal("no port free on both loopback addresses")
	return nil, nil, 0
}

// newAWSWorld makes the fake account of testdata/aws.hcl at AWS's timings
// (DefaultTimings, with these overrides) on a scaled clock.
func newAWSWorld(t *testing.T, timings awsfake.Timings) *awsWorld {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../topology/testdata/images")}
	topo, err := l.LoadFile("testdata/aws.hcl")
	if err != nil {
		t.Fatal(err)
	}
	w := &awsWorld{t: t, cloud: awsfake.NewCloud(), clk: clock.NewScaled(drillScale), topo: topo, down: map[string]bool{},
		commit: map[int64]time.Time{}, refuse: map[int64]error{}, refAt: map[int64]time.Time{}, region: map[int64]string{},
		addrs: map[string]string{"us-east-1": "127.0.0.21", "us-west-2": "127.0.0.22"}}
	w.cloud.Clock, w.cloud.Timings = w.clk, timings
	t.Cleanup(w.cloud.Close)
	la, lb, port := listenPair(t, w.addrs["us-east-1"], w.addrs["us-west-2"])
	w.port = port
	for region, l := range map[string]net.Listener{"us-east-1": la, "us-west-2": lb} {
		srv := &http.Server{Handler: w.serve(region), ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
	env, svc := topo.Environment.Name, topo.Services[0]
	for i, region := range []string{"us-east-1", "us-west-2"} {
		tags := map[string]string{"bulwark:env": env, "bulwark:region": region, "bulwark:service": svc.Name}
		w.cloud.AddGroup(awsfake.Group{Name: fmt.Sprintf("%s-%s-shop", env, region), Region: region, Min: 2, Max: 4, Desired: 2, Tags: tags,
			Subnets: []awsfake.Subnet{{ID: "subnet-" + region + "a", Zone: region + "a"}, {ID: "subnet-" + region + "b", Zone: region + "b"}}})
		// as the global stack declares it: 10 s, 3 failures (modules/aws)
		check := w.cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTP", FQDN: w.addrs[region], Port: port, ResourcePath: "/healthz", Tags: tags,
			RequestInterval: 10, FailureThreshold: 3})
		w.cloud.AddRecord(awsfake.Record{Name: svc.DNS.FQDN(), SetIdentifier: region, Failover: []string{"PRIMARY", "SECONDARY"}[i], HealthCheckID: check, Values: []string{w.addrs[region]}})
		w.cloud.AddSecret(region, contract.DatabaseSecret(env, svc.Name))
		w.cloud.AddSecret(region, contract.DatabaseAdminSecret(env, svc.Name))
	}
	// the database as the stacks declare it: the master user in the admin
	// secret, the application user (made after the first up) in the
	// service's, both replicated to every region
	w.cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: global, Members: []awsfake.DBCluster{
		{Identifier: global + "-us-east-1", Region: "us-east-1", Writer: true, HTTPEndpoint: true, MasterUsername: "bulwark", MasterPassword: adminPassword, DatabaseName: "shop"},
		{Identifier: global + "-us-west-2", Region: "us-west-2", HTTPEndpoint: true},
	}})
	w.putSecret(contract.DatabaseAdminSecret(env, svc.Name), "bulwark", adminPassword)
	w.putSecret(contract.DatabaseSecret(env, svc.Name), "shop_app", "App1ePassw0rd")
	if err := w.cloud.PutRole("us-east-1", global+"-us-east-1", "shop_app", "App1ePassw0rd"); err != nil {
		t.Fatal(err)
	}
	awsfake.UseFakeCredentials(t)
	ctx := context.Background()
	w.ops, err = awsrunbook.NewClients(ctx, awsrunbook.ClientOptions{Endpoint: w.cloud.URL(), MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.ops.Poll = 10 * time.Millisecond // wall time between describe calls: 3 s on the clock
	w.copies, err = awsrunbook.NewCopyClients(ctx, awsrunbook.ClientOptions{Endpoint: w.cloud.URL()})
	if err != nil {
		t.Fatal(err)
	}
	w.copies.Poll = 10 * time.Millisecond
	return w
}

// adminPassword is the master user's, which no rotation changes.
const adminPassword = "Adm1nPassw0rd"

// putSecret gives a secret of the service (in both regions) a new value.
func (w *awsWorld) putSecret(name, user, password string) {
	w.t.Helper()
	v := fmt.Sprintf(`{"engine":"postgres","host":"%s.cluster-fake.us-east-1.rds.amazonaws.com","port":5432,"dbname":"shop","username":%q,"password":%q}`, global, user, password)
	if err := w.cloud.PutSecretString(name, v); err != nil {
		w.t.Fatal(err)
	}
}

// options are a drill's defaults, with the world's clock, routing and
// estimate: every deadline derived. The probe writes every 3 s of the
// clock (10 ms of wall time), to keep the requests few.
func (w *awsWorld) options(sc drill.Scenario) drill.Options {
	return drill.Options{
		Topology: w.topo, Service: w.topo.Services[0], Region: "us-east-1", Scenario: sc, Port: w.port, Clock: w.clk,
		Lookup:    func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil },
		Interval:  3 * time.Second,
		Baseline:  w.baseline,
		Estimated: estimates[sc.Disruption()],
		Progress:  func(line string) { w.t.Log(line) },
	}
}

func (w *awsWorld) run(t *testing.T, o drill.Options) *drill.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // wall time
	defer cancel()
	r, err := drill.Run(ctx, o)
	if err != nil {
		t.Fatalf("drill %s: %v", o.Scenario.Name(), err)
	}
	return r
}

func stepErrors(r *drill.Report) []string {
	var out []string
	for _, s := range r.Steps {
		if s.Error != "" {
			out = append(out, s.Name+": "+s.Error)
		}
	}
	return out
}

func stepOf(r *drill.Report, name string) drill.Step {
	if i := slices.IndexFunc(r.Steps, func(s drill.Step) bool { return s.Name == name }); i >= 0 {
		return r.Steps[i]
	}
	return drill.Step{}
}

func regionsServed(r *drill.Report, after time.Time) []string {
	var out []string
	for _, a := range r.Attempts {
		if a.OK && !a.At.Before(after) && !slices.Contains(out, a.Region) {
			out = append(out, a.Region)
		}
	}
	slices.Sort(out)
	return out
}

func (w *awsWorld) zoneTemplate() *FISExperiment {
	// the template's actions, as FIS would run them: the primary region's endpoint stops answering
	w.cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: "EXTazpower", Region: "us-east-1",
		OnStart: func() { w.setDown("us-east-1", true) }, OnStop: func() { w.setDown("us-east-1", false) }})
	return &FISExperiment{Ops: w.ops, Scenario: "zone-loss", Kind: topology.DisruptionZone, Region: "us-east-1", Template: "EXTazpower"}
}

func (w *awsWorld) partitionTemplate() *FISExperiment {
	// "Cross-Region: Connectivity": nothing reaches the region from outside
	w.cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: "EXTcrossregion", Region: "us-east-1",
		OnStart: func() { w.setDown("us-east-1", true) }, OnStop: func() { w.setDown("us-east-1", false) }})
	return &FISExperiment{Ops: w.ops, Scenario: "region-partition", Kind: topology.DisruptionRegion, Region: "us-east-1", Template: "EXTcrossregion",
		Then: &RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"}}
}

func (w *awsWorld) backupRestore() *BackupRestore {
	// a backup finishes while the service takes writes, copied to west's
	// vault; then the rotation changes the application user's password, in
	// the database and in its secret: the copy holds the old one
	var once sync.Once
	w.onWrite(func(_ int64, n int) {
		if n == 5 {
			once.Do(func() {
				w.cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: global, Region: "us-west-2", ResourceType: "Aurora",
					ResourceARN: fmt.Sprintf("arn:aws:rds:us-east-1:123456789012:cluster:%s-us-east-1", global)})
				if err := w.cloud.PutRole("us-east-1", global+"-us-east-1", "shop_app", "R0tatedPassw0rd"); err != nil {
					w.t.Error(err)
				}
				w.putSecret(contract.DatabaseSecret(w.topo.Environment.Name, "shop"), "shop_app", "R0tatedPassw0rd")
			})
		}
	})
	w.baseline = time.Minute // for the backup to be taken during it, and writes after it
	return &BackupRestore{Ops: w.ops, Copies: w.copies, Topology: w.topo, Service: w.topo.Services[0], Vault: "us-west-2",
		Role: "arn:aws:iam::123456789012:role/restore"}
}

// Every AWS scenario, drilled against the fakes at AWS's timings with the
// default options (the deadline derived, no --deadline), observes the
// recovery and passes, and leaves the steady state. The fixed 30 s of
// before would not have observed four of them: its probe stopped 42 s
// after it started (baseline, deadline and 10 s), before a failover's
// recovery steps had ended; and 30 s after the recovery steps is shorter
// than Route 53's detection and the TTL the probe keeps an answer for.
func TestAWSDrillsObserveRecoveryWithDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		make  func(w *awsWorld) drill.Scenario
		fixed bool // the fixed 30 s of before would have missed the recovery
		after func(t *testing.T, w *awsWorld, r *drill.Report)
	}{
		{"instance-loss", func(w *awsWorld) drill.Scenario {
			return &InstanceLoss{Ops: w.ops, Scope: awsrunbook.Scope{Environment: "drilltest", Region: "us-east-1", Service: "shop"}}
		}, false, func(t *testing.T, w *awsWorld, r *drill.Report) {
			if g, _ := w.cloud.Group("us-east-1", "drilltest-us-east-1-shop"); g.InService() != 2 {
				t.Errorf("group after the drill: %+v; want 2 in service", g.Instances)
			}
		}},
		{"zone-loss", func(w *awsWorld) drill.Scenario { return w.zoneTemplate() }, true, func(t *testing.T, w *awsWorld, r *drill.Report) {
			if got := regionsServed(r, r.Outage.Recovered); !slices.Equal(got, []string{"us-west-2"}) {
				t.Errorf("served after recovery: %v, want us-west-2", got)
			}
			if exps := w.cloud.Experiments("EXTazpower"); len(exps) != 1 || exps[0].Status != awsfake.ExperimentStopped {
				t.Errorf("experiments: %+v, want one, stopped by the restore", exps)
			}
		}},
		{"region-loss", func(w *awsWorld) drill.Scenario {
			return &RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"}
		}, true, func(t *testing.T, w *awsWorld, r *drill.Report) {
			if got := w.cloud.Answer("shop.example.com"); !slices.Equal(got, []string{w.addrs["us-east-1"]}) {
				t.Errorf("DNS after restore answers %v, want the primary again", got)
			}
			if g, _ := w.cloud.Group("us-east-1", "drilltest-us-east-1-shop"); len(g.Suspended) != 0 {
				t.Errorf("processes still suspended: %v", g.Suspended)
			}
		}},
		{"region-partition", func(w *awsWorld) drill.Scenario { return w.partitionTemplate() }, true, nil},
		{"db-primary-loss", func(w *awsWorld) drill.Scenario {
			return &DatabasePrimaryLoss{Ops: w.ops, Topology: w.topo, Service: w.topo.Services[0]}
		}, true, nil},
		{"backup-restore", func(w *awsWorld) drill.Scenario { return w.backupRestore() }, false, func(t *testing.T, w *awsWorld, r *drill.Report) {
			if got := w.cloud.DBClusters("us-west-2"); !slices.Equal(got, []string{global + "-us-west-2"}) {
				t.Errorf("clusters in us-west-2 after the drill: %v; want only the global member (the scratch one deleted)", got)
			}
			if got := w.cloud.DBInstances("us-west-2"); len(got) != 0 {
				t.Errorf("instances in us-west-2 after the drill: %v; want the scratch one deleted", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAWSWorld(t, awsfake.Timings{})
			o := w.options(tc.make(w))
			r := w.run(t, o)
			if errs := stepErrors(r); len(errs) > 0 || !r.Passed() || r.Outage.Unrecovered {
				t.Fatalf("steps failed: %v; checks %+v; outage %+v", errs, r.Checks, r.Outage)
			}
			observe := stepOf(r, "observe")
			if !strings.Contains(observe.Detail, "derived: 2 × ") {
				t.Errorf("observe step %q does not say how its deadline was derived", observe.Detail)
			}
			if tc.name != "instance-loss" && tc.name != "backup-restore" && r.Outage.Failed == 0 {
				t.Errorf("the probe never failed: %+v", r.Outage)
			}
			// what the fixed 30 s of before would have seen: a probe that
			// stopped 42 s after it started (baseline 2 s, deadline 30 s and
			// 10 s), and a deadline 30 s after the recovery steps
			recover := stepOf(r, "recover")
			probeStart := stepOf(r, "preflight").End
			oldProbeEnd := probeStart.Add(2*time.Second + 30*time.Second + 10*time.Second)
			recovered := r.Outage.Recovered
			missed := recovered.After(oldProbeEnd) || recovered.After(recover.End.Add(30*time.Second))
			if _, isCopy := o.Scenario.(drill.CopyVerifier); isCopy {
				missed = false // the copy's readiness is measured, not the probe's: it never failed
			}
			if missed != tc.fixed {
				t.Errorf("recovered %s after the probe started and %s after the recovery steps: the fixed 30 s would have missed it: %t, want %t",
					recovered.Sub(probeStart).Round(time.Second), recovered.Sub(recover.End).Round(time.Second), missed, tc.fixed)
			}
			// the steady state again
			if g, _ := w.cloud.GlobalCluster(global); g.Writer().Region != "us-east-1" || g.Status != awsfake.GlobalAvailable {
				t.Errorf("global cluster after the drill: writer %s, %s", g.Writer().Region, g.Status)
			}
			if tc.after != nil {
				tc.after(t, w, r)
			}
		})
	}
}

// With the fixed 30 s of before, a zone's loss is not observed: Route 53
// takes its 10 s × 3 to find the zone's endpoint down, and the probe keeps
// the old answer for the TTL, 60 s. A region's loss is, even with 30 s
// given, now that the probe lives through the failover (1m30s) instead of
// stopping 42 s after it started.
func TestAWSDrillWithTheOldFixedDeadline(t *testing.T) {
	w := newAWSWorld(t, awsfake.Timings{ExperimentStart: time.Second}) // the experiment's start is not the point: leave the 30 s to DNS
	o := w.options(w.zoneTemplate())
	o.Deadline = 30 * time.Second
	r := w.run(t, o)
	observe := stepOf(r, "observe")
	if !strings.Contains(observe.Error, "not recovered within 30s after the recovery steps (given)") || r.Passed() {
		t.Errorf("zone-loss: observe step %+v; passed %t: want not recovered within the given 30s", observe, r.Passed())
	}

	w = newAWSWorld(t, awsfake.Timings{})
	o = w.options(&RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"})
	o.Deadline = 30 * time.Second
	r = w.run(t, o)
	if errs := stepErrors(r); len(errs) > 0 || !r.Passed() || r.Outage.Failed == 0 {
		t.Fatalf("region-loss with 30s given: steps failed %v, checks %+v, outage %+v", errs, r.Checks, r.Outage)
	}
	if started := stepOf(r, "preflight").End; r.Outage.Recovered.Sub(started) < 42*time.Second {
		t.Errorf("recovered %s after the probe started: the failover should take longer than the old probe's 42s", r.Outage.Recovered.Sub(started))
	}
}

// A failover during writes loses the writes of the last replication lag
// before it, and the drill, reading back from the new writer, reports
// them lost and a positive RPO. The lost writes are derived from the
// service's own record of when the database committed each write and when
// it first refused one: a write committed more than the lag before the
// last commit before the refusals had reached the secondary; one committed
// less than the lag before the first refusal had not (give or take a
// margin, for the time between the database's commit and the service's
// record of it).
func TestAWSFailoverLosesTheUnreplicatedTail(t *testing.T) {
	const lag = 20 * time.Second
	w := newAWSWorld(t, awsfake.Timings{ReplicationLag: lag})
	w.baseline = time.Minute // writes that replicated, and writes that had not
	r := w.run(t, w.options(&RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"}))
	if errs := stepErrors(r); len(errs) > 0 {
		t.Fatalf("steps failed: %v", errs)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var firstRefused, lastBefore time.Time
	for seq, at := range w.refAt {
		if errors.Is(w.refuse[seq], awsfake.ErrUnreachable) && (firstRefused.IsZero() || at.Before(firstRefused)) {
			firstRefused = at
		}
	}
	if firstRefused.IsZero() {
		t.Fatal("the database never refused a write: no failover was seen")
	}
	for _, at := range w.commit {
		if at.Before(firstRefused) && at.After(lastBefore) {
			lastBefore = at
		}
	}
	lost := map[int64]bool{}
	for _, s := range r.Data.Lost {
		lost[s] = true
	}
	var mustLose int
	for _, a := range r.Attempts {
		at, ok := w.commit[a.Seq]
		if !a.OK || !ok || !at.Before(firstRefused) {
			continue
		}
		const margin = 3 * time.Second // 10 ms of wall time
		switch {
		case at.Add(lag).After(firstRefused.Add(margin)) && !lost[a.Seq]:
			t.Errorf("write %d, committed %s before the failover, had not replicated but is not reported lost", a.Seq, firstRefused.Sub(at).Round(time.Millisecond))
		case at.Add(lag).Before(lastBefore.Add(-margin)) && lost[a.Seq]:
			t.Errorf("write %d, committed %s before the failover, had replicated but is reported lost", a.Seq, firstRefused.Sub(at).Round(time.Millisecond))
		}
		if at.Add(lag).After(firstRefused.Add(margin)) {
			mustLose++
		}
	}
	if mustLose == 0 || len(r.Data.Lost) < mustLose || r.Measured.WritesLost == nil || *r.Measured.WritesLost != len(r.Data.Lost) || r.Measured.RPOSeconds <= 0 {
		t.Errorf("report: %d lost (at least %d must be), measured %+v", len(r.Data.Lost), mustLose, r.Measured)
	}
	if r.Measured.RPOSeconds > lag.Seconds()+3 {
		t.Errorf("RPO %.1fs, more than the lag %s and a probe interval", r.Measured.RPOSeconds, lag)
	}
}

// delayedRestore writes into the writer just before the scenario's
// restore, as the service would go on doing: writes the switchover back
// must carry over, though they have not replicated when it begins.
type delayedRestore struct {
	drill.Scenario
	w      *awsWorld
	before []int64
}

func (s *delayedRestore) UseClock(c clock.Clock) { s.Scenario.(drill.Clocked).UseClock(c) }

func (s *delayedRestore) Restore(ctx context.Context) (string, error) {
	g, _ := s.w.cloud.GlobalCluster(global)
	for i := range int64(3) {
		seq := int64(1e15) + i
		if err := s.w.cloud.Write(g.Writer().Region, g.Writer().Identifier, seq); err != nil {
			return "", err
		}
		s.before = append(s.before, seq)
	}
	return s.Scenario.Restore(ctx)
}

// A switchover loses nothing: after the database primary's loss the drill
// switches the writer back, and every write the promoted writer took,
// the last ones made just before the switchover (within the replication
// lag, not yet replicated) included, is in the old primary afterwards.
// The lag, 10 minutes (a secondary far behind), is longer than the
// switchover's 3: only its catching up brings those writes over.
func TestAWSSwitchoverLosesNothing(t *testing.T) {
	const lag = 10 * time.Minute
	w := newAWSWorld(t, awsfake.Timings{ReplicationLag: lag})
	sc := &delayedRestore{Scenario: &DatabasePrimaryLoss{Ops: w.ops, Topology: w.topo, Service: w.topo.Services[0]}, w: w}
	r := w.run(t, w.options(sc))
	if errs := stepErrors(r); len(errs) > 0 {
		t.Fatalf("steps failed: %v", errs)
	}
	g, _ := w.cloud.GlobalCluster(global)
	if g.Writer().Region != "us-east-1" || g.Failovers != 1 || g.Switchovers != 1 {
		t.Fatalf("global cluster: writer %s, %d failovers, %d switchovers; want us-east-1, 1, 1", g.Writer().Region, g.Failovers, g.Switchovers)
	}
	held, err := w.cloud.Rows("us-east-1", global+"-us-east-1", 0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	var west []int64
	for seq, region := range w.region {
		if region == "us-west-2" {
			west = append(west, seq)
		}
	}
	w.mu.Unlock()
	if len(west) == 0 {
		t.Fatal("no write went to the promoted writer")
	}
	for _, seq := range append(west, sc.before...) {
		if !slices.Contains(held, seq) {
			t.Errorf("write %d, taken by the promoted writer in us-west-2, is not in us-east-1 after the switchover", seq)
		}
	}
}

// backup-restore on AWS restores the newest recovery point, adds the
// instance AWS Backup does not, and measures: RTO until the copy answered
// a query through the RDS Data API, at least the restore job's 10 min, the
// cluster's 5 and the instance's 8 on the clock; RPO from the rows the
// copy holds, read from it: the writes committed after the recovery point
// (the 5th write's moment) and acknowledged before the injection. The copy
// is signed in to with the admin secret: the application user's password
// was rotated after the point, so its secret no longer fits the copy.
func TestAWSBackupRestoreMeasuresTheCopy(t *testing.T) {
	w := newAWSWorld(t, awsfake.Timings{})
	sc := w.backupRestore()
	var pointAfter int64
	w.onWrite(func(seq int64, n int) {
		if n == 5 {
			pointAfter = seq // the point is taken right after this write committed
		}
	})
	r := w.run(t, w.options(sc))
	if errs := stepErrors(r); len(errs) > 0 || !r.Passed() {
		t.Fatalf("steps failed: %v; checks %+v", errs, r.Checks)
	}
	var want []int64
	for _, a := range r.Attempts {
		if a.OK && a.At.Before(r.Injected) && a.Seq > pointAfter {
			want = append(want, a.Seq)
		}
	}
	if pointAfter == 0 || len(want) == 0 || !slices.Equal(r.Data.Lost, want) {
		t.Errorf("lost %v, want %v: the writes after the recovery point (after seq %d), acknowledged before the injection", r.Data.Lost, want, pointAfter)
	}
	if rto := r.Outage.RTO(); rto < 23*time.Minute || rto > 40*time.Minute || !r.Outage.Recovered.Equal(sc.CopyReady()) {
		t.Errorf("RTO %s (recovered %s, the copy answered %s), want from 23m (10m + 5m + 8m), with the polls, to 40m", rto, r.Outage.Recovered, sc.CopyReady())
	}
	if d := stepOf(r, "recover").Detail; !strings.Contains(d, "(secret bulwark/drilltest/shop/database-admin)") {
		t.Errorf("recover: %q, want the copy signed in to with the admin secret", d)
	}
	if jobs := w.cloud.RestoreJobs(); len(jobs) != 1 || jobs[0].Status != awsfake.RestoreCompleted || jobs[0].Metadata["DBSubnetGroupName"] != global+"-us-west-2" {
		t.Errorf("restore jobs: %+v", jobs)
	}
	calls := strings.Join(w.cloud.Calls(), "\n")
	for _, call := range []string{"rds CreateDBInstance us-west-2", "rds EnableHttpEndpoint us-west-2", "secretsmanager DescribeSecret us-west-2",
		"rds-data ExecuteStatement us-west-2", "rds DeleteDBInstance us-west-2", "rds DeleteDBCluster us-west-2"} {
		if !strings.Contains(calls, call) {
			t.Errorf("no %s", call)
		}
	}
}

// A failed preflight check stops the drill before anything is injected.
func TestPreflightCheckStopsTheDrill(t *testing.T) {
	w := newAWSWorld(t, awsfake.Timings{})
	o := w.options(&InstanceLoss{Ops: w.ops, Scope: awsrunbook.Scope{Environment: "drilltest", Region: "us-east-1", Service: "shop"}})
	o.Checks = []drill.PreflightCheck{{Name: "terraform layers", Run: func(context.Context) (string, error) {
		return "", errors.New("layer bootstrap has not been applied")
	}}}
	r, err := drill.Run(context.Background(), o)
	if !errors.Is(err, drill.ErrPreflight) || !strings.Contains(err.Error(), "terraform layers: layer bootstrap") || len(r.Steps) != 1 {
		t.Fatalf("err = %v, steps %+v", err, r.Steps)
	}
	for _, call := range w.cloud.Calls() {
		if strings.Contains(call, "Terminate") {
			t.Errorf("injected despite the failed preflight: %s", call)
		}
	}
	// the report says so: not passed, the preflight a failed check
	if r.Passed() || len(r.Checks) != 1 || r.Checks[0].Name != "preflight" || r.Checks[0].Passed {
		t.Errorf("a refused drill's report: passed %t, checks %+v", r.Passed(), r.Checks)
	}
	if md := r.Markdown(); !strings.Contains(md, "): FAILED") {
		t.Errorf("headline of a refused drill:\n%s", md)
	}
}

// fakeAlarms is a monitoring whose alarms fire once armed: after the
// preflight looked, as an alarm the injection set off would.
type fakeAlarms struct {
	mu     sync.Mutex
	calls  int
	firing map[string]string // alarm -> its region ("" for none)
	asked  [][]string
}

func (f *fakeAlarms) Breached(_ context.Context, outside []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.asked = append(f.asked, outside)
	if f.calls == 1 {
		return nil, nil // the preflight: steady
	}
	var out []string
	for alarm, region := range f.firing {
		if region == "" || !slices.Contains(outside, region) {
			out = append(out, alarm)
		}
	}
	return out, nil
}

// An alarm inside the blast radius lets the drill run its course; one
// outside it aborts the drill, which still restores the environment and
// fails the stop-conditions check. Either way the report states the error
// budget the drill's failed requests spent.
func TestStopConditionsAbortAndRestore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		firing  map[string]string
		aborted bool
	}{
		{"inside the blast radius", map[string]string{"BulwarkEndpointProbeFailed us-east-1/shop": "us-east-1"}, false},
		{"outside it", map[string]string{"BulwarkErrorBudgetBurn us-west-2/shop": "us-west-2"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAWSWorld(t, awsfake.Timings{})
			alarms := &fakeAlarms{firing: tc.firing}
			o := w.options(&RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"})
			o.StopConditions, o.StopEvery, o.BlastRadius = alarms, 10*time.Second, []string{"us-east-1"}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			r, err := drill.Run(ctx, o)
			if tc.aborted != errors.Is(err, drill.ErrAborted) {
				t.Fatalf("err = %v, want aborted %v", err, tc.aborted)
			}
			stop := r.Checks[slices.IndexFunc(r.Checks, func(c drill.Check) bool { return c.Name == "stop-conditions" })]
			if stop.Passed == tc.aborted || (tc.aborted && !slices.Equal(r.StopAlarms, []string{"BulwarkErrorBudgetBurn us-west-2/shop"})) {
				t.Errorf("stop-conditions check %+v, alarms %v", stop, r.StopAlarms)
			}
			if !slices.Equal(alarms.asked[len(alarms.asked)-1], []string{"us-east-1"}) {
				t.Errorf("asked for alarms outside %v, want the declared blast radius", alarms.asked[len(alarms.asked)-1])
			}
			// restored either way: the primary writes again and DNS points at it
			if s := stepOf(r, "restore"); s.Name == "" || s.Error != "" {
				t.Errorf("restore step: %+v", r.Steps)
			}
			if got := w.cloud.Answer("shop.example.com"); !slices.Equal(got, []string{w.addrs["us-east-1"]}) {
				t.Errorf("DNS after the drill answers %v, want the primary again", got)
			}
			b := r.ErrorBudget
			if b == nil || math.Abs(b.Objective-0.999) > 1e-9 || b.Total != float64(len(r.Attempts)) || b.Bad != float64(r.Outage.Failed) || (b.Bad > 0) != (b.Spent > 0) {
				t.Fatalf("error budget %+v, want the drill's %d failed of %d attempts against 99.9%%", b, r.Outage.Failed, len(r.Attempts))
			}
			if md := r.Markdown(); !strings.Contains(md, "Error budget: the drill spent") {
				t.Errorf("markdown lacks the error budget:\n%s", md)
			}
		})
	}
}

// alarmOnInject is a scenario that sets a CloudWatch alarm off as it
// injects, as a failure spreading past the drill's region would.
type alarmOnInject struct {
	drill.Scenario
	fire func()
}

func (s alarmOnInject) Inject(ctx context.Context) (string, error) {
	s.fire()
	return s.Scenario.Inject(ctx)
}

func (s alarmOnInject) UseClock(c clock.Clock) { s.Scenario.(drill.Clocked).UseClock(c) }

// On AWS the stop conditions are the environment's paging CloudWatch
// alarms (DescribeAlarms in every region and us-east-1): one already in
// ALARM stops the drill at the preflight; one that fires outside the blast
// radius during the drill aborts it, which restores. Member and ticket
// alarms never stop a drill, nor a page inside the blast radius.
func TestAWSStopConditionsFromCloudWatch(t *testing.T) {
	quiet := []awsfake.Alarm{
		{Region: "us-west-2", Name: "bulwark-drilltest-us-west-2-shop-error-budget-burn-1h-long", Description: slo.AlarmDescription(slo.Member, "x"), State: "ALARM"},
		{Region: "us-west-2", Name: "bulwark-drilltest-us-west-2-shop-unhealthy-hosts", Description: slo.AlarmDescription(slo.Ticket, "x"), State: "ALARM"},
		{Region: "us-west-2", Name: "bulwark-drilltest-us-west-2-shop-latency-p99", Description: slo.AlarmDescription(slo.Page, "x"), State: "OK"},
	}
	spreading := awsfake.Alarm{Region: "us-east-1", Name: "bulwark-drilltest-us-west-2-shop-health-check", Description: slo.AlarmDescription(slo.Page, "Route 53"), State: "ALARM", Composite: false}
	inside := awsfake.Alarm{Region: "us-east-1", Name: "bulwark-drilltest-us-east-1-shop-capacity-below-minimum", Description: slo.AlarmDescription(slo.Page, "x"), State: "ALARM"}
	run := func(w *awsWorld, sc drill.Scenario) (*drill.Report, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		o := w.options(sc)
		o.StopConditions, o.StopEvery, o.StopSettle = &StopConditions{Ops: w.ops, Topology: w.topo}, 10*time.Second, 30*time.Second
		o.BlastRadius = []string{"us-east-1"} // declared narrower than the default (the primary's loss reaches every region)
		return drill.Run(ctx, o)
	}

	w := newAWSWorld(t, awsfake.Timings{})
	for _, a := range append(quiet, inside) {
		w.cloud.SetAlarm(a)
	}
	r, err := run(w, &RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"})
	if !errors.Is(err, drill.ErrPreflight) || !strings.Contains(err.Error(), inside.Name) || strings.Contains(err.Error(), "unhealthy-hosts") || len(r.Steps) != 1 {
		t.Fatalf("a page already in ALARM: err %v, steps %+v; want the preflight to stop on it alone", err, r.Steps)
	}

	w = newAWSWorld(t, awsfake.Timings{})
	for _, a := range append(quiet, inside) {
		w.cloud.SetAlarm(a)
	}
	inside.State = "OK"
	w.cloud.SetAlarm(inside)
	sc := alarmOnInject{Scenario: &RegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1"}, fire: func() {
		inside.State = "ALARM"
		w.cloud.SetAlarm(inside) // inside the blast radius: expected
		w.cloud.SetAlarm(spreading)
	}}
	r, err = run(w, sc)
	if !errors.Is(err, drill.ErrAborted) || len(r.StopAlarms) != 1 || !strings.HasPrefix(r.StopAlarms[0], spreading.Name+" (page)") {
		t.Fatalf("an alarm outside the blast radius: err %v, stop alarms %v", err, r.StopAlarms)
	}
	if s := stepOf(r, "restore"); s.Name == "" || s.Error != "" {
		t.Errorf("not restored after the abort: %+v", r.Steps)
	}
	if got := w.cloud.Answer("shop.example.com"); !slices.Equal(got, []string{w.addrs["us-east-1"]}) {
		t.Errorf("DNS after the aborted drill answers %v, want the primary again", got)
	}
}

// The default blast radius: the disrupted region, or every region of the
// service when its database primary goes with it.
func TestDefaultBlastRadius(t *testing.T) {
	l := &topology.Loader{Images: topology.ImageDir("../topology/testdata/images")}
	topo, err := l.LoadFile("testdata/aws.hcl")
	if err != nil {
		t.Fatal(err)
	}
	s := topo.Services[0] // primary in us-east-1, a replica in us-west-2
	for _, tc := range []struct {
		region string
		d      topology.Disruption
		want   []string
	}{
		{"us-east-1", topology.DisruptionRegion, s.Regions},
		{"us-west-2", topology.DisruptionRegion, []string{"us-west-2"}},
		{"us-east-1", topology.DisruptionZone, []string{"us-east-1"}},
		{"us-east-1", topology.DisruptionDatabase, s.Regions},
	} {
		if got := drill.DefaultBlastRadius(topo, s, tc.region, tc.d); !slices.Equal(got, tc.want) {
			t.Errorf("%s loss of %s: blast radius %v, want %v", tc.d, tc.region, got, tc.want)
		}
	}
}

// A deadline derived on aws: twice the estimate, Route 53's interval ×
// threshold, the TTL and the steady second; never under 30 s. The
// expected values are worked out by hand.
func TestDeadlinesDerivedForAWS(t *testing.T) {
	l := &topology.Loader{Images: topology.ImageDir("../topology/testdata/images")}
	topo, err := l.LoadFile("testdata/aws.hcl")
	if err != nil {
		t.Fatal(err)
	}
	svc := topo.Services[0] // health every 10 s, 3 failures; TTL 60 s
	slow := svc
	slow.Health.Interval, slow.Health.UnhealthyAfter = 30*time.Second, 12 // Route 53 offers 30 s; its threshold stops at 10
	for _, tc := range []struct {
		name     string
		svc      topology.Service
		estimate *drill.Numbers
		want     time.Duration
		how      string
	}{
		{"region estimate 90s", svc, &drill.Numbers{RTOSeconds: 90, Known: true}, 271 * time.Second, // 180 + 30 + 60 + 1
			"derived: 2 × 1m30s (the region estimate) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 4m31s"},
		{"no estimate", svc, nil, 331 * time.Second, // 2 × 2m + 30 + 60 + 1
			"derived: 2 × 2m0s (the aws target's typical recovery) + DNS detection 30s (Route 53 request interval 10s × failure threshold 3) + TTL 1m0s + steady 1s = 5m31s"},
		{"unrecoverable estimate", svc, &drill.Numbers{RTOSeconds: 90, Known: false}, 331 * time.Second, ""},
		{"30 s checks", slow, &drill.Numbers{RTOSeconds: 90, Known: true}, 541 * time.Second, // 180 + 30 × 10 + 60 + 1
			"derived: 2 × 1m30s (the region estimate) + DNS detection 5m0s (Route 53 request interval 30s × failure threshold 10) + TTL 1m0s + steady 1s = 9m1s"},
	} {
		got, how := drill.DeriveDeadline(Timing(), tc.svc, topology.DisruptionRegion, tc.estimate, time.Second)
		if got != tc.want || tc.how != "" && how != tc.how {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.name, got, how, tc.want, tc.how)
		}
	}
}
