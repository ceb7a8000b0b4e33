package localcloud

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound is returned for an object the control plane does not hold.
	ErrNotFound = errors.New("not found")
	// ErrNoAddresses is returned when every loopback range is taken.
	ErrNoAddresses = errors.New("no free loopback range (127.0.1.0/24 to 127.0.254.0/24 are all taken)")
	// ErrPortInUse is returned when an address the plan needs is taken.
	ErrPortInUse = errors.New("address already in use")
	// ErrAlreadyRunning is returned by Serve when a control plane holds the state directory.
	ErrAlreadyRunning = errors.New("a control plane is already running for this state directory")
	// ErrNotReady is returned when an object did not become ready in time.
	ErrNotReady = errors.New("not ready in time")
	// ErrMissingProgram is returned when a program the local target runs is not installed.
	ErrMissingProgram = errors.New("program not installed")
)

// RegionSpec names a region of an environment.
type RegionSpec struct {
	Env  string `json:"env"`
	Name string `json:"name"`
}

// ID is env/name.
func (s RegionSpec) ID() string { return s.Env + "/" + s.Name }

// Region is an allocated region: its loopback range.
type Region struct {
	RegionSpec
	Index int `json:"index"` // R in 127.0.R.0/24
}

// CIDR is the region's loopback range.
func (r Region) CIDR() string { return fmt.Sprintf("127.0.%d.0/24", r.Index) }

// BalancerAddress is where the region's load balancers listen.
func (r Region) BalancerAddress() string { return fmt.Sprintf("127.0.%d.1", r.Index) }

// MetricsAddress is where the region's load balancers serve their
// Prometheus metrics, each at its service's port.
func (r Region) MetricsAddress() string { return fmt.Sprintf("127.0.%d.4", r.Index) }

// SlotAddress is instance slot i's address.
func (r Region) SlotAddress(slot int) string { return fmt.Sprintf("127.0.%d.%d", r.Index, 100+slot) }

// ImageSpec is a Go program to build into an image.
type ImageSpec struct {
	Name string `json:"name"`
	// Source is the image's folder (images/<name>), a Go main package.
	Source string `json:"source"`
}

// Image is a built, content-addressed image.
type Image struct {
	ImageSpec
	Digest string `json:"digest"` // sha256:<hex> of the executable
	Path   string `json:"path"`   // the executable; never overwritten
	// SourceDigest is the SourceDigest it was built from: a build of the
	// same source reuses it.
	SourceDigest string `json:"source_digest,omitempty"`
}

// HealthCheck is how instances are checked.
type HealthCheck struct {
	Path           string        `json:"path"`
	Interval       time.Duration `json:"interval"`
	Timeout        time.Duration `json:"timeout"`
	UnhealthyAfter int           `json:"unhealthy_after"`
	HealthyAfter   int           `json:"healthy_after"`
}

// GroupSpec is an instance group: N instances of one image in one region.
type GroupSpec struct {
	Env       string            `json:"env"`
	Region    string            `json:"region"`
	Service   string            `json:"service"`
	ImagePath string            `json:"image_path"`
	Digest    string            `json:"image_digest"`
	Port      int               `json:"port"`
	Min       int               `json:"min"`
	Desired   int               `json:"desired"`
	Max       int               `json:"max"`
	Zones     int               `json:"zones"`
	Health    HealthCheck       `json:"health"`
	Vars      map[string]string `json:"vars,omitempty"` // extra environment variables for instances
	// DatabaseRegions, when set, are the regions of the service's database:
	// instances get the runtime contract's database keys, the writer URL naming every member, writes going to
	// whichever is the primary.
	DatabaseRegions []string `json:"database_regions,omitempty"`
	// DatabasePort is the port its members listen at (0: DatabasePort).
	DatabasePort int     `json:"database_port,omitempty"`
	Scaling      Scaling `json:"scaling"`
	// BlueGreen replaces every instance at once with a second set beside
	// the serving one, switched at the load balancer, the previous set kept
	// for Bake; otherwise instances are replaced one at a time.
	BlueGreen bool          `json:"blue_green,omitempty"`
	Bake      time.Duration `json:"bake,omitempty"`
	// SlotBase is the first slot of the serving range (0 or Max): the
	// plane's own record of a blue-green group, not an input.
	SlotBase int `json:"slot_base,omitempty"`
}

// ID is env/region/service.
func (s GroupSpec) ID() string { return s.Env + "/" + s.Region + "/" + s.Service }

// Scaling moves a group's capacity between Min and Max to hold a target:
// requests per second per instance (from its load balancer) or average CPU
// percent, changing it at most once per Cooldown. Zero targets: no scaling.
type Scaling struct {
	TargetRequests int           `json:"target_requests,omitempty"`
	TargetCPU      int           `json:"target_cpu,omitempty"`
	Cooldown       time.Duration `json:"cooldown,omitempty"`
}

// Instance is one instance of a group.
type Instance struct {
	Slot     int       `json:"slot"`
	Zone     int       `json:"zone"`
	Address  string    `json:"address"` // host:port
	PID      int       `json:"pid"`
	Name     string    `json:"name"`
	State    string    `json:"state"` // starting, healthy, unhealthy, stopped
	Started  time.Time `json:"started"`
	Error    string    `json:"error,omitempty"`  // why it could not start
	Digest   string    `json:"digest,omitempty"` // the image it runs
	Failures int       `json:"-"`
}

// Group is an instance group's spec and what runs.
type Group struct {
	GroupSpec
	Instances []Instance `json:"instances"`
	Replaced  int        `json:"replaced"` // instances replaced since the group was created
	// Current is the capacity now: Desired, moved by scaling within Min..Max.
	Current int `json:"current"`
	// LastScaling says what the autoscaler last did, and why.
	LastScaling string `json:"last_scaling,omitempty"`
	// Rollout is the last change of image or configuration, if any.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// Healthy counts healthy instances.
func (g Group) Healthy() int {
	n := 0
	for _, i := range g.Instances {
		if i.State == "healthy" {
			n++
		}
	}
	return n
}

// BalancerSpec is a load balancer (HAProxy) in front of one group.
type BalancerSpec struct {
	Env     string      `json:"env"`
	Region  string      `json:"region"`
	Service string      `json:"service"`
	Port    int         `json:"port"`
	Health  HealthCheck `json:"health"`
}

// ID is env/region/service, the same as its group's.
func (s BalancerSpec) ID() string { return s.Env + "/" + s.Region + "/" + s.Service }

// Balancer is a load balancer's spec and its process.
type Balancer struct {
	BalancerSpec
	Address  string   `json:"address"` // host:port it listens on
	PID      int      `json:"pid"`
	Running  bool     `json:"running"`
	Backends []string `json:"backends"`
}

// Status is everything the control plane holds.
type Status struct {
	PID        int             `json:"pid"`
	Dir        string          `json:"dir"`
	Regions    []Region        `json:"regions"`
	Images     []Image         `json:"images"`
	Groups     []Group         `json:"groups"`
	Balancers  []Balancer      `json:"balancers"`
	DNSServers []DNSServer     `json:"dns_servers"`
	DNSRecords []DNSRecordSpec `json:"dns_records"`
	Databases  []Database      `json:"databases"`
	Backups    []Backup        `json:"backups"`
	Parameters []ParameterSpec `json:"parameters"`
	Monitors   []Monitor       `json:"monitors"`
}
