package localprovider

import (
	"context"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Database is one region's member of a service's replicated PostgreSQL: the
// primary in the primary region, a streaming replica elsewhere (the local
// Aurora global database).
type Database struct{}

// DatabaseArgs are the member's inputs.
type DatabaseArgs struct {
	Env                string   `pulumi:"env" provider:"replaceOnChanges"`
	Region             string   `pulumi:"region" provider:"replaceOnChanges"`
	Service            string   `pulumi:"service" provider:"replaceOnChanges"`
	Primary            string   `pulumi:"primary" provider:"replaceOnChanges"`
	Replicas           []string `pulumi:"replicas"`
	Replication        string   `pulumi:"replication"`
	DeletionProtection bool     `pulumi:"deletionProtection"`
	// Port is where the member listens on 127.0.R.2: its service's port.
	Port int `pulumi:"port,optional"`
}

// DatabaseState adds where it answers, whether it runs, and its role now,
// and the application role's password.
type DatabaseState struct {
	DatabaseArgs
	Address string `pulumi:"address"`
	Running bool   `pulumi:"running"`
	Role    string `pulumi:"role"`
	// Password is the application role's password: generated
	// (crypto/rand) when the member is created, kept across updates, a
	// secret in the engine's state (encrypted there, "[secret]" in
	// output). The control plane keeps a database's first (every member
	// shares the roles) and answers with it, so every region's stack
	// holds the one the service's instances are given.
	Password string `pulumi:"password,optional" provider:"secret"`
}

func (*Database) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Database")
	a.Describe(&Database{}, "PostgreSQL on the region's 127.0.R.2, at its service's port: the primary, or a streaming replica of it (synchronous or asynchronous).")
}

func (a DatabaseArgs) spec() localapi.DatabaseSpec {
	return localapi.DatabaseSpec{Env: a.Env, Region: a.Region, Service: a.Service, Primary: a.Primary,
		Replicas: a.Replicas, Replication: a.Replication, DeletionProtection: a.DeletionProtection, Port: a.Port}
}

// databaseState is the member's state; password is the one the state
// held or the put sent, replaced by the control plane's answer when it
// has one (the password in effect).
func databaseState(a DatabaseArgs, d localapi.Database, password string) DatabaseState {
	if d.Password != "" {
		password = d.Password
	}
	return DatabaseState{DatabaseArgs: a, Address: d.Address, Running: d.Running, Role: d.Role, Password: password}
}

// put puts the member with the application role's password: the one the
// state holds, or a new one.
func (a DatabaseArgs) put(ctx context.Context, password string) (localapi.Database, string, error) {
	if password == "" {
		password = contract.NewDatabasePassword()
	}
	c, err := client(ctx)
	if err != nil {
		return localapi.Database{}, password, err
	}
	spec := a.spec()
	spec.Password = password
	d, err := localapi.Put(ctx, c, localapi.Databases, spec)
	return d, password, err
}

func (*Database) Create(ctx context.Context, req infer.CreateRequest[DatabaseArgs]) (infer.CreateResponse[DatabaseState], error) {
	spec := req.Inputs.spec()
	if req.DryRun { // the password is not known before the create
		return infer.CreateResponse[DatabaseState]{ID: spec.ID().String(), Output: DatabaseState{DatabaseArgs: req.Inputs}}, nil
	}
	d, password, err := req.Inputs.put(ctx, "")
	return infer.CreateResponse[DatabaseState]{ID: spec.ID().String(), Output: databaseState(req.Inputs, d, password)}, wrap("database "+spec.ID().String(), err)
}

// Diff updates a member that is not running (drift), settings changes,
// and a member whose state holds no password; another env, region,
// service or primary region is a new member.
func (*Database) Diff(ctx context.Context, req infer.DiffRequest[DatabaseArgs, DatabaseState]) (infer.DiffResponse, error) {
	o, n := req.State.DatabaseArgs, req.Inputs
	d := p.DiffResponse{DeleteBeforeReplace: true, DetailedDiff: replacements(o, n)}
	for name, changed := range map[string]bool{
		"replicas": strings.Join(o.Replicas, ",") != strings.Join(n.Replicas, ","), "replication": o.Replication != n.Replication,
		"deletionProtection": o.DeletionProtection != n.DeletionProtection, "port": o.Port != n.Port,
	} {
		if changed {
			d.DetailedDiff[name] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
		}
	}
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	if req.State.Password == "" { // a member created before the database had credentials: the update gives it its secret
		d.DetailedDiff["password"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*Database) Update(ctx context.Context, req infer.UpdateRequest[DatabaseArgs, DatabaseState]) (infer.UpdateResponse[DatabaseState], error) {
	if req.DryRun {
		st := req.State
		st.DatabaseArgs, st.Running = req.Inputs, true
		return infer.UpdateResponse[DatabaseState]{Output: st}, nil
	}
	d, password, err := req.Inputs.put(ctx, req.State.Password)
	return infer.UpdateResponse[DatabaseState]{Output: databaseState(req.Inputs, d, password)}, wrap("database "+req.ID, err)
}

func (*Database) Read(ctx context.Context, req infer.ReadRequest[DatabaseArgs, DatabaseState]) (infer.ReadResponse[DatabaseArgs, DatabaseState], error) {
	d, found, err := read(ctx, localapi.Databases, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err
	}
	// a get never carries the password: the state's stays
	return infer.ReadResponse[DatabaseArgs, DatabaseState]{ID: req.ID, Inputs: req.Inputs, State: databaseState(req.Inputs, d, req.State.Password)}, nil
}

func (*Database) Delete(ctx context.Context, req infer.DeleteRequest[DatabaseState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Databases, req.ID, "database "+req.ID)
}

// WireDependencies makes the password a secret output (in the engine's
// state it is encrypted, shown "[secret]"); every other output depends on
// every input, as by default.
func (*Database) WireDependencies(f infer.FieldSelector, args *DatabaseArgs, state *DatabaseState) {
	f.OutputField(&state.Password).AlwaysSecret()
}

var (
	_ infer.ExplicitDependencies[DatabaseArgs, DatabaseState] = (*Database)(nil)
	_ infer.CustomDiff[DatabaseArgs, DatabaseState]           = (*Database)(nil)
	_ infer.CustomUpdate[DatabaseArgs, DatabaseState]         = (*Database)(nil)
	_ infer.CustomRead[DatabaseArgs, DatabaseState]           = (*Database)(nil)
)
