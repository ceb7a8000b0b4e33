package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Model is what the policies judge: the environment's services as deployed
// by its resource graph.
type Model struct {
	Topology *topology.Topology
	Target   topology.Target
	// Graph is the resource graph itself, for resource-level policies.
	Graph *plan.Plan
	// Adapted is false when the target has no adapter yet: Services is then
	// empty, and the policies that judge services are not evaluated.
	Adapted  bool
	Services []*Service
	// Timings are the target's figures for the estimates; nil: its
	// defaults (DefaultTimings). The local target's come from its
	// calibration (calibration/local.json) when the project has one.
	Timings *Timings
	// Spend is the plan's monthly cost, from the caller's bill; nil when
	// it was not priced (the budget policy then finds nothing).
	Spend *Spend
}

// Service is one service across its regions.
type Service struct {
	Decl    topology.Service // as declared (names, ranges)
	Regions []*Deployment    // in the service's region order
	DNS     *DNSRecord       // nil when the graph has none
	Backup  *BackupPlan      // nil when the graph has none
}

// Deployment is a service's share of one region.
type Deployment struct {
	Region   string
	Primary  bool // the environment's primary region
	Group    *Group
	Balancer *Balancer
	Image    *Image
	Database *Database
}

// Resource identifies a resource of the graph.
type Resource struct {
	Stack string
	URN   string
}

// Group is an instance group (an autoscaling group).
type Group struct {
	Resource
	Min, Desired, Max, Zones int
}

// Balancer is a load balancer with its health check.
type Balancer struct {
	Resource
	Interval, Timeout time.Duration
	UnhealthyAfter    int
}

// Image is the image a region runs.
type Image struct {
	Resource
	// Digest is what pins the image: a content digest, an AMI ID; "" when
	// nothing does.
	Digest string
	// Build names the build the image comes from; copies of one build in
	// several regions (AMIs) differ in Digest, not in Build. Empty means
	// the Digest is the build.
	Build string
}

// BuildOf is the build an image comes from.
func (i *Image) BuildOf() string {
	if i.Build != "" {
		return i.Build
	}
	return i.Digest
}

// Database is a region's member of the service's database.
type Database struct {
	Resource
	Primary            string // region of the primary
	Replicas           []string
	Replication        topology.Replication
	DeletionProtection bool
}

// DNSRecord is the service's DNS record.
type DNSRecord struct {
	Resource
	TTL           time.Duration
	HealthChecked bool
	// Sets are the target sets in order: one set for active-active, one per
	// region, primary first, for failover.
	Sets [][]string
	// CheckInterval and Threshold are the DNS health checks' (how soon a dead region leaves the answer).
	CheckInterval time.Duration
	Threshold     int
}

// BackupPlan is the service database's backup plan.
type BackupPlan struct {
	Resource
	Source string   // region backed up
	Vaults []string // regions receiving the backups
	Every  time.Duration
	Keep   time.Duration
}

// FromPlan reads a plan's graph into a model, through the target's adapter
// when it has one.
func FromPlan(t *topology.Topology, p *plan.Plan) *Model {
	var m *Model
	switch t.Environment.Target {
	case topology.TargetLocal:
		m = fromLocal(t, p)
	case topology.TargetAWS:
		m = fromAWS(t, p)
	default:
		return &Model{Topology: t, Target: t.Environment.Target, Graph: p}
	}
	m.Graph, m.Adapted = p, true
	return m
}

// adapterNote says why service policies were not evaluated.
func adapterNote(t topology.Target) string {
	return fmt.Sprintf("no adapter for target %s yet: its resources are judged resource by resource until the target's modules land", t)
}

// fromLocal reads the local target's bulwark:local:* resources.
func fromLocal(t *topology.Topology, p *plan.Plan) *Model {
	m := &Model{Topology: t, Target: t.Environment.Target}
	get := indexGraph(p).get
	env := t.Environment.Name
	global := env + ".global"
	for _, decl := range t.Services {
		svc := &Service{Decl: decl}
		for _, region := range decl.Regions {
			stack := env + "." + region
			d := &Deployment{Region: region, Primary: region == t.Primary().Name}
			if r, res, ok := get(stack, contract.TypeLocalInstanceGroup, decl.Name); ok {
				d.Group = &Group{Resource: res, Min: num(r.Inputs, "min"), Desired: num(r.Inputs, "desired"), Max: num(r.Inputs, "max"), Zones: num(r.Inputs, "zones")}
			}
			if r, res, ok := get(stack, contract.TypeLocalLoadBalancer, decl.Name); ok {
				h := obj(r.Inputs, "health")
				d.Balancer = &Balancer{Resource: res, Interval: millis(h, "intervalMs"), Timeout: millis(h, "timeoutMs"), UnhealthyAfter: num(h, "unhealthyAfter")}
			}
			if r, res, ok := get(stack, contract.TypeLocalImage, decl.Name); ok {
				digest := str(r.Inputs, "sourceDigest")
				if !strings.HasPrefix(digest, "sha256:") {
					digest = ""
				}
				d.Image = &Image{Resource: res, Digest: digest}
			}
			if r, res, ok := get(stack, contract.TypeLocalDatabase, decl.Name); ok {
				d.Database = &Database{Resource: res, Primary: str(r.Inputs, "primary"), Replicas: strs(r.Inputs, "replicas"),
					Replication: topology.Replication(str(r.Inputs, "replication")), DeletionProtection: r.Inputs["deletionProtection"] == true}
			}
			if r, res, ok := get(stack, contract.TypeLocalBackupPlan, decl.Name); ok {
				svc.Backup = &BackupPlan{Resource: res, Source: str(r.Inputs, "primary"), Vaults: strs(r.Inputs, "vaults"),
					Every: time.Duration(num(r.Inputs, "everySeconds")) * time.Second, Keep: time.Duration(num(r.Inputs, "keepSeconds")) * time.Second}
			}
			svc.Regions = append(svc.Regions, d)
		}
		if r, res, ok := get(global, contract.TypeLocalDnsRecord, decl.Name); ok {
			rec := &DNSRecord{Resource: res, TTL: time.Duration(num(r.Inputs, "ttl")) * time.Second,
				HealthChecked: str(r.Inputs, "healthPath") != "", CheckInterval: time.Second, Threshold: 1}
			if sets, ok := r.Inputs["targets"].([]any); ok {
				for _, set := range sets {
					rec.Sets = append(rec.Sets, toStrings(set))
				}
			}
			svc.DNS = rec
		}
		m.Services = append(m.Services, svc)
	}
	return m
}

// graphIndex finds a plan's resources by stack, type and name.
type graphIndex map[graphKey]plan.Resource

type graphKey struct{ stack, ty, name string }

func indexGraph(p *plan.Plan) graphIndex {
	g := graphIndex{}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			g[graphKey{s.Stack, r.Type, r.Name}] = r
		}
	}
	return g
}

// get returns a resource and its identity in the model.
func (g graphIndex) get(stack, ty, name string) (plan.Resource, Resource, bool) {
	r, ok := g[graphKey{stack, ty, name}]
	return r, Resource{Stack: stack, URN: r.URN}, ok
}

func num(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

func millis(m map[string]any, k string) time.Duration {
	return time.Duration(num(m, k)) * time.Millisecond
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func strs(m map[string]any, k string) []string { return toStrings(m[k]) }

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
