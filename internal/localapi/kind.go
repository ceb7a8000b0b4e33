package localapi

import "strings"

// Kind describes one resource kind of the control plane: its collection
// in the API's paths (PUT, GET and DELETE /v1/<Name>/<id>), the ID of the
// object a spec declares, and how an ID is read back from a path. The
// client serves every kind with Put, Get and Delete; the plane registers
// each kind once, with its put, get and delete.
type Kind[I ID, S, O any] struct {
	// Name is the kind's collection in the API's paths.
	Name string
	// ID is the ID of the object a spec declares (the zero ID when the
	// plane assigns it, as an image's digest).
	ID func(S) I
	// Parse reads an ID from its String form.
	Parse func(string) (I, error)
}

// Path is the object's path in the API.
func (k Kind[I, S, O]) Path(id I) string { return "/v1/" + k.Name + "/" + id.String() }

// The kinds of the control plane.
var (
	Regions       = Kind[RegionID, RegionSpec, Region]{Name: "regions", ID: RegionSpec.ID, Parse: ParseRegionID}
	Images        = Kind[ImageID, ImageSpec, Image]{Name: "images", ID: ImageSpec.ID, Parse: ParseImageID}
	Groups        = Kind[ServiceID, GroupSpec, Group]{Name: "groups", ID: GroupSpec.ID, Parse: ParseServiceID}
	Balancers     = Kind[ServiceID, BalancerSpec, Balancer]{Name: "balancers", ID: BalancerSpec.ID, Parse: ParseServiceID}
	DNSServers    = Kind[EnvID, DNSServerSpec, DNSServer]{Name: "dns-servers", ID: DNSServerSpec.ID, Parse: ParseEnvID}
	DNSRecords    = Kind[RecordID, DNSRecordSpec, DNSRecordSpec]{Name: "dns-records", ID: DNSRecordSpec.ID, Parse: ParseRecordID}
	Parameters    = Kind[ParameterID, ParameterSpec, ParameterSpec]{Name: "parameters", ID: ParameterSpec.ID, Parse: ParseParameterID}
	Databases     = Kind[ServiceID, DatabaseSpec, Database]{Name: "databases", ID: DatabaseSpec.ID, Parse: ParseServiceID}
	Backups       = Kind[BackupID, BackupSpec, Backup]{Name: "backups", ID: BackupSpec.ID, Parse: ParseBackupID}
	Monitors      = Kind[EnvID, MonitorSpec, Monitor]{Name: "monitors", ID: MonitorSpec.ID, Parse: ParseEnvID}
	RestoreCopies = Kind[ServiceID, RestoreCopySpec, RestoreCopy]{Name: "restore-copies", ID: RestoreCopySpec.ID, Parse: ParseServiceID}
	Queues        = Kind[ServiceID, QueueSpec, Queue]{Name: "queues", ID: QueueSpec.ID, Parse: ParseServiceID}
	Caches        = Kind[ServiceID, CacheSpec, Cache]{Name: "caches", ID: CacheSpec.ID, Parse: ParseServiceID}
	Links         = Kind[ServiceID, LinkSpec, Link]{Name: "links", ID: LinkSpec.ID, Parse: ParseServiceID}
)

// Action is an operation on one object of a kind that is not a create,
// read, update or delete (a drill's fault, a failover's step): POST
// /v1/<Kind>/<id>:<Name>, the body its input In, the answer its result Out.
type Action[I ID, In, Out any] struct {
	// Kind is the collection of the object it acts on; Name the action.
	Kind, Name string
	// Parse reads the object's ID, as its kind does.
	Parse func(string) (I, error)
}

// Path is the action's path for one object.
func (a Action[I, In, Out]) Path(id I) string {
	return "/v1/" + a.Kind + "/" + id.String() + ":" + a.Name
}

// SplitAction cuts a POST's path remainder, <id>:<action>, in two.
func SplitAction(rest string) (id, action string, ok bool) {
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// action describes the action name on objects of kind k.
func action[In, Out any, I ID, S, O any](k Kind[I, S, O], name string) Action[I, In, Out] {
	return Action[I, In, Out]{Kind: k.Name, Name: name, Parse: k.Parse}
}

// The inputs and results of actions.
type (
	// None is an action's empty input or result.
	None struct{}
	// SlotRequest names an instance slot of a group.
	SlotRequest struct {
		Slot int `json:"slot"`
	}
	// ZoneRequest takes a group's zone down, or brings it back.
	ZoneRequest struct {
		Zone int  `json:"zone"`
		Down bool `json:"down"`
	}
	// SyncRequest sets the replicas a primary waits for, or with Reset
	// restores those its spec names.
	SyncRequest struct {
		Standbys []string `json:"standbys"`
		Reset    bool     `json:"reset"`
	}
	// BackupRequest names a backup's type: full, diff or incr.
	BackupRequest struct {
		Type string `json:"type"`
	}
	// PID is the process an action killed.
	PID struct {
		PID int `json:"pid"`
	}
	// Killed names the processes an action killed.
	Killed struct {
		Killed []string `json:"killed"`
	}
	// Notes say what an action did, step by step.
	Notes struct {
		Notes []string `json:"notes"`
	}
	// Table is the nftables table that partitions a region.
	Table struct {
		Table string `json:"table"`
	}
	// Healed says whether there was a partition to remove.
	Healed struct {
		Healed bool `json:"healed"`
	}
)

// The actions of the control plane.
var (
	// KillInstance kills one instance of a group, as a crash would.
	KillInstance = action[SlotRequest, PID](Groups, "kill")
	// SetZoneDown takes a group's zone down (its instances killed and not
	// replaced), or brings it back.
	SetZoneDown = action[ZoneRequest, Killed](Groups, "zone")
	// ReadBalancerStats reads a balancer's requests and 5xx answers so far.
	ReadBalancerStats = action[None, BalancerStats](Balancers, "stats")
	// ReadQueueStats reads what a write queue holds now.
	ReadQueueStats = action[None, QueueStats](Queues, "stats")
	// SetLinkFault cuts, slows or heals a link (the zero fault heals it).
	SetLinkFault = action[LinkFault, Link](Links, "fault")
	// PromoteDatabase makes a replica the primary.
	PromoteDatabase = action[None, Database](Databases, "promote")
	// SetSynchronousStandbys changes (or resets) the replicas a primary waits for.
	SetSynchronousStandbys = action[SyncRequest, None](Databases, "sync")
	// KillDatabase kills a member's server, as its loss would.
	KillDatabase = action[None, PID](Databases, "kill")
	// SwitchoverDatabase makes this member the primary without losing a write.
	SwitchoverDatabase = action[None, Notes](Databases, "switchover")
	// RunBackup takes a backup now.
	RunBackup = action[BackupRequest, Backup](Backups, "run")
	// SuspendRegion kills a region's processes, as its loss would.
	SuspendRegion = action[None, Killed](Regions, "suspend")
	// ResumeRegion brings a suspended region back.
	ResumeRegion = action[None, Notes](Regions, "resume")
	// PartitionRegion cuts a region off while its processes keep running.
	PartitionRegion = action[None, Table](Regions, "partition")
	// HealRegion removes a region's partition.
	HealRegion = action[None, Healed](Regions, "heal")
	// AbandonRegion stops and forgets what is left of a region, before it is rebuilt.
	AbandonRegion = action[None, Notes](Regions, "abandon")
)

// APIVersion is the API's version: bump it whenever the API changes, so
// that a plane left running by an older build is replaced (localcloud's
// EnsureRunning) instead of answering requests it does not know.
const APIVersion = 13
