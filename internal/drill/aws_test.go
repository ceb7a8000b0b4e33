package drill

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
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Drills of the AWS target run end to end against awsfake.Cloud, a
// loopback fake of Auto Scaling, RDS, Route 53, AWS Backup and FIS (not
// AWS). Each region's load balancer is an HTTP server on its own loopback
// address; Route 53's health checkers probe them over HTTP, and the probe
// resolves the service's name through the fake's record sets. Both regions
// write into one store, as Aurora's write forwarding would, and writes fail
// while the fake's global cluster fails over or switches over.

type awsWorld struct {
	cloud  *awsfake.Cloud
	ops    *awsrunbook.Clients
	topo   *topology.Topology
	addrs  map[string]string // region -> loopback address of its load balancer
	port   int
	mu     sync.Mutex
	stored map[int64]bool
	down   map[string]bool // regions whose load balancer answers 503
	// onWrite runs after each stored write, with the count so far.
	onWrite func(n int)
	// steady is the drill's Steady (default 300 ms).
	steady time.Duration
}

func (w *awsWorld) setDown(region string, down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down[region] = down
}

func (w *awsWorld) serve(region string) http.Handler {
	global := "bulwark-drilltest-shop"
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
		g, _ := w.cloud.GlobalCluster(global)
		w.mu.Lock()
		down := w.down[region]
		if down || g.Status != awsfake.GlobalAvailable {
			w.mu.Unlock()
			rw.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(rw).Encode(map[string]string{"region": region, "error": "database " + g.Status})
			return
		}
		w.stored[seq] = true
		n, hook := len(w.stored), w.onWrite
		w.mu.Unlock()
		if hook != nil {
			hook(n)
		}
		rw.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(rw).Encode(map[string]string{"region": region})
	})
	mux.HandleFunc("GET /writes", func(rw http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		w.mu.Lock()
		var seqs []int64
		for s := range w.stored {
			if s >= from && s <= to {
				seqs = append(seqs, s)
			}
		}
		w.mu.Unlock()
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

func newAWSWorld(t *testing.T) *awsWorld {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../topology/testdata/images")}
	topo, err := l.LoadFile("testdata/aws.hcl")
	if err != nil {
		t.Fatal(err)
	}
	w := &awsWorld{cloud: awsfake.NewCloud(), topo: topo, stored: map[int64]bool{}, down: map[string]bool{},
		addrs: map[string]string{"us-east-1": "127.0.0.21", "us-west-2": "127.0.0.22"}}
	t.Cleanup(w.cloud.Close)
	la, lb, port := listenPair(t, w.addrs["us-east-1"], w.addrs["us-west-2"])
	w.port = port
	for region, l := range map[string]net.Listener{"us-east-1": la, "us-west-2": lb} {
		srv := &http.Server{Handler: w.serve(region), ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
	w.cloud.Ticks = 5
	env, svc := topo.Environment.Name, topo.Services[0]
	for i, region := range []string{"us-east-1", "us-west-2"} {
		tags := map[string]string{"bulwark:env": env, "bulwark:region": region, "bulwark:service": svc.Name}
		w.cloud.AddGroup(awsfake.Group{Name: fmt.Sprintf("%s-%s-shop", env, region), Region: region, Min: 2, Max: 4, Desired: 2, Tags: tags,
			Subnets: []awsfake.Subnet{{ID: "subnet-" + region + "a", Zone: region + "a"}, {ID: "subnet-" + region + "b", Zone: region + "b"}}})
		check := w.cloud.AddHealthCheck(awsfake.HealthCheck{Type: "HTTP", FQDN: w.addrs[region], Port: port, ResourcePath: "/healthz", Tags: tags})
		w.cloud.AddRecord(awsfake.Record{Name: svc.DNS.FQDN(), SetIdentifier: region, Failover: []string{"PRIMARY", "SECONDARY"}[i], HealthCheckID: check, Values: []string{w.addrs[region]}})
	}
	w.cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "bulwark-drilltest-shop", Members: []awsfake.DBCluster{
		{Identifier: "bulwark-drilltest-shop-us-east-1", Region: "us-east-1", Writer: true},
		{Identifier: "bulwark-drilltest-shop-us-west-2", Region: "us-west-2"},
	}})
	awsfake.UseFakeCredentials(t)
	w.ops, err = awsrunbook.NewClients(context.Background(), awsrunbook.ClientOptions{Endpoint: w.cloud.URL(), MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.ops.Poll = 10 * time.Millisecond
	return w
}

func (w *awsWorld) run(t *testing.T, sc Scenario) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, Options{
		Topology: w.topo, Service: w.topo.Services[0], Region: "us-east-1", Scenario: sc, Port: w.port,
		Lookup:   func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil },
		Interval: 20 * time.Millisecond, Baseline: 500 * time.Millisecond, Detect: 300 * time.Millisecond, Steady: max(w.steady, 300*time.Millisecond), Deadline: 10 * time.Second,
		Progress: func(line string) { t.Log(line) },
	})
	if err != nil {
		t.Fatalf("drill %s: %v", sc.Name(), err)
	}
	for _, s := range r.Steps {
		if s.Error != "" {
			t.Errorf("step %s failed: %s", s.Name, s.Error)
		}
	}
	return r
}

func regionsServed(r *Report, after time.Time) []string {
	var out []string
	for _, a := range r.Attempts {
		if a.OK && a.At.After(after) && !slices.Contains(out, a.Region) {
			out = append(out, a.Region)
		}
	}
	slices.Sort(out)
	return out
}

func TestAWSRegionLoss(t *testing.T) {
	w := newAWSWorld(t)
	w.steady = 1500 * time.Millisecond // past the record's TTL: clients re-resolve
	r := w.run(t, &AWSRegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1", Wait: 10 * time.Second})
	if !r.Passed() || !r.Measured.Known || *r.Measured.WritesLost != 0 {
		t.Errorf("report: passed=%t measured=%+v checks=%+v", r.Passed(), r.Measured, r.Checks)
	}
	if got := regionsServed(r, r.Injected.Add(1200*time.Millisecond)); !slices.Contains(got, "us-west-2") {
		t.Errorf("regions that took writes once the TTL had passed: %v, want us-west-2 (DNS moved clients)", got)
	}
	if r.Outage.Failed == 0 || r.Measured.RTOSeconds <= 0 {
		t.Errorf("the global failover was invisible: %d failed attempts, RTO %.3fs", r.Outage.Failed, r.Measured.RTOSeconds)
	}
	// the steady state again: the writer switched back, DNS and groups as before
	g, _ := w.cloud.GlobalCluster("bulwark-drilltest-shop")
	if g.Writer().Region != "us-east-1" || g.Failovers != 1 || g.Switchovers != 1 {
		t.Errorf("global cluster: writer %s, %d failovers, %d switchovers; want us-east-1, 1, 1", g.Writer().Region, g.Failovers, g.Switchovers)
	}
	if grp, _ := w.cloud.Group("us-east-1", "drilltest-us-east-1-shop"); len(grp.Suspended) != 0 {
		t.Errorf("processes still suspended: %v", grp.Suspended)
	}
	if got := w.cloud.Answer("shop.example.com"); !slices.Equal(got, []string{w.addrs["us-east-1"]}) {
		t.Errorf("DNS after restore answers %v, want the primary again", got)
	}
}

func TestAWSInstanceLoss(t *testing.T) {
	w := newAWSWorld(t)
	before, _ := w.cloud.Group("us-east-1", "drilltest-us-east-1-shop")
	sc := &AWSInstanceLoss{Ops: w.ops, Scope: awsrunbook.Scope{Environment: "drilltest", Region: "us-east-1", Service: "shop"}, Wait: 10 * time.Second}
	r := w.run(t, sc)
	after, _ := w.cloud.Group("us-east-1", "drilltest-us-east-1-shop")
	if after.InService() != 2 || slices.ContainsFunc(after.Instances, func(i awsfake.GroupInstance) bool { return i.ID == before.Instances[0].ID }) {
		t.Errorf("group after the drill: %+v; want 2 in service without %s", after.Instances, before.Instances[0].ID)
	}
	if !r.Passed() {
		t.Errorf("checks %+v", r.Checks)
	}
}

func TestAWSDatabasePrimaryLoss(t *testing.T) {
	w := newAWSWorld(t)
	r := w.run(t, &AWSDatabasePrimaryLoss{Ops: w.ops, Topology: w.topo, Service: w.topo.Services[0], Wait: 10 * time.Second})
	g, _ := w.cloud.GlobalCluster("bulwark-drilltest-shop")
	if g.Failovers != 1 || g.Switchovers != 1 || g.Writer().Region != "us-east-1" {
		t.Errorf("global cluster after the drill: %+v", g)
	}
	if r.Outage.Failed == 0 || !r.Passed() {
		t.Errorf("failed attempts %d, checks %+v", r.Outage.Failed, r.Checks)
	}
}

func TestAWSBackupRestoreCountsByRecoveryPointTime(t *testing.T) {
	w := newAWSWorld(t)
	var taken sync.Once
	var pointAt time.Time
	w.onWrite = func(n int) {
		if n == 5 { // a backup finishes while the service takes writes
			taken.Do(func() {
				pointAt = time.Now()
				w.cloud.AddRecoveryPoint(awsfake.RecoveryPoint{Vault: "bulwark-drilltest-shop", Region: "us-west-2", ResourceType: "Aurora",
					ResourceARN: "arn:aws:rds:us-east-1:123456789012:cluster:bulwark-drilltest-shop-us-east-1", Created: pointAt})
			})
		}
	}
	sc := &AWSBackupRestore{Ops: w.ops, Topology: w.topo, Service: w.topo.Services[0], Vault: "us-west-2", Role: "arn:aws:iam::123456789012:role/restore", Wait: 10 * time.Second}
	r := w.run(t, sc)
	var ackedByPoint, ackedBefore int
	for _, a := range r.Attempts {
		if a.OK && a.At.Before(r.Injected) {
			ackedBefore++
			if !a.At.Add(a.Latency).After(pointAt) {
				ackedByPoint++
			}
		}
	}
	if r.Data.Acknowledged != ackedBefore || len(r.Data.Lost) != ackedBefore-ackedByPoint || len(r.Data.Lost) == 0 {
		t.Errorf("data: %d acknowledged, %d lost; want %d acknowledged before the injection, %d of them after the recovery point",
			r.Data.Acknowledged, len(r.Data.Lost), ackedBefore, ackedBefore-ackedByPoint)
	}
	if jobs := w.cloud.RestoreJobs(); len(jobs) != 1 || jobs[0].Status != awsfake.RestoreCompleted || jobs[0].Metadata["DBSubnetGroupName"] != "bulwark-drilltest-shop-us-west-2" {
		t.Errorf("restore jobs: %+v", jobs)
	}
	if clusters := w.cloud.DBClusters("us-west-2"); len(clusters) != 1 {
		t.Errorf("clusters in us-west-2 after the drill: %v; want only the global member (the scratch one deleted)", clusters)
	}
	if r.Outage.Unrecovered || r.Measured.RTOSeconds <= 0 {
		t.Errorf("restore time: %+v", r.Outage)
	}
}

func TestAWSZoneLossWithFIS(t *testing.T) {
	w := newAWSWorld(t)
	// the template's actions, as FIS would run them: the primary region's endpoint stops answering
	w.cloud.AddExperimentTemplate(awsfake.ExperimentTemplate{ID: "EXTazpower", Region: "us-east-1",
		OnStart: func() { w.setDown("us-east-1", true) }, OnStop: func() { w.setDown("us-east-1", false) }})
	sc := &FISExperiment{Ops: w.ops, Scenario: "zone-loss", Kind: topology.DisruptionZone, Region: "us-east-1", Template: "EXTazpower", Wait: 10 * time.Second}
	r := w.run(t, sc)
	if r.Outage.Failed == 0 || r.Outage.Unrecovered {
		t.Errorf("outage %+v: the probe should fail until DNS moves it", r.Outage)
	}
	if got := regionsServed(r, r.Outage.Recovered); !slices.Equal(got, []string{"us-west-2"}) {
		t.Errorf("served after recovery: %v, want us-west-2", got)
	}
	exps := w.cloud.Experiments("EXTazpower")
	if len(exps) != 1 || exps[0].Status != awsfake.ExperimentStopped {
		t.Errorf("experiments: %+v, want one, stopped by the restore", exps)
	}
	// a second drill while the first's experiment ran would be refused by FIS
	if _, err := w.ops.StartExperiment(context.Background(), "us-east-1", "EXTnone", "x", time.Second); err == nil || errors.Is(err, awsrunbook.ErrTimeout) {
		t.Errorf("an unknown template: %v", err)
	}
}

// A failed preflight check stops the drill before anything is injected.
func TestPreflightCheckStopsTheDrill(t *testing.T) {
	w := newAWSWorld(t)
	sc := &AWSInstanceLoss{Ops: w.ops, Scope: awsrunbook.Scope{Environment: "drilltest", Region: "us-east-1", Service: "shop"}}
	r, err := Run(context.Background(), Options{Topology: w.topo, Service: w.topo.Services[0], Scenario: sc, Port: w.port,
		Lookup: func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil },
		Checks: []PreflightCheck{{Name: "terraform layers", Run: func(context.Context) (string, error) {
			return "", errors.New("layer bootstrap has not been applied")
		}}}})
	if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), "terraform layers: layer bootstrap") || len(r.Steps) != 1 {
		t.Fatalf("err = %v, steps %+v", err, r.Steps)
	}
	for _, call := range w.cloud.Calls() {
		if strings.Contains(call, "Terminate") {
			t.Errorf("injected despite the failed preflight: %s", call)
		}
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
			w := newAWSWorld(t)
			alarms := &fakeAlarms{firing: tc.firing}
			sc := &AWSRegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1", Wait: 10 * time.Second}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := Run(ctx, Options{
				Topology: w.topo, Service: w.topo.Services[0], Region: "us-east-1", Scenario: sc, Port: w.port,
				Lookup:   func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil },
				Interval: 20 * time.Millisecond, Baseline: 500 * time.Millisecond, Detect: 300 * time.Millisecond, Steady: 1500 * time.Millisecond, Deadline: 10 * time.Second,
				StopConditions: alarms, StopEvery: 100 * time.Millisecond, BlastRadius: []string{"us-east-1"},
			})
			if tc.aborted != errors.Is(err, ErrAborted) {
				t.Fatalf("err = %v, want aborted %v", err, tc.aborted)
			}
			stop := r.Checks[slices.IndexFunc(r.Checks, func(c Check) bool { return c.Name == "stop-conditions" })]
			if stop.Passed == tc.aborted || (tc.aborted && !slices.Equal(r.StopAlarms, []string{"BulwarkErrorBudgetBurn us-west-2/shop"})) {
				t.Errorf("stop-conditions check %+v, alarms %v", stop, r.StopAlarms)
			}
			if !slices.Equal(alarms.asked[len(alarms.asked)-1], []string{"us-east-1"}) {
				t.Errorf("asked for alarms outside %v, want the declared blast radius", alarms.asked[len(alarms.asked)-1])
			}
			// restored either way: the primary writes again and DNS points at it
			if i := slices.IndexFunc(r.Steps, func(s Step) bool { return s.Name == "restore" }); i < 0 || r.Steps[i].Error != "" {
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
	Scenario
	fire func()
}

func (s alarmOnInject) Inject(ctx context.Context) (string, error) {
	s.fire()
	return s.Scenario.Inject(ctx)
}

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
	run := func(w *awsWorld, sc Scenario) (*Report, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return Run(ctx, Options{
			Topology: w.topo, Service: w.topo.Services[0], Region: "us-east-1", Scenario: sc, Port: w.port,
			Lookup:   func(_ context.Context, name string) ([]string, error) { return w.cloud.Answer(name), nil },
			Interval: 20 * time.Millisecond, Baseline: 500 * time.Millisecond, Detect: 300 * time.Millisecond, Steady: 1500 * time.Millisecond, Deadline: 10 * time.Second,
			StopConditions: &AWSStopConditions{Ops: w.ops, Topology: w.topo}, StopEvery: 100 * time.Millisecond, StopSettle: 300 * time.Millisecond,
			BlastRadius: []string{"us-east-1"}, // declared narrower than the default (the primary's loss reaches every region)
		})
	}

	w := newAWSWorld(t)
	for _, a := range append(quiet, inside) {
		w.cloud.SetAlarm(a)
	}
	r, err := run(w, &AWSRegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1", Wait: 10 * time.Second})
	if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), inside.Name) || strings.Contains(err.Error(), "unhealthy-hosts") || len(r.Steps) != 1 {
		t.Fatalf("a page already in ALARM: err %v, steps %+v; want the preflight to stop on it alone", err, r.Steps)
	}

	w = newAWSWorld(t)
	for _, a := range append(quiet, inside) {
		w.cloud.SetAlarm(a)
	}
	inside.State = "OK"
	w.cloud.SetAlarm(inside)
	sc := alarmOnInject{Scenario: &AWSRegionLoss{Ops: w.ops, Topology: w.topo, Region: "us-east-1", Wait: 10 * time.Second}, fire: func() {
		inside.State = "ALARM"
		w.cloud.SetAlarm(inside) // inside the blast radius: expected
		w.cloud.SetAlarm(spreading)
	}}
	r, err = run(w, sc)
	if !errors.Is(err, ErrAborted) || len(r.StopAlarms) != 1 || !strings.HasPrefix(r.StopAlarms[0], spreading.Name+" (page)") {
		t.Fatalf("an alarm outside the blast radius: err %v, stop alarms %v", err, r.StopAlarms)
	}
	if i := slices.IndexFunc(r.Steps, func(s Step) bool { return s.Name == "restore" }); i < 0 || r.Steps[i].Error != "" {
		t.Errorf("not restored after the abort: %+v", r.Steps)
	}
	if got := w.cloud.Answer("shop.example.com"); !slices.Equal(got, []string{w.addrs["us-east-1"]}) {
		t.Errorf("DNS after the aborted drill answers %v, want the primary again", got)
	}
}

// The default blast radius: the disrupted region, or every region of the
// service when its database primary goes with it.
func TestDefaultBlastRadius(t *testing.T) {
	w := newAWSWorld(t)
	s := w.topo.Services[0] // primary in us-east-1, a replica in us-west-2
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
		if got := DefaultBlastRadius(w.topo, s, tc.region, tc.d); !slices.Equal(got, tc.want) {
			t.Errorf("%s loss of %s: blast radius %v, want %v", tc.d, tc.region, got, tc.want)
		}
	}
}
