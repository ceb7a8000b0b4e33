package awstarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// The degradation scenarios on AWS (dependency-loss, latency,
// origin-loss) inject through AWS FIS, as far as FIS can do what the
// local target does with Toxiproxy and its control plane:
//
//   - a link slowed or cut is the caller's instances' network, by the
//     aws:ssm:send-command action running an AWS-managed FIS document
//     (AWSFIS-Run-Network-Latency-Sources, AWSFIS-Run-Network-Blackhole-Port)
//     on the caller's EC2 instances
//     (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#ssm-actions,
//     https://docs.aws.amazon.com/fis/latest/userguide/actions-ssm-agent.html#fis-ssm-docs);
//   - one experiment template per region of the fault: an experiment
//     runs in one region, and the fault reaches each region's callers.
//
// The stacks declare no such template (modules/aws declares zone-loss's
// only) and a template fixes its delay, jitter and duration, which a
// drill takes from its command line: so the drill takes the templates
// the operator made, found by their tags (contract.TagEnvironment,
// TagRegion, TagService and TagScenario = the scenario's name, as the
// stacks tag zone-loss's), reads each (GetExperimentTemplate) and refuses,
// before anything is injected, one that does not do what the drill
// reports: another action, another document, another dependency,
// another delay, a duration shorter than the hold, or only some of the
// caller's instances. What FIS cannot do at all is refused with why.

// degradationTemplateTags are the tags of a degradation's template in a region.
func degradationTemplateTags(b *build, region string) map[string]string {
	return map[string]string{contract.TagEnvironment: b.topo.Environment.Name, contract.TagRegion: region,
		contract.TagService: b.req.Service.Name, contract.TagScenario: string(b.req.Scenario)}
}

func init() {
	register(drill.DependencyLoss, scenario{disruption: drill.DisruptionDependency, build: func(ctx context.Context, b *build) (drill.Scenario, error) {
		f, err := resolveFault(b)
		if err != nil {
			return nil, err
		}
		if f.Dependency == drill.DatabaseDependency {
			return nil, target.Errorf(target.ErrBadRequest, "dependency-loss of %s's database is not offered on aws: "+
				"Aurora has no way to take a writer away without promoting another (db-primary-loss's failover is a recovery, not a loss), "+
				"a FIS experiment runs in one region while the database's loss is every region's at once, "+
				"and the drill would have to drain the SQS write queues, which the aws target does not read yet", b.req.Service.Name)
		}
		if err := needsInstances(b); err != nil {
			return nil, err
		}
		port, err := calleePort(b, f.Dependency)
		if err != nil {
			return nil, err
		}
		want := ssmDocument{Document: BlackholeDocument, Check: func(p map[string]string, hold time.Duration) []string {
			var out []string
			if !strings.EqualFold(p["Protocol"], "tcp") {
				out = append(out, fmt.Sprintf("Protocol is %q, not tcp (the link to %s is HTTP)", p["Protocol"], f.Dependency))
			}
			if p["Port"] != strconv.Itoa(port) {
				out = append(out, fmt.Sprintf("Port is %q, not %d (where %s's instances reach %s: %s)", p["Port"], port, b.req.Service.Name, f.Dependency, awsmodule.DependencyURL(b.topo, dependencyOf(b, f.Dependency))))
			}
			if !strings.EqualFold(p["TrafficType"], "egress") {
				// the document's default is ingress: the caller's own clients
				out = append(out, fmt.Sprintf("TrafficType is %q, not egress (ingress cuts the caller's own clients)", p["TrafficType"]))
			}
			return append(out, durationAtLeast(p, hold)...)
		}}
		templates, err := degradationTemplates(ctx, b, f, want)
		if err != nil {
			return nil, err
		}
		note := fmt.Sprintf("every egress of %s's instances to TCP port %d cut, not only to %s (the document cuts by port)", b.req.Service.Name, port, f.Dependency)
		return &FISDegradation{Ops: b.ops, Scenario: drill.DependencyLoss, Fault: f, Asks: []drill.Ask{drill.PageAsk("/")}, Templates: templates, Note: note, Wait: b.req.Wait,
			Recovery: "nothing to do: the caller answers without it"}, nil
	}, noGivenTemplate: true})
}

// The AWS-managed FIS documents the degradations run
// (https://docs.aws.amazon.com/fis/latest/userguide/actions-ssm-agent.html#fis-ssm-docs).
const (
	LatencyDocument   = "AWSFIS-Run-Network-Latency-Sources"
	BlackholeDocument = "AWSFIS-Run-Network-Blackhole-Port"
	// SendCommandAction runs an SSM document on the target instances.
	SendCommandAction = "aws:ssm:send-command"
)

// resolveFault is the request's degradation, resolved for the service
// (drill.ResolveFault); what does not fit is a bad request.
func resolveFault(b *build) (drill.Fault, error) {
	f, err := drill.ResolveFault(b.topo, b.req.Service, b.req.Scenario, b.req.Fault)
	if err != nil {
		return f, target.Errorf(target.ErrBadRequest, "%w", err)
	}
	return f, nil
}

// needsInstances refuses a container service: the aws:ecs:task-network-*
// actions need tasks whose definition enables fault injection
// (enableFaultInjection) or runs the SSM agent as a sidecar
// (https://docs.aws.amazon.com/fis/latest/userguide/ecs-task-actions.html),
// and the task definitions the stacks declare do neither.
func needsInstances(b *build) error {
	if b.req.Service.Runtime == topology.RuntimeContainer {
		return target.Errorf(target.ErrBadRequest, "%s of the container service %s is not offered on aws: the aws:ecs:task-network-* actions need tasks that enable fault injection (enableFaultInjection) or run the SSM agent as a sidecar, and the task definitions bulwark declares do neither",
			b.req.Scenario, b.req.Service.Name)
	}
	return nil
}

func dependencyOf(b *build, name string) topology.Dependency {
	for _, d := range b.req.Service.Dependencies {
		if d.On == name {
			return d
		}
	}
	return topology.Dependency{On: name}
}

// portOf is the TCP port of a dependency's URL (0 for an external one,
// whose URL the environment does not know).
func portOf(url string) int {
	switch {
	case strings.HasPrefix(url, "https://"):
		return 443
	case strings.HasPrefix(url, "http://"):
		return 80
	}
	return 0
}

// calleePort is the port the caller's instances reach a dependency on
// (its load balancer's, through its DNS name: modules/aws), refusing a
// caller that reaches another declared dependency on the same port: the
// blackhole document cuts a port, whatever the destination, so that one
// would be cut too, which the drill would not report.
func calleePort(b *build, dep string) (int, error) {
	port := portOf(awsmodule.DependencyURL(b.topo, dependencyOf(b, dep)))
	if port == 0 {
		return 0, target.Errorf(target.ErrBadRequest, "%s has no address of the environment's to cut", dep)
	}
	for _, d := range b.req.Service.Dependencies {
		if d.On != dep && !d.External && portOf(awsmodule.DependencyURL(b.topo, d)) == port {
			return 0, target.Errorf(target.ErrBadRequest, "dependency-loss of %s on aws would cut %s too: FIS's %s cuts every egress to TCP port %d, and %s reaches both %s and %s on it",
				dep, d.On, BlackholeDocument, port, b.req.Service.Name, dep, d.On)
		}
	}
	return port, nil
}

// ssmDocument is what a degradation's template is to run: an
// AWS-managed document, whose parameters Check judges against the hold.
type ssmDocument struct {
	Document string
	Check    func(params map[string]string, hold time.Duration) []string
}

// templateReader is FIS's GetExperimentTemplate, which the runbook's FIS
// interface leaves out; the SDK's client has it.
type templateReader interface {
	GetExperimentTemplate(context.Context, *fis.GetExperimentTemplateInput, ...func(*fis.Options)) (*fis.GetExperimentTemplateOutput, error)
}

// degradationTemplates finds the fault's template in each of its regions
// and checks each against want.
func degradationTemplates(ctx context.Context, b *build, f drill.Fault, want ssmDocument) ([]RegionTemplate, error) {
	var out []RegionTemplate
	var problems []string
	for _, region := range f.Regions {
		tags := degradationTemplateTags(b, region)
		id, err := b.ops.FindTemplate(ctx, region, tags)
		if errors.Is(err, awsrunbook.ErrNoTemplate) {
			problems = append(problems, fmt.Sprintf("%s: no FIS experiment template tagged %s", region, describeTags(tags)))
			continue
		}
		if err != nil {
			return nil, err
		}
		reader, ok := b.ops.FIS(region).(templateReader)
		if !ok {
			return nil, fmt.Errorf("%w: the FIS client cannot read template %s", target.ErrUnsupported, id)
		}
		got, err := reader.GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("read FIS experiment template %s in %s: %w", id, region, err)
		}
		what, bad := checkTemplate(got.ExperimentTemplate, b, want, f.Hold)
		for _, p := range bad {
			problems = append(problems, fmt.Sprintf("%s: template %s: %s", region, id, p))
		}
		out = append(out, RegionTemplate{Region: region, ID: id, What: what})
	}
	if len(problems) > 0 {
		return nil, target.Errorf(target.ErrBadRequest, "%s of %s on aws runs, in each region of the fault, the FIS experiment template tagged for it, which must run %s %s on every instance of %s (%s):\n  %s",
			b.req.Scenario, b.req.Service.Name, SendCommandAction, want.Document, b.req.Service.Name, expected(b, f, want), strings.Join(problems, "\n  "))
	}
	return out, nil
}

// expected says what the template is to hold, for the refusal.
func expected(b *build, f drill.Fault, want ssmDocument) string {
	secs := int(math.Ceil(f.Hold.Seconds()))
	switch want.Document {
	case LatencyDocument:
		return fmt.Sprintf("DelayMilliseconds %d, JitterMilliseconds %d, Sources %s, DurationSeconds at least %d",
			f.Latency.Milliseconds(), f.Jitter.Milliseconds(), calleeName(b, f.Dependency), secs)
	case BlackholeDocument:
		port, _ := calleePort(b, f.Dependency)
		return fmt.Sprintf("Protocol tcp, Port %d, TrafficType egress, DurationSeconds at least %d", port, secs)
	}
	return ""
}

func describeTags(tags map[string]string) string {
	var parts []string
	for _, k := range []string{contract.TagEnvironment, contract.TagRegion, contract.TagService, contract.TagScenario} {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

// checkTemplate judges a template: one action, the document asked for,
// its parameters, its duration, and every instance of the caller as its
// target. It returns what the template does, in a few words, and what is
// wrong with it.
func checkTemplate(t *fistypes.ExperimentTemplate, b *build, want ssmDocument, hold time.Duration) (string, []string) {
	if t == nil {
		return "", []string{"FIS answered no template"}
	}
	if len(t.Actions) != 1 {
		return "", []string{fmt.Sprintf("has %d actions; the drill reports one", len(t.Actions))}
	}
	var out []string
	for name, a := range t.Actions {
		if id := aws.ToString(a.ActionId); id != SendCommandAction {
			return "", []string{fmt.Sprintf("action %s is %s, not %s", name, id, SendCommandAction)}
		}
		doc := a.Parameters["documentArn"]
		if !strings.HasSuffix(doc, ":document/"+want.Document) {
			return "", []string{fmt.Sprintf("action %s runs %q, not %s", name, doc, want.Document)}
		}
		params, err := documentParameters(a.Parameters["documentParameters"])
		if err != nil {
			return "", []string{fmt.Sprintf("action %s: documentParameters: %v", name, err)}
		}
		out = append(out, want.Check(params, hold)...)
		if d, ok := a.Parameters["duration"]; ok {
			if dur, err := isoDuration(d); err != nil || dur < hold {
				out = append(out, fmt.Sprintf("action %s's duration %q is shorter than the hold %s", name, d, hold))
			}
		}
		out = append(out, checkInstances(t, a, b)...)
	}
	return fmt.Sprintf("%s on every instance of %s", want.Document, b.req.Service.Name), out
}

// checkInstances checks that an action's Instances target is every EC2
// instance of the caller: picked by its tags (the stacks' environment and
// service tags), all of them.
func checkInstances(t *fistypes.ExperimentTemplate, a fistypes.ExperimentTemplateAction, b *build) []string {
	name, ok := a.Targets["Instances"]
	if !ok {
		return []string{"its action acts on no Instances target"}
	}
	tg, ok := t.Targets[name]
	if !ok {
		return []string{fmt.Sprintf("its action's target %s is not in the template", name)}
	}
	var out []string
	if rt := aws.ToString(tg.ResourceType); rt != "aws:ec2:instance" {
		out = append(out, fmt.Sprintf("target %s is of %s, not aws:ec2:instance", name, rt))
	}
	if mode := aws.ToString(tg.SelectionMode); mode != "ALL" {
		out = append(out, fmt.Sprintf("target %s selects %s of the instances, not ALL (the drill reports every caller's link)", name, mode))
	}
	env, svc := b.topo.Environment.Name, b.req.Service.Name
	if len(tg.ResourceArns) > 0 || tg.ResourceTags[contract.TagEnvironment] != env || tg.ResourceTags[contract.TagService] != svc {
		out = append(out, fmt.Sprintf("target %s does not pick %s's instances by their tags %s=%s, %s=%s", name, svc, contract.TagEnvironment, env, contract.TagService, svc))
	}
	return out
}

// documentParameters reads aws:ssm:send-command's documentParameters: a
// JSON object whose values are strings or lists of strings (the actions
// reference); a list reads as its items joined by commas.
func documentParameters(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		case []any:
			var items []string
			for _, i := range x {
				items = append(items, fmt.Sprint(i))
			}
			out[k] = strings.Join(items, ",")
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, nil
}

// durationAtLeast checks a document's DurationSeconds against the hold:
// the experiment must still disrupt when the drill's hold ends.
func durationAtLeast(p map[string]string, hold time.Duration) []string {
	secs, err := strconv.Atoi(p["DurationSeconds"])
	if err != nil || time.Duration(secs)*time.Second < hold {
		return []string{fmt.Sprintf("DurationSeconds is %q, shorter than the hold %s (the fault would end before the drill restores it)", p["DurationSeconds"], hold)}
	}
	return nil
}

var isoPattern = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// isoDuration reads FIS's ISO 8601 durations (PT1H, PT10M, PT30S).
func isoDuration(s string) (time.Duration, error) {
	m := isoPattern.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration of hours, minutes and seconds: %q", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, nil
}

// RegionTemplate is a region's experiment template and what it does.
type RegionTemplate struct {
	Region, ID, What string
}

// FISDegradation holds a degradation with one FIS experiment per region
// of its fault, each from a template checked to do what the fault says:
// the injection starts them all (and returns once each runs), the restore
// stops them, after checking that each still ran (an experiment that
// ended first, or that a stop condition stopped, did not hold the fault
// the drill measured).
type FISDegradation struct {
	Ops       *awsrunbook.Clients
	Scenario  drill.ScenarioName
	Fault     drill.Fault
	Asks      []drill.Ask
	Templates []RegionTemplate
	// Note says what else the experiments do, for the injection's line.
	Note     string
	Recovery string
	Wait     time.Duration
	Clock    clock.Clock
	started  []awsrunbook.Experiment
}

var (
	_ drill.Degrader = (*FISDegradation)(nil)
	_ drill.Clocked  = (*FISDegradation)(nil)
)

func (s *FISDegradation) Name() drill.ScenarioName        { return s.Scenario }
func (s *FISDegradation) Disruption() topology.Disruption { return drill.DisruptionDependency } // origin-loss never builds one on aws
func (s *FISDegradation) Degradation() drill.Degradation {
	return drill.Degradation{Fault: s.Fault, Asks: s.Asks}
}

// UseClock sets the scenario's clock, and its runbook clients', unless they have one.
func (s *FISDegradation) UseClock(c clock.Clock) { s.Clock = shareClock(s.Clock, c, s.Ops) }

func (s *FISDegradation) Inject(ctx context.Context) (string, error) {
	var done []string
	for _, t := range s.Templates {
		var e awsrunbook.Experiment
		err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
			token := fmt.Sprintf("bulwark-%s-%s-%d", s.Scenario, t.Region, time.Now().UnixNano())
			e, err = s.Ops.StartExperiment(ctx, t.Region, t.ID, token[:min(len(token), 64)], waitOr(s.Wait))
			return err
		})
		if e.ID != "" {
			s.started = append(s.started, e) // the restore stops it, whatever happened
		}
		if err != nil {
			return strings.Join(done, "; "), err
		}
		done = append(done, fmt.Sprintf("FIS experiment %s from template %s %s in %s (%s)", e.ID, t.ID, e.Status, t.Region, t.What))
	}
	if s.Note != "" {
		done = append(done, s.Note)
	}
	return strings.Join(done, "; "), nil
}

func (s *FISDegradation) Recover(context.Context) (string, error) { return s.Recovery, nil }

// Restore stops every experiment the injection started, and fails when
// one had ended before it (completed, stopped by a stop condition, failed).
func (s *FISDegradation) Restore(ctx context.Context) (string, error) {
	var notes []string
	var errs []error
	for _, e := range s.started {
		got, err := s.Ops.FIS(e.Region).GetExperiment(ctx, &fis.GetExperimentInput{Id: aws.String(e.ID)})
		if err != nil {
			errs = append(errs, fmt.Errorf("FIS experiment %s: %w", e.ID, err))
		} else if st := got.Experiment.State; st != nil && st.Status != fistypes.ExperimentStatusRunning {
			errs = append(errs, fmt.Errorf("FIS experiment %s in %s was %s before the restore (%s): the fault was not held for the whole hold", e.ID, e.Region, st.Status, aws.ToString(st.Reason)))
		}
		var ended awsrunbook.Experiment
		err = withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
			ended, err = s.Ops.EndExperiment(ctx, e, waitOr(s.Wait))
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		notes = append(notes, fmt.Sprintf("experiment %s in %s %s", ended.ID, ended.Region, ended.Status))
	}
	if len(s.started) == 0 {
		notes = append(notes, "no experiment was started")
	}
	return strings.Join(notes, "; "), errors.Join(errs...)
}

// calleeName is the DNS name the caller reaches a dependency by.
func calleeName(b *build, dep string) string {
	for _, s := range b.topo.Services {
		if s.Name == dep {
			return s.DNS.FQDN()
		}
	}
	return dep
}
