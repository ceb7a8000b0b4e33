package localcloud

// The client as callers outside the local target used it before the
// control plane's API moved to package localapi: string IDs and one method
// per call. Its callers are to move to localapi's generic client (Dial,
// localapi.Get, localapi.Do, ...), and this file is then deleted. They are:
//
//   - internal/localtarget (drill scenarios, failover, recreate, rollout,
//     target, controlplane: the status text reads Group, Balancer and
//     Database IDs as strings): Client, NewClient, Status, Group,
//     Balancer, Database, BalancerStats, RestoreCopy, ErrNotFound, and the
//     methods KillInstance, SetZoneDown,
//     GetGroup, GetBalancer, BalancerStats, GetDNSServer, GetMonitor,
//     GetDatabase, PromoteDatabase, KillDatabase, SetSynchronousStandbys,
//     SwitchoverDatabase, GetBackup, PutRestoreCopy, DeleteRestoreCopy,
//     SuspendRegion, ResumeRegion, PartitionRegion, HealRegion,
//     AbandonRegion, Status;
//   - cmd/bulwark (deploy, drill, local, recreate, status, and the tests
//     interrupt_test, plainbuild_test): NewClient, Client, Status,
//     ErrNotFound, GetDNSServer, GetMonitor, Status and Version;
//   - bench (local.go): NewClient, KillInstance, GetGroup;
//   - internal/localprovider's end-to-end tests (e2e_test, rollout_e2e_test,
//     package localprovider_test): NewClient, Client, Balancer, Status,
//     GetGroup, GetBalancer, GetDatabase, GetBackup, KillInstance and
//     DeleteBalancer.

import (
	"context"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Types of the API, by their former names.
type (
	BalancerStats = localapi.BalancerStats
	RestoreCopy   = localapi.RestoreCopy
)

// Group, Balancer and Database are the API's objects whose ID is the
// string it was (localapi's are typed: ID().String() is this).
type (
	Group    struct{ localapi.Group }
	Balancer struct{ localapi.Balancer }
	Database struct{ localapi.Database }
)

// ID is env/region/service.
func (g Group) ID() string { return g.Group.ID().String() }

// ID is env/region/service.
func (b Balancer) ID() string { return b.Balancer.ID().String() }

// ID is env/region/service.
func (d Database) ID() string { return d.Database.ID().String() }

// Status is localapi.Status with the groups, balancers and databases above.
type Status struct {
	localapi.Status
	Groups    []Group    `json:"groups"`
	Balancers []Balancer `json:"balancers"`
	Databases []Database `json:"databases"`
}

// Status returns everything the plane holds.
func (c *Client) Status(ctx context.Context) (Status, error) {
	st, err := c.Client.Status(ctx)
	out := Status{Status: st}
	for _, g := range st.Groups {
		out.Groups = append(out.Groups, Group{g})
	}
	for _, b := range st.Balancers {
		out.Balancers = append(out.Balancers, Balancer{b})
	}
	for _, d := range st.Databases {
		out.Databases = append(out.Databases, Database{d})
	}
	return out, err
}

// ErrNotFound is localapi.ErrNotFound.
var ErrNotFound = localapi.ErrNotFound

// Client is a client of the control plane with string-ID methods; Version
// and Shutdown are localapi.Client's.
type Client struct {
	*localapi.Client
}

// NewClient returns a client for the control plane of a plane directory.
func NewClient(dir string) *Client { return &Client{Dial(dir)} }

// KillInstance kills one instance, as a crash would; it returns its PID.
func (c *Client) KillInstance(ctx context.Context, id string, slot int) (int, error) {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return 0, err
	}
	out, err := localapi.Do(ctx, c.Client, localapi.KillInstance, sid, localapi.SlotRequest{Slot: slot})
	return out.PID, err
}

// SetZoneDown takes a group's zone down, or brings it back.
func (c *Client) SetZoneDown(ctx context.Context, id string, zone int, down bool) ([]string, error) {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return nil, err
	}
	out, err := localapi.Do(ctx, c.Client, localapi.SetZoneDown, sid, localapi.ZoneRequest{Zone: zone, Down: down})
	return out.Killed, err
}

// GetGroup returns a group.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	g, err := getByString(ctx, c, localapi.Groups, id)
	return Group{g}, err
}

// GetBalancer returns a balancer.
func (c *Client) GetBalancer(ctx context.Context, id string) (Balancer, error) {
	b, err := getByString(ctx, c, localapi.Balancers, id)
	return Balancer{b}, err
}

// DeleteBalancer stops a balancer.
func (c *Client) DeleteBalancer(ctx context.Context, id string) error {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return err
	}
	return localapi.Delete(ctx, c.Client, localapi.Balancers, sid)
}

// BalancerStats reads how many requests a balancer answered, and how many with a 5xx.
func (c *Client) BalancerStats(ctx context.Context, id string) (BalancerStats, error) {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return BalancerStats{}, err
	}
	return localapi.Do(ctx, c.Client, localapi.ReadBalancerStats, sid, localapi.None{})
}

// GetDNSServer returns an environment's DNS server.
func (c *Client) GetDNSServer(ctx context.Context, env string) (localapi.DNSServer, error) {
	return getByString(ctx, c, localapi.DNSServers, env)
}

// GetMonitor returns an environment's monitoring.
func (c *Client) GetMonitor(ctx context.Context, env string) (localapi.Monitor, error) {
	return getByString(ctx, c, localapi.Monitors, env)
}

// GetDatabase returns a member's status.
func (c *Client) GetDatabase(ctx context.Context, id string) (Database, error) {
	d, err := getByString(ctx, c, localapi.Databases, id)
	return Database{d}, err
}

// PromoteDatabase makes a replica the primary.
func (c *Client) PromoteDatabase(ctx context.Context, id string) (Database, error) {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return Database{}, err
	}
	d, err := localapi.Do(ctx, c.Client, localapi.PromoteDatabase, sid, localapi.None{})
	return Database{d}, err
}

// KillDatabase kills a database member's server, as its loss would.
func (c *Client) KillDatabase(ctx context.Context, id string) (int, error) {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return 0, err
	}
	out, err := localapi.Do(ctx, c.Client, localapi.KillDatabase, sid, localapi.None{})
	return out.PID, err
}

// SetSynchronousStandbys changes (or, with reset, restores) the replicas a primary waits for.
func (c *Client) SetSynchronousStandbys(ctx context.Context, id string, standbys []string, reset bool) error {
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		return err
	}
	_, err = localapi.Do(ctx, c.Client, localapi.SetSynchronousStandbys, sid, localapi.SyncRequest{Standbys: standbys, Reset: reset})
	return err
}

// SwitchoverDatabase makes the member of env/region/service the primary without losing a write.
func (c *Client) SwitchoverDatabase(ctx context.Context, env, service, region string) ([]string, error) {
	sid := localapi.ServiceID{Env: env, Region: region, Service: service}
	out, err := localapi.Do(ctx, c.Client, localapi.SwitchoverDatabase, sid, localapi.None{})
	return out.Notes, err
}

// GetBackup returns a plan and its backups.
func (c *Client) GetBackup(ctx context.Context, id string) (localapi.Backup, error) {
	return getByString(ctx, c, localapi.Backups, id)
}

// PutRestoreCopy restores a service's newest backup from region's vault into a scratch server there.
func (c *Client) PutRestoreCopy(ctx context.Context, env, service, region string) (RestoreCopy, error) {
	return localapi.Put(ctx, c.Client, localapi.RestoreCopies, localapi.RestoreCopySpec{Env: env, Service: service, Region: region})
}

// DeleteRestoreCopy stops a restore copy and removes its data.
func (c *Client) DeleteRestoreCopy(ctx context.Context, env, service, region string) error {
	return localapi.Delete(ctx, c.Client, localapi.RestoreCopies, localapi.ServiceID{Env: env, Region: region, Service: service})
}

// SuspendRegion kills a region's processes, as its loss would.
func (c *Client) SuspendRegion(ctx context.Context, env, region string) ([]string, error) {
	out, err := localapi.Do(ctx, c.Client, localapi.SuspendRegion, localapi.RegionID{Env: env, Region: region}, localapi.None{})
	return out.Killed, err
}

// ResumeRegion brings a suspended region back.
func (c *Client) ResumeRegion(ctx context.Context, env, region string) ([]string, error) {
	out, err := localapi.Do(ctx, c.Client, localapi.ResumeRegion, localapi.RegionID{Env: env, Region: region}, localapi.None{})
	return out.Notes, err
}

// PartitionRegion cuts a region off while its processes keep running; it
// returns the nftables table that does it.
func (c *Client) PartitionRegion(ctx context.Context, env, region string) (string, error) {
	out, err := localapi.Do(ctx, c.Client, localapi.PartitionRegion, localapi.RegionID{Env: env, Region: region}, localapi.None{})
	return out.Table, err
}

// HealRegion removes a region's partition.
func (c *Client) HealRegion(ctx context.Context, env, region string) error {
	_, err := localapi.Do(ctx, c.Client, localapi.HealRegion, localapi.RegionID{Env: env, Region: region}, localapi.None{})
	return err
}

// AbandonRegion stops and forgets what is left of a region, before it is rebuilt.
func (c *Client) AbandonRegion(ctx context.Context, env, region string) ([]string, error) {
	out, err := localapi.Do(ctx, c.Client, localapi.AbandonRegion, localapi.RegionID{Env: env, Region: region}, localapi.None{})
	return out.Notes, err
}

// getByString gets the object of kind k whose ID reads id.
func getByString[I localapi.ID, S, O any](ctx context.Context, c *Client, k localapi.Kind[I, S, O], id string) (O, error) {
	i, err := k.Parse(id)
	if err != nil {
		var zero O
		return zero, err
	}
	return localapi.Get(ctx, c.Client, k, i)
}
