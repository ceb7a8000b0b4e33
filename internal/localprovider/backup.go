package localprovider

import (
	"context"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// BackupPlan is a service database's backup plan (the local AWS Backup plan
// with cross-region copy actions): pgBackRest into the vaults of other regions.
type BackupPlan struct{}

// BackupPlanArgs are the plan's inputs.
type BackupPlanArgs struct {
	Env          string   `pulumi:"env" provider:"replaceOnChanges"`
	Service      string   `pulumi:"service" provider:"replaceOnChanges"`
	Primary      string   `pulumi:"primary" provider:"replaceOnChanges"`
	Vaults       []string `pulumi:"vaults" provider:"replaceOnChanges"`
	EverySeconds int      `pulumi:"everySeconds"`
	KeepSeconds  int      `pulumi:"keepSeconds"`
}

// BackupPlanState adds the latest backup.
type BackupPlanState struct {
	BackupPlanArgs
	Backups    int    `pulumi:"backups"`
	LastBackup string `pulumi:"lastBackup"` // RFC 3339, the latest backup's end
}

func (*BackupPlan) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "BackupPlan")
	a.Describe(&BackupPlan{}, "pgBackRest backups of the primary into other regions' vaults, on a schedule, with WAL archived continuously.")
}

func (a BackupPlanArgs) spec() localapi.BackupSpec {
	return localapi.BackupSpec{Env: a.Env, Service: a.Service, Primary: a.Primary, Vaults: a.Vaults,
		Every: time.Duration(a.EverySeconds) * time.Second, Keep: time.Duration(a.KeepSeconds) * time.Second}
}

func backupState(a BackupPlanArgs, b localapi.Backup) BackupPlanState {
	st := BackupPlanState{BackupPlanArgs: a, Backups: len(b.Backups)}
	for _, bk := range b.Backups {
		if t := bk.Stop.UTC().Format(time.RFC3339); t > st.LastBackup {
			st.LastBackup = t
		}
	}
	return st
}

func (*BackupPlan) Create(ctx context.Context, req infer.CreateRequest[BackupPlanArgs]) (infer.CreateResponse[BackupPlanState], error) {
	spec := req.Inputs.spec()
	if req.DryRun {
		return infer.CreateResponse[BackupPlanState]{ID: spec.ID().String(), Output: BackupPlanState{BackupPlanArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[BackupPlanState]{}, err
	}
	b, err := localapi.Put(ctx, c, localapi.Backups, spec)
	return infer.CreateResponse[BackupPlanState]{ID: spec.ID().String(), Output: backupState(req.Inputs, b)}, wrap("backup plan "+spec.ID().String(), err)
}

func (*BackupPlan) Update(ctx context.Context, req infer.UpdateRequest[BackupPlanArgs, BackupPlanState]) (infer.UpdateResponse[BackupPlanState], error) {
	if req.DryRun {
		st := req.State
		st.BackupPlanArgs = req.Inputs
		return infer.UpdateResponse[BackupPlanState]{Output: st}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.UpdateResponse[BackupPlanState]{}, err
	}
	b, err := localapi.Put(ctx, c, localapi.Backups, req.Inputs.spec())
	return infer.UpdateResponse[BackupPlanState]{Output: backupState(req.Inputs, b)}, wrap("backup plan "+req.ID, err)
}

func (*BackupPlan) Read(ctx context.Context, req infer.ReadRequest[BackupPlanArgs, BackupPlanState]) (infer.ReadResponse[BackupPlanArgs, BackupPlanState], error) {
	b, found, err := read(ctx, localapi.Backups, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[BackupPlanArgs, BackupPlanState]{}, err
	}
	return infer.ReadResponse[BackupPlanArgs, BackupPlanState]{ID: req.ID, Inputs: req.Inputs, State: backupState(req.Inputs, b)}, nil
}

func (*BackupPlan) Delete(ctx context.Context, req infer.DeleteRequest[BackupPlanState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Backups, req.ID, "backup plan "+req.ID)
}

var (
	_ infer.CustomUpdate[BackupPlanArgs, BackupPlanState] = (*BackupPlan)(nil)
	_ infer.CustomRead[BackupPlanArgs, BackupPlanState]   = (*BackupPlan)(nil)
)
