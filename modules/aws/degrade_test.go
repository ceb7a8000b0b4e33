package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// loadFile loads an environment file of the repository.
func loadFile(t *testing.T, path string) *topology.Topology {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root(), "images"))}
	topo, err := l.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func planTopology(t *testing.T, topo *topology.Topology) *plan.Plan {
	t.Helper()
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Graceful degradation's blocks, as the loader will read them from an
// environment file: written here in Go until it does.
var (
	testQueue = topology.WriteQueue{Paths: []string{"/writes"}, MaxAge: 5 * time.Minute, Keep: 4 * 24 * time.Hour, MaxReceives: 5}
	testCache = topology.Cache{Paths: []string{"/catalog", "/static/"}, TTL: 2 * time.Second, StaleFor: time.Hour}
)

// degraded is modules/aws/testdata/runtime.hcl with graceful
// degradation: catalog (instances) queues its writes, caches its catalog
// and calls cart (softly) and an external card network; cart (containers)
// queues its writes; orders has none of it.
func degraded(t *testing.T) *topology.Topology {
	t.Helper()
	topo := loadFile(t, filepath.Join(root(), "modules", "aws", "testdata", "runtime.hcl"))
	topo.Externals = append(topo.Externals, topology.External{Name: "cards", Availability: 0.9995})
	for i := range topo.Services {
		s := &topo.Services[i]
		switch s.Name {
		case "catalog":
			q, c := testQueue, testCache
			s.WriteQueue, s.Cache = &q, &c
			s.Dependencies = []topology.Dependency{
				{On: "cart", Need: topology.NeedSoft, Timeout: 300 * time.Millisecond, Tries: 2, Backoff: 50 * time.Millisecond, OnFailure: topology.ServeCached},
				{On: "cards", External: true, Need: topology.NeedHard, Timeout: 2 * time.Second, Tries: 1, OnFailure: topology.QueueWrites},
			}
		case "cart":
			q := testQueue
			q.MaxReceives = 3
			s.WriteQueue = &q
		}
	}
	return topo
}

func serviceOf(topo *topology.Topology, name string) topology.Service {
	for _, s := range topo.Services {
		if s.Name == name {
			return s
		}
	}
	return topology.Service{}
}

// serviceResources are a stack's resources that belong to a service: under
// its topology component (a region) or its endpoint (the global stack).
func serviceResources(s plan.StackGraph, service string) []plan.Resource {
	byURN := map[string]plan.Resource{}
	for _, r := range s.Resources {
		byURN[r.URN] = r
	}
	var out []plan.Resource
	for _, r := range s.Resources {
		for p := r; ; p = byURN[p.Parent] {
			if (p.Type == "bulwark:topology:Service" || p.Type == "bulwark:aws:Endpoint") && p.Name == service {
				out = append(out, r)
				break
			}
			if p.Parent == "" {
				break
			}
		}
	}
	return out
}

func named(rs []plan.Resource, typ, name string) (plan.Resource, bool) {
	for _, r := range rs {
		if r.Type == typ && r.Inputs["name"] == name {
			return r, true
		}
	}
	return plan.Resource{}, false
}

// Per region, a service with a write queue has an SQS queue with its
// retention, a dead-letter queue after max_receives that takes only its
// writes, alarms on both to the region's topic, and a role that may use
// the queue and nothing else.
func TestWriteQueuePerRegion(t *testing.T) {
	topo := degraded(t)
	p := planTopology(t, topo)
	for _, r := range topo.Regions {
		s := stack(t, p, "rt."+r.Name)
		topic := ""
		for _, tp := range ofType(s, "aws:sns/topic:Topic") {
			topic = tp.ID
		}
		for _, svc := range []string{"catalog", "cart"} {
			wq := serviceOf(topo, svc).WriteQueue
			rs := serviceResources(s, svc)
			name, deadName := "bulwark-rt-"+svc+"-writes", "bulwark-rt-"+svc+"-writes-dead"
			if got := awsmodule.QueueName(topo, svc); got != name || got != contract.QueueStreamName("rt", svc) {
				t.Errorf("QueueName %q, want %q", got, name)
			}
			q, ok := named(rs, "aws:sqs/queue:Queue", name)
			dead, dok := named(rs, "aws:sqs/queue:Queue", deadName)
			if !ok || !dok {
				t.Fatalf("%s/%s: queues %v", r.Name, svc, ofType(s, "aws:sqs/queue:Queue"))
			}
			if q.Inputs["messageRetentionSeconds"] != wq.Keep.Seconds() || q.Inputs["visibilityTimeoutSeconds"] != float64(awsmodule.QueueVisibilityTimeout) ||
				q.Inputs["sqsManagedSseEnabled"] != true || regionOf(s.Stack, q) != r.Name {
				t.Errorf("%s/%s: queue %v", r.Name, svc, q.Inputs)
			}
			var redrive struct {
				DeadLetterTargetArn string
				MaxReceiveCount     int
			}
			if err := json.Unmarshal([]byte(fmt.Sprint(q.Inputs["redrivePolicy"])), &redrive); err != nil {
				t.Fatalf("%s/%s: redrive policy %v: %v", r.Name, svc, q.Inputs["redrivePolicy"], err)
			}
			if redrive.DeadLetterTargetArn != dead.Outputs["arn"] || redrive.MaxReceiveCount != wq.MaxReceives || !strings.HasPrefix(redrive.DeadLetterTargetArn, "arn:aws:sqs:"+r.Name+":") {
				t.Errorf("%s/%s: redrive policy %+v, want the dead-letter queue %v after %d receives", r.Name, svc, redrive, dead.Outputs["arn"], wq.MaxReceives)
			}
			arn := fmt.Sprintf("arn:aws:sqs:%s:123456789012:%s", r.Name, name)
			var allow struct {
				RedrivePermission string
				SourceQueueArns   []string
			}
			if err := json.Unmarshal([]byte(fmt.Sprint(dead.Inputs["redriveAllowPolicy"])), &allow); err != nil || allow.RedrivePermission != "byQueue" || !slices.Equal(allow.SourceQueueArns, []string{arn}) {
				t.Errorf("%s/%s: dead-letter queue's redrive-allow policy %v (%v), want only %s", r.Name, svc, dead.Inputs["redriveAllowPolicy"], err, arn)
			}
			if dead.Inputs["messageRetentionSeconds"] != float64(14*24*3600) || dead.Inputs["sqsManagedSseEnabled"] != true {
				t.Errorf("%s/%s: dead-letter queue %v", r.Name, svc, dead.Inputs)
			}
			// alarms: the oldest write's age against max_age, and any dead letter
			alarms := map[string]plan.Resource{}
			for _, a := range ofType(s, "aws:cloudwatch/metricAlarm:MetricAlarm") {
				if a.Inputs["namespace"] == "AWS/SQS" {
					alarms[fmt.Sprint(get(a.Inputs, "dimensions", "QueueName"))+" "+fmt.Sprint(a.Inputs["metricName"])] = a
				}
			}
			age, aok := alarms[name+" ApproximateAgeOfOldestMessage"]
			dl, dlok := alarms[deadName+" ApproximateNumberOfMessagesVisible"]
			if !aok || !dlok {
				t.Fatalf("%s/%s: SQS alarms %v", r.Name, svc, alarms)
			}
			if age.Inputs["threshold"] != wq.MaxAge.Seconds() || age.Inputs["comparisonOperator"] != "GreaterThanThreshold" || get(age.Inputs, "alarmActions", "0") != topic {
				t.Errorf("%s/%s: age alarm %v", r.Name, svc, age.Inputs)
			}
			if dl.Inputs["threshold"] != 0.0 || dl.Inputs["comparisonOperator"] != "GreaterThanThreshold" || get(dl.Inputs, "alarmActions", "0") != topic {
				t.Errorf("%s/%s: dead-letter alarm %v", r.Name, svc, dl.Inputs)
			}
			outs, _ := get(s.Outputs, contract.OutputServices, svc).(map[string]any)
			listed := fmt.Sprint(outs[contract.OutputAlarms])
			if !strings.Contains(listed, fmt.Sprint(age.Inputs["name"])) || !strings.Contains(listed, fmt.Sprint(dl.Inputs["name"])) {
				t.Errorf("%s/%s: alarms output %v lacks the queue's", r.Name, svc, listed)
			}
			if want := "https://sqs." + r.Name + ".amazonaws.com/123456789012/" + name; outs[contract.OutputQueue] != want {
				t.Errorf("%s/%s: queue output %v, want %s", r.Name, svc, outs[contract.OutputQueue], want)
			}
			// the role the service's code runs as may use this queue, by ARN, and nothing else of SQS
			var policies []string
			for _, rp := range rs {
				if doc := fmt.Sprint(rp.Inputs["policy"]); rp.Type == "aws:iam/rolePolicy:RolePolicy" && strings.Contains(doc, "sqs:") {
					policies = append(policies, doc)
					if !strings.Contains(fmt.Sprint(rp.Inputs["role"]), svc) {
						t.Errorf("%s/%s: an SQS policy on role %v", r.Name, svc, rp.Inputs["role"])
					}
				}
			}
			var mine []string
			for _, doc := range policies {
				var d struct {
					Statement []struct {
						Effect   string
						Action   []string
						Resource any
					}
				}
				if err := json.Unmarshal([]byte(doc), &d); err != nil {
					t.Fatal(err)
				}
				for _, st := range d.Statement {
					if st.Resource == arn {
						mine = append(mine, strings.Join(st.Action, ","))
					} else if !strings.Contains(fmt.Sprint(st.Resource), "-writes") {
						t.Errorf("%s: SQS actions on %v", r.Name, st.Resource)
					}
				}
			}
			if len(mine) != 1 || mine[0] != strings.Join(awsmodule.QueueActions, ",") {
				t.Errorf("%s/%s: statements on the queue %v, want one with %v", r.Name, svc, mine, awsmodule.QueueActions)
			}
		}
		// containers: the task role (what the code may do) holds it, not the execution role
		for _, rp := range ofType(s, "aws:iam/rolePolicy:RolePolicy") {
			if strings.Contains(fmt.Sprint(rp.Inputs["policy"]), "sqs:") && rp.Name != "catalog-write-queue" && rp.Name != "cart-write-queue" {
				t.Errorf("%s: SQS policy %s", r.Name, rp.Name)
			}
		}
		for _, rs := range serviceResources(s, "cart") {
			if rs.Name == "cart-write-queue" && !strings.Contains(fmt.Sprint(rs.Inputs["role"]), "task") {
				t.Errorf("%s: cart's queue policy is on role %v, want the task role", r.Name, rs.Inputs["role"])
			}
		}
		if n := len(ofType(s, "aws:sqs/queue:Queue")); n != 4 {
			t.Errorf("%s: %d queues, want catalog's and cart's, each with its dead-letter queue", r.Name, n)
		}
	}
}

// A service with a cache has, in the global stack, a CloudFront
// distribution: an origin per region's load balancer, an origin group
// failing over from the primary region's to the next on 5xx, a cached,
// read-only behaviour per cached path on the group, and everything else
// uncached to the primary region.
func TestCacheDistribution(t *testing.T) {
	topo := degraded(t)
	p := planTopology(t, topo)
	global := stack(t, p, "rt.global")
	dists := ofType(global, "aws:cloudfront/distribution:Distribution")
	policies := ofType(global, "aws:cloudfront/cachePolicy:CachePolicy")
	if len(dists) != 1 || len(policies) != 1 {
		t.Fatalf("%d distributions, %d cache policies: want catalog's one", len(dists), len(policies))
	}
	if len(serviceResources(global, "catalog")) == 0 || !slices.ContainsFunc(serviceResources(global, "catalog"), func(r plan.Resource) bool { return r.URN == dists[0].URN }) {
		t.Error("the distribution is not catalog's endpoint's")
	}
	d := dists[0].Inputs
	primary, others := topo.PrimaryRegionOf(serviceOf(topo, "catalog"))
	lbs := map[string]any{}
	for _, r := range topo.Regions {
		for _, res := range serviceResources(stack(t, p, "rt."+r.Name), "catalog") {
			if res.Type == "aws:lb/loadBalancer:LoadBalancer" {
				lbs[r.Name] = res.Outputs["dnsName"]
			}
		}
	}
	origins := map[string]any{}
	for _, o := range d["origins"].([]any) {
		o := o.(map[string]any)
		origins[fmt.Sprint(o["originId"])] = o["domainName"]
		if get(o, "customOriginConfig", "originProtocolPolicy") != "http-only" || get(o, "customOriginConfig", "httpPort") != 80.0 {
			t.Errorf("origin %v", o)
		}
	}
	if !reflect.DeepEqual(origins, lbs) || len(origins) != 2 {
		t.Errorf("origins %v, want each region's load balancer %v", origins, lbs)
	}
	group := get(d, "originGroups", "0").(map[string]any)
	if get(group, "members", "0", "originId") != primary || get(group, "members", "1", "originId") != others[0] || len(group["members"].([]any)) != 2 {
		t.Errorf("origin group %v, want %s then %s", group, primary, others[0])
	}
	if codes := fmt.Sprint(get(group, "failoverCriteria", "statusCodes")); codes != "[500 502 503 504]" {
		t.Errorf("failover codes %s", codes)
	}
	behaviours := d["orderedCacheBehaviors"].([]any)
	if len(behaviours) != len(testCache.Paths) {
		t.Fatalf("behaviours %v", behaviours)
	}
	for i, b := range behaviours {
		b := b.(map[string]any)
		if b["pathPattern"] != testCache.Paths[i]+"*" || b["targetOriginId"] != group["originId"] || fmt.Sprint(b["allowedMethods"]) != "[GET HEAD]" ||
			b["cachePolicyId"] != policies[0].ID {
			t.Errorf("behaviour %d: %v", i, b)
		}
	}
	def := d["defaultCacheBehavior"].(map[string]any)
	if def["targetOriginId"] != primary || def["cachePolicyId"] != awsmodule.CachingDisabledPolicy || len(def["allowedMethods"].([]any)) != 7 {
		t.Errorf("default behaviour %v", def)
	}
	cp := policies[0].Inputs
	if cp["defaultTtl"] != 2.0 || cp["minTtl"] != 0.0 || cp["maxTtl"] != 3602.0 {
		t.Errorf("cache policy %v, want default 2, min 0, max 2 + 3600", cp)
	}
	// the distribution's domain is the global stack's cache output
	caches, _ := global.Outputs[contract.OutputCache].(map[string]any)
	if _, ok := caches["catalog"]; !ok || len(caches) != 1 {
		t.Errorf("cache output %v", global.Outputs[contract.OutputCache])
	}
}

// A service with none of these blocks plans exactly as before, and an
// environment without them has no queue, distribution or output of theirs.
func TestWithoutDegradationNothingChanges(t *testing.T) {
	before := planTopology(t, loadFile(t, filepath.Join(root(), "modules", "aws", "testdata", "runtime.hcl")))
	after := planTopology(t, degraded(t))
	for _, s := range before.Stacks {
		a := stack(t, after, s.Stack)
		was, is := serviceResources(s, "orders"), serviceResources(a, "orders")
		if len(was) == 0 || !reflect.DeepEqual(was, is) {
			t.Errorf("%s: orders' resources changed (%d before, %d after)", s.Stack, len(was), len(is))
		}
		for _, typ := range []string{"aws:sqs/queue:Queue", "aws:cloudfront/distribution:Distribution", "aws:cloudfront/cachePolicy:CachePolicy"} {
			if n := len(ofType(s, typ)); n != 0 {
				t.Errorf("%s: %d %s without the blocks", s.Stack, n, typ)
			}
		}
		if _, ok := s.Outputs[contract.OutputCache]; ok {
			t.Errorf("%s: a cache output without a cache", s.Stack)
		}
		services, _ := get(s.Outputs, contract.OutputServices).(map[string]any)
		for svc, v := range services {
			if _, ok := v.(map[string]any)[contract.OutputQueue]; ok {
				t.Errorf("%s/%s: a queue output without a queue", s.Stack, svc)
			}
		}
	}
}

// A dependency's URL is its callee's DNS name as the caller's instances
// reach it; an external's is empty.
func TestDependencyURLs(t *testing.T) {
	topo := degraded(t)
	catalog := serviceOf(topo, "catalog")
	if got := awsmodule.DependencyURL(topo, catalog.Dependencies[0]); got != "http://"+serviceOf(topo, "cart").DNS.FQDN() {
		t.Errorf("cart's URL %q", got)
	}
	if got := awsmodule.DependencyURL(topo, catalog.Dependencies[1]); got != "" {
		t.Errorf("an external's URL %q", got)
	}
	for i := range topo.Services {
		if topo.Services[i].Name == "cart" {
			topo.Services[i].HTTPS = &topology.HTTPS{Certificates: map[string]string{}}
		}
	}
	if got := awsmodule.DependencyURL(topo, catalog.Dependencies[0]); got != "https://"+serviceOf(topo, "cart").DNS.FQDN() {
		t.Errorf("cart's URL with https %q", got)
	}
}

// A caller whose attempts may outlast an ALB's default idle timeout gets
// its callee's load balancer's raised to its timeout; within it, none is set.
func TestCalleeIdleTimeout(t *testing.T) {
	topo := degraded(t)
	lbOf := func(p *plan.Plan) map[string]any {
		for _, r := range serviceResources(stack(t, p, "rt.us-east-1"), "cart") {
			if r.Type == "aws:lb/loadBalancer:LoadBalancer" {
				return r.Inputs
			}
		}
		t.Fatal("no load balancer for cart")
		return nil
	}
	if v, ok := lbOf(planTopology(t, topo))["idleTimeout"]; ok {
		t.Errorf("cart's idle timeout set to %v for a 300ms caller", v)
	}
	topo.Services[0].Dependencies[0].Timeout = 90 * time.Second
	if topo.Services[0].Name != "catalog" {
		t.Fatal("catalog is not the first service")
	}
	if v := lbOf(planTopology(t, topo))["idleTimeout"]; v != 90.0 {
		t.Errorf("cart's idle timeout %v, want 90 for a 90 s caller", v)
	}
}
