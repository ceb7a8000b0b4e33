package localprovider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"

	"github.com/jackc/pgx/v5"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bulwark-dev/bulwark/internal/drift"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// localEngine is the real engine on a file backend in a fresh state
// directory, with the project's provider plugin; the control plane it
// starts is stopped when the test ends.
func localEngine(t *testing.T) (*engine.Runner, string) {
	t.Helper()
	root := repoRoot()
	pulumiRoot, err := engine.FindPulumi(root)
	if err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	providerDir, err := engine.FindProvider(root)
	if err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	state := t.TempDir()
	plane := localcloud.Dir(state)
	t.Cleanup(func() {
		if err := localcloud.Stop(context.Background(), plane); err != nil {
			t.Error(err)
		}
		_ = os.RemoveAll(localcloud.DataRoot(plane)) // a rebuilt region's former primary, kept aside
	})
	r, err := engine.New(engine.Config{
		PulumiRoot: pulumiRoot, Project: "bulwark", Backend: "file://" + filepath.Join(state, "backend"),
		Home: filepath.Join(state, "home"), WorkDir: filepath.Join(state, "work"),
		PluginPaths: []workspace.PluginOptions{{Name: engine.ProviderPackage, Path: providerDir}},
		Env:         map[string]string{"BULWARK_STATE_DIR": state},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, state
}

func TestLocalTargetEndToEnd(t *testing.T) {
	root := repoRoot()
	r, state := localEngine(t)
	plane := localcloud.Dir(state)
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root, "images"))}
	topo, err := l.LoadFile("testdata/two-regions.hcl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tf, err := layers.Find(root)
	if err != nil {
		t.Fatalf("%v (make deps provides one)", err)
	}
	o := &orchestrate.Orchestrator{Engine: r, Topology: topo,
		Layers: &layers.Runner{Exec: tf, Dir: filepath.Join(state, "layers", "e2e"), Root: root}}

	sum, err := o.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	// the Terraform layer ran first, and its output reached every stack
	if sum.Results[0].Stack != "layer bootstrap" || sum.Results[0].Outputs["bucket"] != "e2e-state-east" {
		t.Fatalf("the layer's result: %+v", sum.Results[0])
	}
	sum.Results = sum.Results[1:]
	for _, res := range sum.Results {
		passed, _ := res.Outputs["layers"].(map[string]any)
		bootstrap, _ := passed["bootstrap"].(map[string]any)
		if bootstrap["bucket"] != "e2e-state-east" {
			t.Errorf("stack %s was not given the layer's output: %v", res.Stack, res.Outputs["layers"])
		}
	}
	// every region's service answers through its own load balancer
	for _, res := range sum.Results[:2] {
		services, _ := res.Outputs["services"].(map[string]any)
		shop, _ := services["shop"].(map[string]any)
		endpoint, _ := shop["endpoint"].(string)
		region, _ := res.Outputs["region"].(string)
		if !strings.HasPrefix(endpoint, "127.0.") || !strings.HasSuffix(endpoint, ":28080") {
			t.Fatalf("%s endpoint = %q", res.Stack, endpoint)
		}
		body := mustGet(t, "http://"+endpoint+"/")
		if body["region"] != region {
			t.Errorf("%s answered from %v, want %s", endpoint, body["region"], region)
		}
	}

	// the service's name resolves, through the environment's own DNS, to every healthy region
	dnsServer, _ := sum.Results[2].Outputs["dns_server"].(string)
	var lbs []string
	for _, res := range sum.Results[:2] {
		services, _ := res.Outputs["services"].(map[string]any)
		endpoint, _ := services["shop"].(map[string]any)["endpoint"].(string)
		lbs = append(lbs, strings.TrimSuffix(endpoint, ":28080"))
	}
	sort.Strings(lbs)
	waitResolve(t, dnsServer, "shop.test", strings.Join(lbs, ","))
	c := localcloud.Dial(plane)
	eastShop := localapi.ServiceID{Env: "e2e", Region: "east", Service: "shop"}
	westShop := localapi.ServiceID{Env: "e2e", Region: "west", Service: "shop"}

	// a write through the service is on the other region's replica once acknowledged
	eastEndpoint := lbs[0] + ":28080"
	if resp, err := http.Post("http://"+eastEndpoint+"/writes?seq=42", "", nil); err != nil || resp.StatusCode != 201 {
		t.Fatalf("write through the service: %v %v", resp, err)
	}
	var replicaAddr string
	for _, res := range sum.Results[:2] {
		services, _ := res.Outputs["services"].(map[string]any)
		shop, _ := services["shop"].(map[string]any)
		if shop["database_role"] == "replica" {
			replicaAddr, _ = shop["database"].(string)
		}
	}
	if replicaAddr == "" {
		t.Fatalf("no replica in the outputs: %v", sum.Results[1].Outputs)
	}
	replicaDB, err := localapi.Get(ctx, c, localapi.Databases, westShop)
	if err != nil || replicaDB.Address != replicaAddr {
		t.Fatalf("west's member %+v (%v), want the replica at %s", replicaDB, err, replicaAddr)
	}
	conn, err := pgx.Connect(ctx, replicaDB.OperatorConnString())
	if err != nil {
		t.Fatal(err)
	}
	// synchronous_commit = on acknowledges once the standby has the WAL on
	// disk; it shows the row once it has replayed it, a moment later
	var writer string
	for i := 0; i < 50; i++ {
		if err = conn.QueryRow(ctx, "SELECT writer FROM writes WHERE seq = 42").Scan(&writer); !errors.Is(err, pgx.ErrNoRows) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("row 42 on the replica %s: %v", replicaAddr, err)
	}

	// the backup plan took a first full backup into west's vault
	bk, err := localapi.Get(ctx, c, localapi.Backups, localapi.BackupID{Env: "e2e", Service: "shop"})
	if err != nil || len(bk.Backups) != 1 || bk.Backups[0].Vault != "west" || bk.Backups[0].Type != "full" {
		t.Fatalf("backups = %+v, %v", bk, err)
	}

	// a drill: lose an instance while a probe writes through the service's
	// DNS name; synchronous replication loses nothing, and the report says so
	rep, err := drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "east",
		Scenario: &localtarget.InstanceLoss{Plane: c, Group: eastShop}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second})
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	if !rep.Passed() || !rep.Measured.Known || rep.Measured.WritesLost == nil || *rep.Measured.WritesLost != 0 ||
		rep.Measured.RTOSeconds > 5 || rep.Data.Acknowledged < 20 {
		t.Errorf("drill report: passed=%v measured=%+v data=%+v checks=%+v", rep.Passed(), rep.Measured, rep.Data, rep.Checks)
	}
	reportDir := t.TempDir()
	if err := rep.Write(reportDir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"drill.json", "drill.md", "drill.junit.xml", "drill.svg"} {
		if fi, err := os.Stat(filepath.Join(reportDir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}

	// the environment's monitoring sees it all: every target scraped, and
	// per region the instances in service, traffic, p99, the replica's lag,
	// the backup's age and the error budget left
	prom, _ := sum.Results[2].Outputs["prometheus"].(string)
	src, err := status.NewSource(prom)
	if err != nil {
		t.Fatal(err)
	}
	var report *status.Report
	seen := func() bool {
		report, err = status.Read(ctx, src, topo)
		if err != nil || len(report.Rows) != 2 {
			return false
		}
		east, west := report.Rows[0], report.Rows[1]
		return east.Seen && west.Seen && east.InService == east.Desired && east.Desired > 0 && east.EndpointUp && west.EndpointUp &&
			east.RequestRate != nil && *east.RequestRate > 0 && east.P99 != nil && *east.P99 > 0 && *east.P99 < 0.3 &&
			west.ReplicationLag != nil && east.BackupAge != nil && east.Budget != nil && east.Budget.Total > 0
	}
	for deadline := time.Now().Add(60 * time.Second); !seen(); time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("bulwark status never showed every number: %+v, %v", report, err)
		}
	}
	stopConditions := status.StopConditions{Source: src, Env: "e2e"}

	// a zone-loss drill: zone 1's instance of east dies and stays down; the
	// load balancer routes to zone 2's
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "east",
		Scenario: &localtarget.ZoneLoss{Plane: c, Group: eastShop, Zone: 1}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second})
	if err != nil || !rep.Passed() || *rep.Measured.WritesLost != 0 {
		t.Fatalf("zone-loss drill: %v, checks %+v", err, rep.Checks)
	}

	// a region-loss drill of west: the primary stops waiting for its lost
	// synchronous standby, clients move by DNS, nothing acknowledged is lost,
	// and the region comes back with synchronous replication
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "west",
		Scenario: &localtarget.RegionLoss{Plane: c, Topology: topo, Region: "west"}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second, StopConditions: stopConditions})
	if err != nil {
		t.Fatalf("region-loss drill: %v", err)
	}
	// west's alarms are inside its blast radius: the drill ran its course,
	// and the report states the budget its failed requests spent
	if len(rep.StopAlarms) != 0 || rep.ErrorBudget == nil || rep.ErrorBudget.Bad != float64(rep.Outage.Failed) {
		t.Errorf("region-loss drill: stop alarms %v, error budget %+v", rep.StopAlarms, rep.ErrorBudget)
	}
	if !rep.Passed() || *rep.Measured.WritesLost != 0 || rep.Outage.Unrecovered || rep.Measured.RTOSeconds > 10 {
		t.Errorf("region-loss drill: measured=%+v outage=%+v checks=%+v\n%s", rep.Measured, rep.Outage, rep.Checks, rep.Markdown())
	}
	waitResolve(t, dnsServer, "shop.test", strings.Join(lbs, ","))

	// a region whose load balancer dies leaves the answer within seconds
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// every instance was started with the whole runtime contract
	shopNeeds := contract.Needs{Engine: topo.Services[0].Database.Engine, Parameters: slices.Collect(maps.Keys(topo.Services[0].Parameters))}
	passwords := map[string]bool{}
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			if err := contract.Missing(contract.Keys(shopNeeds), instanceEnv(t, in.PID)); err != nil {
				t.Errorf("instance %s of %s: %v", in.Name, g.Region, err)
			}
			passwords[instanceVar(t, in.PID, contract.DatabasePassword)] = true
		}
	}
	// every instance has the one password the deploy generated, and the
	// engine's state (what pulumi stack export shows) holds it only
	// encrypted, as the stacks' outputs do not hold it at all
	if len(passwords) != 1 || passwords[""] {
		t.Errorf("the instances were given %d passwords (an empty one: %v), want one", len(passwords), passwords[""])
	}
	for password := range passwords {
		found := 0
		_ = filepath.WalkDir(filepath.Join(state, "backend"), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(path); strings.Contains(string(b), password) {
					t.Errorf("the engine's state %s holds the database password in clear", path)
				}
				found++
			}
			return nil
		})
		if found == 0 {
			t.Errorf("no engine state under %s to check", filepath.Join(state, "backend"))
		}
		if out, _ := json.Marshal(sum.Results); strings.Contains(string(out), password) {
			t.Errorf("the stacks' outputs hold the database password")
		}
	}
	var eastLB localapi.Balancer
	for _, b := range st.Balancers {
		if b.Region == "east" {
			eastLB = b
		}
	}
	if err := syscall.Kill(eastLB.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	west := lbs[0]
	if strings.HasPrefix(eastLB.Address, west+":") {
		west = lbs[1]
	}
	waitResolve(t, dnsServer, "shop.test", west)
	// west's load balancer is removed by hand, behind the engine's back
	if err := localapi.Delete(ctx, c, localapi.Balancers, westShop); err != nil {
		t.Fatal(err)
	}
	// drift reports both, property by property, and changes nothing: twice the same
	for range 2 {
		var col drift.Collector
		o.Progress = col.Progress
		dsum, err := o.Drift(ctx)
		o.Progress = nil
		if err != nil {
			t.Fatalf("drift: %v", err)
		}
		rep := col.Report("e2e", []string{dsum.Results[0].Stack, dsum.Results[1].Stack, dsum.Results[2].Stack})
		east, west := rep.Stacks[0].Resources, rep.Stacks[1].Resources
		if len(east) != 1 || east[0].Type != "bulwark:local:LoadBalancer" || east[0].Kind != drift.Changed ||
			len(east[0].Properties) != 1 || east[0].Properties[0].Name != "running" || east[0].Properties[0].Recorded != true || east[0].Properties[0].Actual != false {
			t.Fatalf("drift of east: %+v\n%s", east, rep.Text())
		}
		if len(west) != 1 || west[0].Type != "bulwark:local:LoadBalancer" || west[0].Kind != drift.Gone {
			t.Fatalf("drift of west: %+v\n%s", west, rep.Text())
		}
	}
	// refresh writes what drift found into the state; up repairs it, and east is back in DNS
	sum, err = o.Refresh(ctx)
	if err != nil || sum.Results[0].Changes["update"] != 1 || sum.Results[1].Changes["delete"] != 1 {
		t.Fatalf("refresh after losing both load balancers: %v %v, %v", sum.Results[0].Changes, sum.Results[1].Changes, err)
	}
	if _, err := o.Up(ctx); err != nil {
		t.Fatalf("up after losing a load balancer: %v", err)
	}
	waitResolve(t, dnsServer, "shop.test", strings.Join(lbs, ","))

	// an instance that dies is replaced, and the group is whole again
	killed, err := localapi.Do(ctx, c, localapi.KillInstance, eastShop, localapi.SlotRequest{Slot: 1})
	if err != nil {
		t.Fatal(err)
	}
	pid := killed.PID
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := localapi.Get(ctx, c, localapi.Groups, eastShop)
		if err == nil && g.Replaced >= 1 && g.Healthy() == 2 && g.Instances[1].PID != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %d not replaced within 30s: %+v %v", pid, g, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	sum, err = o.Preview(ctx)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	for _, res := range sum.Results {
		for op, n := range res.Changes {
			if op != "same" && n > 0 {
				t.Errorf("%s: preview after up shows %v", res.Stack, res.Changes)
			}
		}
	}

	// a backup-restore drill: the newest backup and the archived WAL from
	// west's vault come back in a scratch database, which is removed after.
	// The environment is seconds old, younger than archive_timeout: a
	// segment switch first puts the service's table in the archive, as
	// time would
	bench, err := localtarget.NewRestoreBench(topo, state)
	if err != nil {
		t.Fatal(err)
	}
	if err := bench.SwitchSegments(ctx, 1); err != nil {
		t.Fatalf("switch a WAL segment before the backup-restore drill: %v", err)
	}
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "west",
		Scenario: &localtarget.BackupRestore{Plane: c, Topology: topo, Service: topo.Services[0], Vault: "west"}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second})
	if err != nil || !rep.Passed() || rep.Data.Acknowledged < 10 || rep.Measured.RTOSeconds <= 0 || rep.Outage.Unrecovered {
		t.Fatalf("backup-restore drill: %v, measured %+v, data %+v, checks %+v", err, rep.Measured, rep.Data, rep.Checks)
	}
	if st, _ := c.Status(ctx); len(st.Databases) != 2 {
		t.Errorf("after the backup-restore drill: databases %+v", st.Databases)
	}

	// cut east, the writer's region, off while it runs: its writer is
	// fenced through the control plane before west's replica is promoted,
	// so one member takes writes, and nothing acknowledged is lost
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "east",
		Scenario: &localtarget.RegionPartition{Plane: c, Topology: topo, Region: "east"}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second})
	if err != nil || !rep.Passed() || *rep.Measured.WritesLost != 0 || !slices.Equal(rep.Writers["shop"], []string{"west"}) {
		t.Fatalf("region-partition drill of east: %v, measured %+v, writers %v, checks %+v\n%s", err, rep.Measured, rep.Writers, rep.Checks, rep.Markdown())
	}
	t.Logf("region-partition of east: RTO %.2fs, %d writes, steps:\n%s", rep.Measured.RTOSeconds, rep.Data.Acknowledged, rep.Markdown())
	if eastDB, err := localapi.Get(ctx, c, localapi.Databases, eastShop); err != nil || eastDB.Running {
		t.Fatalf("east's fenced writer after the partition healed: %+v %v", eastDB, err)
	}
	waitResolve(t, dnsServer, "shop.test", strings.Join(lbs, ",")) // east's load balancer answers again

	// lose east (the plan's primary region) and stay failed over; then rebuild
	// it from code and fail back: nothing acknowledged is lost on the way
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "east",
		Scenario: &localtarget.RegionLoss{Plane: c, Topology: topo, Region: "east"}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second, NoRestore: true})
	if err != nil || !rep.Passed() || *rep.Measured.WritesLost != 0 {
		t.Fatalf("region-loss drill of east: %v, measured %+v, checks %+v", err, rep.Measured, rep.Checks)
	}
	westDB, err := localapi.Get(ctx, c, localapi.Databases, westShop)
	if err != nil || westDB.Role != "primary" {
		t.Fatalf("west after losing east: %+v %v", westDB, err)
	}
	rowsBefore := countWrites(t, ctx, westDB)
	var steps []string
	rb, err := localtarget.RecreateRegion(ctx, topo, c, target.RecreateRequest{Region: "east", Failback: true, Engine: r, Layers: o.Layers,
		Progress: func(line string) { steps = append(steps, line) }})
	if err != nil {
		t.Fatalf("recreate east: %v\n%s", err, strings.Join(steps, "\n"))
	}
	t.Logf("recreate east:\n%s", strings.Join(steps, "\n"))
	if len(rb.Steps) != 7 {
		t.Errorf("recreate east ran %d steps: %+v", len(rb.Steps), rb.Steps)
	}
	eastDB, err := localapi.Get(ctx, c, localapi.Databases, eastShop)
	westDB, _ = localapi.Get(ctx, c, localapi.Databases, westShop)
	if err != nil || eastDB.Role != "primary" || westDB.Role != "replica" || !slices.Contains(eastDB.Streaming, "west") {
		t.Fatalf("after recreate --failback: east %+v (%v), west %+v", eastDB, err, westDB)
	}
	if n := countWrites(t, ctx, eastDB); n != rowsBefore {
		t.Errorf("east holds %d writes after the rebuild, west held %d", n, rowsBefore)
	}
	waitResolve(t, dnsServer, "shop.test", strings.Join(lbs, ","))
	// the rebuilt region is what the code says: preview shows no change
	sum, err = o.Preview(ctx)
	if err != nil {
		t.Fatalf("preview after recreate: %v", err)
	}
	for _, res := range sum.Results {
		for op, n := range res.Changes {
			if op != "same" && n > 0 {
				t.Errorf("%s: preview after recreate shows %v", res.Stack, res.Changes)
			}
		}
	}
	// a rerun converges (every step is safe to repeat): east is the primary
	// and is switched over to west first, then back
	if _, err := localtarget.RecreateRegion(ctx, topo, c, target.RecreateRequest{Region: "east", Failback: true, Engine: r, Layers: o.Layers}); err != nil {
		t.Fatalf("recreate east again: %v", err)
	}
	if eastDB, err = localapi.Get(ctx, c, localapi.Databases, eastShop); err != nil || eastDB.Role != "primary" || countWrites(t, ctx, eastDB) != rowsBefore {
		t.Fatalf("after a second recreate: %+v %v", eastDB, err)
	}

	// a primary-loss drill, last (it leaves the environment failed over):
	// the replica in west is promoted and nothing acknowledged is lost
	rep, err = drill.Run(ctx, drill.Options{Topology: topo, Service: topo.Services[0], Region: "east",
		Scenario: &localtarget.DatabasePrimaryLoss{Plane: c, Topology: topo, Service: topo.Services[0]}, DNSServer: dnsServer,
		Baseline: time.Second, Deadline: 20 * time.Second})
	if err != nil || !rep.Passed() || *rep.Measured.WritesLost != 0 {
		t.Fatalf("db-primary-loss drill: %v, measured %+v, checks %+v", err, rep.Measured, rep.Checks)
	}
	if db, err := localapi.Get(ctx, c, localapi.Databases, westShop); err != nil || db.Role != "primary" {
		t.Errorf("west after the primary-loss drill: %+v %v", db, err)
	}

	// destroy stops every process by PID
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			pids = append(pids, in.PID)
		}
	}
	for _, b := range st.Balancers {
		pids = append(pids, b.PID)
	}
	for _, d := range st.DNSServers {
		pids = append(pids, d.PID)
	}
	for _, d := range st.Databases {
		pids = append(pids, d.PID)
	}
	if len(pids) != 9 {
		t.Fatalf("want 4 instances, 2 balancers, a DNS server and 2 databases, have pids %v", pids)
	}
	dsum, err := o.Destroy(ctx)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if last := dsum.Results[len(dsum.Results)-1]; last.Stack != "layer bootstrap" || last.Status != orchestrate.StatusOK {
		t.Errorf("the layer is destroyed last: %+v", last)
	}
	if outs, err := o.Layers.Outputs(ctx, topo.Layers[0]); err != nil || len(outs) != 0 {
		t.Errorf("the layer's outputs after destroy: %v %v", outs, err)
	}
	for _, pid := range pids {
		if running(pid) {
			t.Errorf("process %d still runs after destroy", pid)
		}
	}
	st, _ = c.Status(ctx)
	if len(st.Groups)+len(st.Balancers)+len(st.Regions)+len(st.DNSServers)+len(st.DNSRecords)+len(st.Databases)+len(st.Backups) != 0 {
		t.Errorf("control plane still holds %+v", st)
	}
}

// countWrites counts the sample service's rows on one database member,
// as the superuser over its socket.
func countWrites(t *testing.T, ctx context.Context, db localapi.Database) int {
	t.Helper()
	conn, err := pgx.Connect(ctx, db.OperatorConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM writes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustGet(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(b, &m) != nil {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return m
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// instanceEnv is the names of the environment variables a process started with.
func instanceEnv(t *testing.T, pid int) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names[name] = true
		}
	}
	return names
}

// instanceVar is the value of an environment variable a process started
// with ("" when it has none).
func instanceVar(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// waitResolve asks the environment's DNS server until name resolves to want
// (sorted, comma-separated), for at most 20 s.
func waitResolve(t *testing.T, server, name, want string) {
	t.Helper()
	r := drill.Resolver(server)
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		got, err = r.LookupHost(ctx, name)
		cancel()
		sort.Strings(got)
		if err == nil && strings.Join(got, ",") == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s resolves to %v (%v) at %s, want %s", name, got, err, server, want)
}
