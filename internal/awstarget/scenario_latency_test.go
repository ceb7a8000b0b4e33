package awstarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The degradations on aws against awsfake.Cloud, with awsfake.FISTemplates
// answering GetExperimentTemplate: testdata/aws.hcl's shop calls a second
// service, cart, reached at http://cart.example.com (port 80: modules/aws
// DependencyURL).

type degradeWorld struct {
	t      *testing.T
	cloud  *awsfake.Cloud
	fis    *awsfake.FISTemplates
	clk    *clock.Scaled
	topo   *topology.Topology
	tgt    *Target
	mu     sync.Mutex
	events []string // the templates' hooks, as they ran
}

func newDegradeWorld(t *testing.T) *degradeWorld {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../topology/testdata/images")}
	topo, err := l.LoadFile("testdata/aws.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cart := topo.Services[0]
	cart.Name, cart.Database, cart.Backup, cart.Dependencies = "cart", nil, nil, nil
	cart.DNS.Zone = "cart.example.com"
	shop := &topo.Services[0]
	shop.Dependencies = []topology.Dependency{{On: "cart", Need: topology.NeedSoft, Timeout: 300 * time.Millisecond, Tries: 2, Backoff: 50 * time.Millisecond, OnFailure: topology.ServeCached}}
	topo.Services = append(topo.Services, cart)
	w := &degradeWorld{t: t, cloud: awsfake.NewCloud(), clk: clock.NewScaled(drillScale), topo: topo}
	w.cloud.Clock = w.clk
	w.fis = awsfake.NewFISTemplates(w.cloud)
	t.Cleanup(w.cloud.Close)
	t.Cleanup(w.fis.Close)
	awsfake.UseFakeCredentials(t)
	w.tgt = New(target.Options{Topology: topo, Endpoint: w.fis.URL()})
	return w
}

func (w *degradeWorld) service(name string) topology.Service {
	for _, s := range w.topo.Services {
		if s.Name == name {
			return s
		}
	}
	w.t.Fatalf("no service %s", name)
	return topology.Service{}
}

// document is an aws:ssm:send-command template of a region running an
// AWS-managed document with params on every instance of shop, tagged for
// a scenario; change alters it before it is added.
func (w *degradeWorld) document(scenario drill.ScenarioName, region, document string, params map[string]string, change func(*awsfake.TemplateBody)) string {
	raw, err := json.Marshal(params)
	if err != nil {
		w.t.Fatal(err)
	}
	id := fmt.Sprintf("EXT%s%s", strings.ReplaceAll(string(scenario), "-", ""), strings.ReplaceAll(region, "-", ""))
	body := awsfake.TemplateBody{
		RoleArn: "arn:aws:iam::" + awsfake.Account + ":role/fis-ssm",
		Actions: map[string]awsfake.TemplateAction{"degrade": {ActionID: SendCommandAction, Targets: map[string]string{"Instances": "callers"}, Parameters: map[string]string{
			"documentArn": "arn:aws:ssm:" + region + "::document/" + document, "documentParameters": string(raw), "duration": "PT5M"}}},
		Targets: map[string]awsfake.TemplateTarget{"callers": {ResourceType: "aws:ec2:instance", SelectionMode: "ALL",
			ResourceTags: map[string]string{contract.TagEnvironment: w.topo.Environment.Name, contract.TagService: "shop"}}},
	}
	if change != nil {
		change(&body)
	}
	w.fis.Add(awsfake.ExperimentTemplate{ID: id, Region: region, Duration: 5 * time.Minute,
		Tags:    map[string]string{contract.TagEnvironment: w.topo.Environment.Name, contract.TagRegion: region, contract.TagService: "shop", contract.TagScenario: string(scenario)},
		OnStart: func() { w.event("start " + id) }, OnStop: func() { w.event("stop " + id) }}, body)
	return id
}

func (w *degradeWorld) event(e string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, e)
}

func (w *degradeWorld) eventsSoFar() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events)
}

// latencyParams are the document's parameters for shop's default latency
// fault on cart: 2 × 300ms, a tenth of it, held 10 s.
func latencyParams() map[string]string {
	return map[string]string{"DelayMilliseconds": "600", "JitterMilliseconds": "60", "Sources": "cart.example.com", "DurationSeconds": "300", "InstallDependencies": "True"}
}

func (w *degradeWorld) drill(scenario drill.ScenarioName, fault drill.Fault, template string) (drill.Options, error) {
	svc := w.service("shop")
	resolved, err := drill.ResolveFault(w.topo, svc, scenario, fault)
	if err != nil {
		return drill.Options{}, err
	}
	return w.tgt.Drill(context.Background(), target.DrillRequest{Scenario: scenario, Service: svc, Region: "us-east-1", Experiment: template, Wait: 30 * time.Minute, Fault: resolved})
}

// started says which experiments the fake was asked to start.
func (w *degradeWorld) started() int {
	n := 0
	for _, c := range w.cloud.Calls() {
		if strings.HasPrefix(c, "fis StartExperiment") {
			n++
		}
	}
	return n
}

func fisDegradation(t *testing.T, o drill.Options, w *degradeWorld) *FISDegradation {
	t.Helper()
	s, ok := o.Scenario.(*FISDegradation)
	if !ok {
		t.Fatalf("scenario %T, want *FISDegradation", o.Scenario)
	}
	s.UseClock(w.clk)
	s.Ops.Poll = 10 * time.Millisecond // 3 s of the clock
	return s
}

func TestAWSOffersTheDegradationsByTheirNames(t *testing.T) {
	got := (&Target{}).Scenarios()
	if want := drill.AllScenarioNames(); !slices.Equal(got, want) {
		t.Fatalf("aws scenarios %v, want %v (every name, in the CLI's order)", got, want)
	}
}

func TestAWSLatencyRunsTheCheckedTemplateOfEachRegion(t *testing.T) {
	w := newDegradeWorld(t)
	east := w.document(drill.Latency, "us-east-1", LatencyDocument, latencyParams(), nil)
	west := w.document(drill.Latency, "us-west-2", LatencyDocument, latencyParams(), nil)
	o, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart"}, "")
	if err != nil {
		t.Fatal(err)
	}
	s := fisDegradation(t, o, w)
	g := s.Degradation()
	if g.Fault.Latency != 600*time.Millisecond || g.Fault.Jitter != 60*time.Millisecond || g.Fault.Ramp != 0 || !strings.Contains(g.Fault.How, "no ramp on aws") {
		t.Errorf("fault %+v: want 600ms ± 60ms, no ramp, and why", g.Fault)
	}
	if len(g.Asks) != 1 || g.Asks[0].String() != "GET /" {
		t.Errorf("asks %v, want GET / of the caller", g.Asks)
	}
	ctx := context.Background()
	msg, err := s.Inject(ctx)
	if err != nil {
		t.Fatalf("inject: %v (%s)", err, msg)
	}
	for _, id := range []string{east, west} {
		if e := w.cloud.Experiments(id); len(e) != 1 || e[0].Status != awsfake.ExperimentRunning {
			t.Errorf("template %s: experiments %+v, want one running", id, e)
		}
		if !strings.Contains(msg, id) {
			t.Errorf("inject said %q, not naming %s", msg, id)
		}
	}
	note, err := s.Restore(ctx)
	if err != nil {
		t.Fatalf("restore: %v (%s)", err, note)
	}
	for _, id := range []string{east, west} {
		if e := w.cloud.Experiments(id); len(e) != 1 || e[0].Status != awsfake.ExperimentStopped {
			t.Errorf("template %s after the restore: %+v, want stopped", id, e)
		}
	}
	got := w.eventsSoFar()
	slices.Sort(got)
	want := []string{"start " + east, "start " + west, "stop " + east, "stop " + west}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("hooks %v, want %v", got, want)
	}
}

func TestAWSLatencyRefusesATemplateThatDoesOtherwise(t *testing.T) {
	w := newDegradeWorld(t)
	p := latencyParams()
	p["DelayMilliseconds"], p["Sources"], p["DurationSeconds"] = "100", "cart.example.com,db.example.com", "5"
	w.document(drill.Latency, "us-east-1", LatencyDocument, p, func(b *awsfake.TemplateBody) {
		tg := b.Targets["callers"]
		tg.SelectionMode = "COUNT(1)"
		b.Targets["callers"] = tg
	})
	w.document(drill.Latency, "us-west-2", BlackholeDocument, latencyParams(), nil)
	_, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart"}, "")
	if !errors.Is(err, target.ErrBadRequest) {
		t.Fatalf("err %v, want a bad request", err)
	}
	for _, want := range []string{"DelayMilliseconds is \"100\", not 600", "slows more than cart.example.com", "shorter than the hold 10s", "COUNT(1)", "not AWSFIS-Run-Network-Latency-Sources"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if n := w.started(); n != 0 {
		t.Errorf("%d experiments started by a refused drill", n)
	}
}

func TestAWSLatencyWithoutTemplatesSaysWhatToTag(t *testing.T) {
	w := newDegradeWorld(t)
	w.document(drill.Latency, "us-east-1", LatencyDocument, latencyParams(), nil)
	_, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart"}, "")
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "us-west-2: no FIS experiment template tagged") ||
		!strings.Contains(err.Error(), contract.TagScenario+"=latency") || strings.Contains(err.Error(), "us-east-1: no") {
		t.Fatalf("err %v: want the region without a template named, and its tags", err)
	}
	// the fault's regions only: us-east-1 alone has its template
	if _, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart", Regions: []string{"us-east-1"}}, ""); err != nil {
		t.Fatalf("us-east-1 only: %v", err)
	}
}

func TestAWSLatencyRefusesAGivenTemplateBeforeInjecting(t *testing.T) {
	w := newDegradeWorld(t)
	id := w.document(drill.Latency, "us-east-1", LatencyDocument, latencyParams(), nil)
	_, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart", Regions: []string{"us-east-1"}}, id)
	if !errors.Is(err, target.ErrBadRequest) || !strings.Contains(err.Error(), "takes no --fis-template") {
		t.Fatalf("%v, want the given template refused", err)
	}
	if n := w.started(); n != 0 {
		t.Errorf("%d experiments started", n)
	}
}

func TestAWSDegradationFailsWhenTheExperimentEndedBeforeTheRestore(t *testing.T) {
	w := newDegradeWorld(t)
	w.document(drill.Latency, "us-east-1", LatencyDocument, latencyParams(), nil)
	o, err := w.drill(drill.Latency, drill.Fault{Dependency: "cart", Regions: []string{"us-east-1"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	s := fisDegradation(t, o, w)
	ctx := context.Background()
	if _, err := s.Inject(ctx); err != nil {
		t.Fatal(err)
	}
	// the template runs 5 minutes on the fake (its action's duration);
	// the drill holds longer than that here
	if err := w.clk.Sleep(ctx, 6*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx); err == nil || !strings.Contains(err.Error(), "completed before the restore") {
		t.Fatalf("restore: %v, want the experiment that ended first reported", err)
	}
}
