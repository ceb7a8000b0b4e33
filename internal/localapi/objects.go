package localapi

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// RegionSpec names a region of an environment.
type RegionSpec struct {
	Env  string `json:"env"`
	Name string `json:"name"`
}

// ID is env/name.
func (s RegionSpec) ID() RegionID { return RegionID{s.Env, s.Name} }

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

// ID is empty: an image is named by its digest, which the plane assigns
// when it builds it.
func (s ImageSpec) ID() ImageID { return "" }

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
	// DatabasePort is the port its members listen at (0: the plane's default).
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
	// Dependencies are what the service calls, as the topology declares
	// them, their URLs empty: the plane gives instances the runtime
	// contract's Dependencies key with each URL set to the region's link
	// to that service (LinkSpec), or left empty when it holds no link for
	// it (an external endpoint).
	Dependencies []contract.Dependency `json:"dependencies,omitempty"`
	// WriteQueue: instances get the runtime contract's queue keys, for
	// the service's write queue in the region (QueueSpec).
	WriteQueue bool `json:"write_queue,omitempty"`
}

// ID is env/region/service.
func (s GroupSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

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

// Rollout states.
const (
	RolloutRolling    = "rolling"
	RolloutDone       = "done"
	RolloutRolledBack = "rolled-back"
)

// Rollout is a change of image or configuration rolling through a group,
// as an autoscaling group's instance refresh: one instance at a time, the
// next only once the new ones are healthy; rolled back when new instances
// keep failing their health checks.
type Rollout struct {
	From    string    `json:"from"` // image digests
	To      string    `json:"to"`
	State   string    `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
}

// BalancerSpec is a load balancer (HAProxy) in front of one group.
type BalancerSpec struct {
	Env     string      `json:"env"`
	Region  string      `json:"region"`
	Service string      `json:"service"`
	Port    int         `json:"port"`
	Health  HealthCheck `json:"health"`
	// CallerTimeout is the longest per-attempt timeout the service's
	// callers declare (0: it has no callers): HAProxy's server timeout,
	// so the balancer gives up no later than its callers do, and it
	// retries only connections that failed, never a request that timed
	// out, so the callers' tries are all the attempts there are.
	CallerTimeout time.Duration `json:"caller_timeout,omitempty"`
}

// ID is env/region/service, the same as its group's.
func (s BalancerSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

// Balancer is a load balancer's spec and its process.
type Balancer struct {
	BalancerSpec
	Address  string   `json:"address"` // host:port it listens on
	PID      int      `json:"pid"`
	Running  bool     `json:"running"`
	Backends []string `json:"backends"`
}

// BalancerStats are a load balancer's counters since it started: the
// requests its frontend answered and those answered with a 5xx (from an
// instance, or from HAProxy itself when no instance could take them).
type BalancerStats struct {
	Requests  int64 `json:"requests"`
	Errors5xx int64 `json:"errors_5xx"`
}

// DNSServerSpec is an environment's authoritative DNS server (PowerDNS).
type DNSServerSpec struct {
	Env string `json:"env"`
}

// ID is the environment.
func (s DNSServerSpec) ID() EnvID { return EnvID(s.Env) }

// DNSServer is the server's spec and process.
type DNSServer struct {
	DNSServerSpec
	Address string `json:"address"` // host:port
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
}

// DNSRecordSpec is a health-checked record: the addresses whose health URL
// answers, as a LUA ifurlup record. Targets are sets tried in order: the
// healthy addresses of the first set that has any are returned. One set of
// every region is active-active; one set per region, primary first, is a hot
// standby.
type DNSRecordSpec struct {
	Env        string     `json:"env"`
	Zone       string     `json:"zone"`
	Name       string     `json:"name"` // label in the zone; @ for the apex
	TTL        int        `json:"ttl"`
	Targets    [][]string `json:"targets"` // sets of IPv4 addresses
	Port       int        `json:"port"`
	HealthPath string     `json:"health_path"`
}

// ID is env/zone/name.
func (s DNSRecordSpec) ID() RecordID { return RecordID{s.Env, s.Zone, s.Name} }

// FQDN is the record's name with the zone.
func (s DNSRecordSpec) FQDN() string {
	if s.Name == "@" || s.Name == "" {
		return s.Zone
	}
	return s.Name + "." + s.Zone
}

// DatabaseSpec is one region's member of a service's replicated database:
// the primary in the primary region, a streaming replica elsewhere.
type DatabaseSpec struct {
	Env     string `json:"env"`
	Region  string `json:"region"`
	Service string `json:"service"`
	// Primary is the region whose member accepts writes.
	Primary string `json:"primary"`
	// Replicas are the other regions' members (the primary waits for one of
	// them to acknowledge each commit when Replication is "sync").
	Replicas           []string `json:"replicas"`
	Replication        string   `json:"replication"` // sync or async
	DeletionProtection bool     `json:"deletion_protection"`
	// Port is where every member of the service's database listens, on
	// its region's 127.0.R.2: the service's own port (0: the plane's default).
	Port int `json:"port,omitempty"`
	// Password is the application role's password, generated at deploy
	// (the local provider's, a secret in the engine's state). It belongs
	// to the database, not the member: the plane keeps the first one a
	// member of the database was put with, in a file only its own user
	// reads, and gives it to the service's instances (the runtime
	// contract); it never writes it into its state. Empty: the one the
	// plane holds (or, for a database it holds none of, one it generates).
	Password string `json:"password,omitempty"`
}

// ID is env/region/service.
func (s DatabaseSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

// IsPrimary reports whether this member was created as the primary.
func (s DatabaseSpec) IsPrimary() bool { return s.Region == s.Primary }

// Database is a member's spec and its server.
type Database struct {
	DatabaseSpec
	Address string `json:"address"` // host:port
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
	// Role is what the server is now: primary or replica (a promoted
	// replica is a primary).
	Role string `json:"role"`
	// Streaming names the regions whose replicas stream from a primary now.
	Streaming []string `json:"streaming,omitempty"`
	// Socket is the folder of the member's unix socket, the one way in
	// that takes no password: as the superuser, for the control plane's
	// own OS user and the server's (peer authentication). Everything else
	// connects over TCP with a role's password (SCRAM).
	Socket string `json:"socket,omitempty"`
	// (Password, of DatabaseSpec, is set only in the answer to a put: the
	// password in effect, which may be another member's first one. A get
	// or the status never carries it.)
}

// OperatorConnString is a libpq keyword/value connection string for the
// superuser through the unix socket in folder socket of the server at
// address (host:port: the port names the socket): what the control
// plane's own OS user (the CLI, a drill, the demo) connects with, without
// a password.
func OperatorConnString(socket, address string) string {
	_, port, _ := net.SplitHostPort(address)
	quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(socket) + "'"
	return fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres sslmode=disable connect_timeout=3", quoted, port)
}

// OperatorConnString connects to the member as the superuser over its socket.
func (d Database) OperatorConnString() string { return OperatorConnString(d.Socket, d.Address) }

// BackupSpec is a service database's backup plan: pgBackRest backups of the
// primary, on a schedule, into the vault of every Vaults region (the local
// AWS Backup vaults with cross-region copies), with WAL archived
// continuously for point-in-time restore.
type BackupSpec struct {
	Env     string        `json:"env"`
	Service string        `json:"service"`
	Primary string        `json:"primary"` // the region of the database's primary
	Vaults  []string      `json:"vaults"`  // regions whose vaults receive every backup
	Every   time.Duration `json:"every"`
	Keep    time.Duration `json:"keep"`
}

// ID is env/service.
func (s BackupSpec) ID() BackupID { return BackupID{s.Env, s.Service} }

// BackupInfo is one backup in a vault.
type BackupInfo struct {
	Vault string    `json:"vault"` // region
	Label string    `json:"label"`
	Type  string    `json:"type"` // full, diff, incr
	Start time.Time `json:"start"`
	Stop  time.Time `json:"stop"`
	// WALStart and WALStop name the WAL segments the backup began and
	// ended in (TTTTTTTTLLLLLLLLSSSSSSSS: timeline, log, segment).
	WALStart string `json:"wal_start,omitempty"`
	WALStop  string `json:"wal_stop,omitempty"`
}

// VaultWAL is the WAL a vault holds past its newest backup: what a restore
// from it replays after restoring the backup.
type VaultWAL struct {
	Vault string `json:"vault"` // region
	// NewestBackup is the newest backup's label, NewestStop the WAL segment
	// it ended in, ArchivedMax the newest segment archived.
	NewestBackup string `json:"newest_backup"`
	NewestStop   string `json:"newest_stop"`
	ArchivedMax  string `json:"archived_max"`
	// SegmentsSince counts the segments from NewestStop (excluded) to
	// ArchivedMax (included) by their position in the WAL, whatever their
	// timelines (a promotion starts a new timeline where the old one
	// ended).
	SegmentsSince int `json:"segments_since"`
	// SegmentBytes is the cluster's WAL segment size the count used.
	SegmentBytes int64 `json:"segment_bytes"`
	// ArchiveID is the pgBackRest archive the WAL is in (15-1: the
	// PostgreSQL version and the stanza's database id).
	ArchiveID string `json:"archive_id,omitempty"`
	// Timelines says what the restore finds of the timelines in the
	// archive (nil when the plane could not list it).
	Timelines *VaultTimelines `json:"timelines,omitempty"`
}

// VaultTimelines is what a recovery from a vault's newest backup does
// about timelines (each promotion starts one): PostgreSQL (15) runs its
// restore_command for timeline history files, each call a pgBackRest
// process, before it replays a segment: it looks for the history of each
// timeline after the backup's until one is missing (the newest is the
// recovery's target), reads the target's, and then fetches again those
// from the backup's up to the target's (restoreTimeLineHistoryFiles). A
// WAL segment is fetched once, from the newest timeline of the target's
// history that had begun by that segment: no call fails for a segment
// whatever the timelines (measured: a restore across 6 promotions made 18
// segment calls, each found, and 15 for history files).
type VaultTimelines struct {
	// Backup is the newest backup's timeline (of its start segment),
	// Newest the recovery's target: the last of the consecutive timelines
	// after Backup whose history file the archive holds.
	Backup int `json:"backup"`
	Newest int `json:"newest"`
	// Histories counts the history files in the archive; Segments the
	// archived segments per timeline (its number in hexadecimal, as in a
	// segment's name), for the record.
	Histories int            `json:"histories"`
	Segments  map[string]int `json:"segments,omitempty"`
	// HistoryCalls is how many restore_command calls for history files the
	// recovery makes more than one whose backup is on the newest timeline
	// (the restore the calibration's base figure measured): two per
	// timeline after the backup's, one less when the backup's is the
	// first (timeline 1 has no history file to fetch again).
	HistoryCalls int `json:"history_calls"`
}

// Backup is a plan's spec and what its vaults hold.
type Backup struct {
	BackupSpec
	Backups []BackupInfo `json:"backups"`
	// WAL is, per vault that holds a backup and archived WAL, what a
	// restore from it replays (none for a vault the plane could not read).
	WAL       []VaultWAL `json:"wal,omitempty"`
	LastError string     `json:"last_error,omitempty"`
}

// HasBackupIn reports whether a region's vault holds a backup of the plan.
func (b Backup) HasBackupIn(vault string) bool {
	return slices.ContainsFunc(b.Backups, func(bk BackupInfo) bool { return bk.Vault == vault })
}

// WALIn is the WAL a region's vault holds past its newest backup; false
// when the plane did not report it.
func (b Backup) WALIn(vault string) (VaultWAL, bool) {
	i := slices.IndexFunc(b.WAL, func(w VaultWAL) bool { return w.Vault == vault })
	if i < 0 {
		return VaultWAL{}, false
	}
	return b.WAL[i], true
}

// ParameterSpec is one named value of a service's runtime configuration in
// one region's parameter store (the local Systems Manager Parameter Store).
// Instances of the service in that region get every one of its parameters
// as an environment variable when they start.
type ParameterSpec struct {
	Env     string `json:"env"`
	Region  string `json:"region"`
	Service string `json:"service"`
	Name    string `json:"name"`
	Value   string `json:"value"`
	// Secret marks a secret parameter: the plane keeps its value
	// encrypted at rest (Sealed) and answers a read of it without the
	// value (Value is RedactedValue); only a PUT carries it, on loopback.
	Secret bool `json:"secret,omitempty"`
	// Sealed is the value encrypted with the plane's key, as the plane
	// stores it; never sent.
	Sealed string `json:"sealed,omitempty"`
}

// RedactedValue is what a read of a secret parameter answers in place of
// its value.
const RedactedValue = "(secret)"

// ID is env/region/service/name.
func (s ParameterSpec) ID() ParameterID { return ParameterID{s.Env, s.Region, s.Service, s.Name} }

// MonitorSpec is an environment's monitoring: Prometheus with the given
// rules, scraping every service's load balancers, instances, databases and
// the control plane, and a blackbox exporter probing each region's load
// balancer and each service's DNS name.
type MonitorSpec struct {
	Env      string             `json:"env"`
	Services []MonitoredService `json:"services"`
	// Rules are Prometheus recording and alerting rules (slo.PrometheusRules).
	Rules string `json:"rules"`
	// Retention is how long Prometheus keeps samples (a Prometheus
	// duration such as 31d): the longest SLO window and a day.
	Retention string `json:"retention"`
}

// ID is the environment.
func (s MonitorSpec) ID() EnvID { return EnvID(s.Env) }

// MonitoredService is what the monitoring needs to know of a service.
type MonitoredService struct {
	Name       string   `json:"name"`
	Port       int      `json:"port"`
	Regions    []string `json:"regions"`
	FQDN       string   `json:"fqdn"`
	HealthPath string   `json:"health_path"`
	Database   bool     `json:"database"`
}

// Monitor is the monitoring's spec and processes.
type Monitor struct {
	MonitorSpec
	// Prometheus is its HTTP API's base URL.
	Prometheus string `json:"prometheus"`
	// PIDs are the processes by program (prometheus, blackbox, postgres).
	PIDs    map[string]int `json:"pids"`
	Running bool           `json:"running"` // every process runs
}

// RestoreCopySpec asks for a service's database restored from its newest
// backup in Region's vault into a scratch server there.
type RestoreCopySpec struct {
	Env     string `json:"env"`
	Service string `json:"service"`
	Region  string `json:"region"` // where the copy runs, and whose vault it restores
}

// ID is env/region/service.
func (s RestoreCopySpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

// RestoreCopy is a service's database restored from its newest backup
// into a scratch server in another region, beside the real members: what a
// backup-restore drill checks its rows against. It never archives and is
// not part of the database (no replication).
type RestoreCopy struct {
	RestoreCopySpec
	Vault   string `json:"vault"` // whose vault it came from
	Address string `json:"address"`
	PID     int    `json:"pid"`
	// Ready is when the copy finished recovery and took queries.
	Ready time.Time `json:"ready"`
	// Socket is the folder of the copy's unix socket (see Database.Socket).
	Socket string `json:"socket,omitempty"`
}

// OperatorConnString connects to the copy as the superuser over its socket.
func (c RestoreCopy) OperatorConnString() string { return OperatorConnString(c.Socket, c.Address) }

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
	Queues     []Queue         `json:"queues"`
	Caches     []Cache         `json:"caches"`
	Links      []Link          `json:"links"`
}

// Version is the running plane's API version and build.
type Version struct {
	API   int    `json:"api"`
	Build string `json:"build"`
}
