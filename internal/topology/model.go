package topology

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Target names where an environment is deployed.
type Target string

const (
	// TargetLocal runs every part as a real program on loopback addresses.
	TargetLocal Target = "local"
	// TargetAWS is the production target.
	TargetAWS Target = "aws"
)

// Mode is how a service uses its regions.
type Mode string

const (
	// ActiveActive serves from every region at once.
	ActiveActive Mode = "active-active"
	// HotStandby serves from the primary region; the others are ready to take over.
	HotStandby Mode = "hot-standby"
)

// Replication is how a data tier copies writes to its other regions.
type Replication string

const (
	// Synchronous acknowledges a write once a replica in another region has it.
	Synchronous Replication = "sync"
	// Asynchronous acknowledges a write once the primary has it.
	Asynchronous Replication = "async"
)

// Runtime is how a service's code runs on the aws target.
type Runtime string

const (
	// RuntimeVM runs the image's golden machine image (an AMI) on instances
	// of an autoscaling group.
	RuntimeVM Runtime = "vm"
	// RuntimeContainer runs the image's container, pinned by digest, as an
	// ECS service on Fargate.
	RuntimeContainer Runtime = "container"
)

// NAT is how a region's private subnets reach out.
type NAT string

const (
	// NATPerZone gives every zone its own NAT gateway: losing a zone loses
	// only that zone's way out.
	NATPerZone NAT = "per-zone"
	// NATSingle shares one NAT gateway between the zones: cheaper, for
	// environments that can lose egress with a zone (policy nat-per-zone
	// flags it in production).
	NATSingle NAT = "single"
)

// Database engines.
const (
	EnginePostgres = "postgres"
	// EngineDynamoDB is a DynamoDB global table (aws target only).
	EngineDynamoDB = "dynamodb"
)

// Disruption names a kind of failure that a resilience target covers.
type Disruption string

const (
	DisruptionInstance Disruption = "instance"
	DisruptionZone     Disruption = "zone"
	DisruptionRegion   Disruption = "region"
	DisruptionDatabase Disruption = "database"
)

// Disruptions lists every disruption in the order reports show them.
var Disruptions = []Disruption{DisruptionInstance, DisruptionZone, DisruptionRegion, DisruptionDatabase}

// Topology is one environment file, decoded and validated: what the file
// said, and nothing else. It is read-only once loaded, and shared by
// everything that runs at once (the orchestrator's concurrent stack runs,
// their programs); what a run learns while running (layers' and regions'
// outputs, pinned images, blue-green phases) is given beside it, in
// stacks.RunInputs.
type Topology struct {
	Environment Environment
	Regions     []Region  // in file order
	Services    []Service // in file order
	// Externals are endpoints outside the environment its services call.
	Externals []External
	Policies  []PolicyConfig
	// Layers are Terraform root modules run in order with the stacks.
	Layers []Layer
	// File is the path the topology was loaded from.
	File string
}

// Environment is the environment block.
type Environment struct {
	Name string
	// Target is where the environment is deployed.
	Target Target
	// State is the Pulumi backend URL; empty means the user's state directory.
	State string
	// Secrets is the Pulumi secrets provider: "passphrase" or a KMS URL such as awskms://...
	Secrets string
	// Objectives are the declared RTO/RPO targets, one per disruption at most.
	Objectives []Objective
	// Prices is the folder of AWS price list offer files the bill reads,
	// resolved against the project root (DefaultPrices when the file
	// names none); PricesRange is where the file names it (nil: default).
	Prices      string
	PricesRange *hcl.Range
	// Usage is the environment's usage block (DefaultUsage when it has none).
	Usage     Usage
	DeclRange hcl.Range
}

// PolicyConfig is a policy block: a policy's enforcement and parameters in
// this environment. The policies package checks the ID and parameters.
type PolicyConfig struct {
	ID          string
	Enforcement string // advisory, mandatory or disabled; empty keeps the default
	// Params are the other attributes, by name, as evaluated.
	Params    map[string]PolicyParam
	DeclRange hcl.Range
}

// PolicyParam is one parameter of a policy block.
type PolicyParam struct {
	Value cty.Value
	Range hcl.Range
}

// Objective is a declared recovery target for one kind of disruption.
type Objective struct {
	Disruption Disruption
	RTO        time.Duration
	RPO        time.Duration
	DeclRange  hcl.Range
}

// Region is one region block. On aws its name is a region code (us-east-1).
type Region struct {
	Name    string
	Primary bool
	Zones   int
	// NAT is how the region's private subnets reach out (aws target).
	NAT       NAT
	DeclRange hcl.Range
}

// Service is one service block: what runs, how much of it, and how it is
// reached, checked, stored and backed up.
type Service struct {
	Name  string
	Mode  Mode
	Image string
	Port  int
	// Runtime is how the image runs on the aws target; the local target
	// runs the service's program either way.
	Runtime Runtime
	// Regions the service runs in, in the environment's region order.
	Regions  []string
	Capacity Capacity
	Scaling  Scaling
	Health   Health
	DNS      DNS
	Database *Database // nil when the service keeps no data
	Backup   *Backup   // nil when the service declares no backups
	HTTPS    *HTTPS    // nil when the load balancers speak plain HTTP
	// Rollout is how a new image or configuration reaches the regions.
	Rollout Rollout
	// Parameters are the service's runtime configuration: copied into the
	// parameter store of each of its regions, given to instances as
	// environment variables; a change rolls the service out.
	Parameters map[string]string
	// SecretParameters name, sorted, the service's secret parameters: the
	// file holds no value, which comes from the operator's environment at
	// up and preview (SecretParameterEnv), stays a Pulumi secret, is kept
	// encrypted by each region's store and is given to instances as an
	// environment variable as a parameter is.
	SecretParameters []string
	// SLO is the service's objectives (nil when it declares none): alarms,
	// burn-rate alerts and the error budget come from it.
	SLO *SLO
	// Dependencies are what the service calls, in file order.
	Dependencies []Dependency
	// WriteQueue is nil when the service's writes fail while its
	// database cannot take them.
	WriteQueue *WriteQueue
	// Cache is nil when no cache stands in front of the service.
	Cache *Cache
	// Usage is the environment's usage with the service's own usage block
	// over it: what the bill assumes of the service.
	Usage     Usage
	DeclRange hcl.Range
}

// SLO is a service's slo block: its service-level objectives, measured at
// its load balancers.
type SLO struct {
	// Availability is the share of requests answered without a server
	// error (5xx) that the service promises over the window, as a fraction
	// (0.9995 for "99.95%").
	Availability float64
	// LatencyP99 bounds the 99th percentile of response times (0: no
	// latency objective).
	LatencyP99 time.Duration
	// Window is the rolling period the objective is judged over.
	Window    time.Duration
	DeclRange hcl.Range
}

// ErrorBudget is the share of requests that may fail within the window.
func (o SLO) ErrorBudget() float64 { return 1 - o.Availability }

// SLO defaults and limits. A window shorter than a week leaves the
// multi-window burn-rate alerts nothing to tell apart from plain error-rate
// alerts; longer than 90 days outlives any metrics retention worth keeping.
const (
	DefaultSLOWindow = 30 * 24 * time.Hour
	MinSLOWindow     = 7 * 24 * time.Hour
	MaxSLOWindow     = 90 * 24 * time.Hour
)

// ParametersDigest identifies the service's parameters ("" when it has
// none): instances started with other parameters are replaced.
//
// A secret parameter counts by name only: its value is in no file, and a
// digest of it, written in clear where the plain digest goes, would let a
// guess be checked. A new value reaches the store, not running instances.
func (s Service) ParametersDigest() string {
	if len(s.Parameters) == 0 && len(s.SecretParameters) == 0 {
		return ""
	}
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
		fmt.Fprintf(h, "%s=%q\n", name, s.Parameters[name])
	}
	for _, name := range s.SecretParameters {
		fmt.Fprintf(h, "%s=(secret)\n", name)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ParameterPath is where a service's parameters live in a region's
// parameter store: /bulwark/<env>/<service>/<NAME>.
func (t *Topology) ParameterPath(s Service) string {
	return "/bulwark/" + t.Environment.Name + "/" + s.Name + "/"
}

// HTTPS makes the service's load balancers terminate TLS with a certificate
// of each region (an ACM certificate is regional) and redirect HTTP to it.
type HTTPS struct {
	// Certificates maps each of the service's regions to its certificate's ARN.
	Certificates map[string]string
	DeclRange    hcl.Range
}

// Capacity bounds the instances of a service in each region.
type Capacity struct {
	Min, Desired, Max int
	DeclRange         hcl.Range
}

// Scaling is the autoscaling target. Zero values mean "not set".
type Scaling struct {
	TargetCPU      int // percent
	TargetRequests int // requests per second per instance
	// Cooldown is the least time between two capacity changes.
	Cooldown  time.Duration
	DeclRange hcl.Range
}

// Health is the service's health check, used by the load balancer and DNS.
type Health struct {
	Path           string
	Interval       time.Duration
	Timeout        time.Duration
	UnhealthyAfter int // consecutive failures before an instance is out
	HealthyAfter   int // consecutive successes before it is back in
	DeclRange      hcl.Range
}

// DNS is the service's public name: Name.Zone.
type DNS struct {
	Zone      string
	Name      string
	TTL       time.Duration
	DeclRange hcl.Range
}

// FQDN is the service's fully qualified name, without the trailing dot.
func (d DNS) FQDN() string {
	if d.Name == "" || d.Name == "@" {
		return d.Zone
	}
	return d.Name + "." + d.Zone
}

// Database is the service's replicated data tier.
type Database struct {
	Engine      string // EnginePostgres or EngineDynamoDB
	Replication Replication
	// DeletionProtection refuses to delete the database with its stack.
	DeletionProtection bool
	DeclRange          hcl.Range
}

// Backup is the service's backup plan.
type Backup struct {
	Every  time.Duration
	Keep   time.Duration
	CopyTo []string // regions that receive a copy of every backup
	// RestoreTests restores the newest backup on a schedule (weekly), to
	// prove the backups restore.
	RestoreTests bool
	DeclRange    hcl.Range
}

// Primary returns the primary region.
func (t *Topology) Primary() Region {
	for _, r := range t.Regions {
		if r.Primary {
			return r
		}
	}
	return Region{}
}

// Region returns the region with the given name.
func (t *Topology) Region(name string) (Region, bool) {
	for _, r := range t.Regions {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// RegionNames lists the regions in file order.
func (t *Topology) RegionNames() []string {
	names := make([]string, len(t.Regions))
	for i, r := range t.Regions {
		names[i] = r.Name
	}
	return names
}

// PrimaryRegionOf splits a service's regions into its primary (the
// environment's primary region, when the service runs there; else its
// first) and the others, in file order.
func (t *Topology) PrimaryRegionOf(s Service) (string, []string) {
	if len(s.Regions) == 0 {
		return "", nil
	}
	primary := s.Regions[0]
	for _, r := range s.Regions {
		if r == t.Primary().Name {
			primary = r
		}
	}
	var others []string
	for _, r := range s.Regions {
		if r != primary {
			others = append(others, r)
		}
	}
	return primary, others
}

// ServicesIn lists the services that run in a region, in file order.
func (t *Topology) ServicesIn(region string) []Service {
	var out []Service
	for _, s := range t.Services {
		for _, r := range s.Regions {
			if r == region {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Objective returns the declared target for a disruption.
func (e Environment) Objective(d Disruption) (Objective, bool) {
	for _, o := range e.Objectives {
		if o.Disruption == d {
			return o, true
		}
	}
	return Objective{}, false
}

// RolloutStrategy is how a change reaches a service's regions.
type RolloutStrategy string

const (
	// RolloutRolling changes every region at once; each region's groups
	// replace their instances one at a time and roll back on failed health checks.
	RolloutRolling RolloutStrategy = "rolling"
	// RolloutCanary changes one region first, watches it for the bake
	// time, then changes the others.
	RolloutCanary RolloutStrategy = "canary"
	// RolloutBlueGreen starts a second set of instances beside the serving
	// one in every region, switches traffic at the load balancer once it is
	// healthy, and keeps the previous set for the bake time.
	RolloutBlueGreen RolloutStrategy = "blue-green"
)

// DefaultBake is how long a canary region is watched by default.
const DefaultBake = 30 * time.Second

// Rollout is a service's rollout block.
type Rollout struct {
	Strategy RolloutStrategy
	Canary   string        // the region that goes first (canary)
	Bake     time.Duration // how long it is watched before the others follow
	// MaxErrorRate is the share of requests the load balancers may answer
	// with a 5xx during the bake (default 1%).
	MaxErrorRate float64
	DeclRange    hcl.Range
}

// DefaultMaxErrorRate is the bake's error budget by default.
const DefaultMaxErrorRate = 0.01

// ImageRef is a built image: its digest (on AWS, the region's AMI ID or the
// container pinned by digest), on the local target its file, on AWS the
// build that made it.
type ImageRef struct {
	Digest, Path string
	Build        string
}

// Colour is one of the two instance groups of a blue-green service.
type Colour string

// The two colours.
const (
	Blue  Colour = "blue"
	Green Colour = "green"
)

// Other is the colour that is not c.
func (c Colour) Other() Colour {
	if c == Green {
		return Blue
	}
	return Green
}

// BlueGreenState is where a blue-green service of one region stands: the
// colour the load balancer sends requests to, and the image each colour's
// instance group runs (a colour with no entry has no group).
type BlueGreenState struct {
	Live   Colour
	Groups map[Colour]ImageRef
	// Serving is how many instances the serving group ran when the
	// orchestrator read it: a new colour starts that large (0: unknown).
	Serving int
}
