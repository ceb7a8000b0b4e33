package localprovider

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Parameter is one value of a service's runtime configuration in one
// region's parameter store (the local Systems Manager Parameter Store).
type Parameter struct{}

// ParameterArgs name the parameter and give its value.
type ParameterArgs struct {
	Env     string `pulumi:"env" provider:"replaceOnChanges"`
	Region  string `pulumi:"region" provider:"replaceOnChanges"`
	Service string `pulumi:"service" provider:"replaceOnChanges"`
	Name    string `pulumi:"name" provider:"replaceOnChanges"`
	Value   string `pulumi:"value"`
	// Secret keeps the value encrypted in the plane's store and out of its
	// answers; the program passes such a value as a Pulumi secret, so the
	// state holds it encrypted too.
	Secret bool `pulumi:"secret,optional" provider:"replaceOnChanges"`
}

// ParameterState is the parameter as stored.
type ParameterState struct {
	ParameterArgs
}

func (*Parameter) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Parameter")
	a.Describe(&Parameter{}, "A service's parameter in one region's store; the service's instances start with it as an environment variable.")
}

func (a ParameterArgs) spec() localapi.ParameterSpec {
	return localapi.ParameterSpec{Env: a.Env, Region: a.Region, Service: a.Service, Name: a.Name, Value: a.Value, Secret: a.Secret}
}

// put stores the parameter unless this is a preview.
func (a ParameterArgs) put(ctx context.Context, dryRun bool) error {
	if dryRun {
		return nil
	}
	c, err := client(ctx)
	if err != nil {
		return err
	}
	_, err = localapi.Put(ctx, c, localapi.Parameters, a.spec())
	return wrap("parameter "+a.spec().ID().String(), err)
}

func (*Parameter) Create(ctx context.Context, req infer.CreateRequest[ParameterArgs]) (infer.CreateResponse[ParameterState], error) {
	err := req.Inputs.put(ctx, req.DryRun)
	return infer.CreateResponse[ParameterState]{ID: req.Inputs.spec().ID().String(), Output: ParameterState{req.Inputs}}, err
}

func (*Parameter) Update(ctx context.Context, req infer.UpdateRequest[ParameterArgs, ParameterState]) (infer.UpdateResponse[ParameterState], error) {
	err := req.Inputs.put(ctx, req.DryRun)
	return infer.UpdateResponse[ParameterState]{Output: ParameterState{req.Inputs}}, err
}

// Read is the parameter as the store holds it: a value changed there is
// drift, a parameter gone from it is recreated. The store does not answer
// a secret's value: it stays the state's (secretRead).
func (*Parameter) Read(ctx context.Context, req infer.ReadRequest[ParameterArgs, ParameterState]) (infer.ReadResponse[ParameterArgs, ParameterState], error) {
	s, found, err := read(ctx, localapi.Parameters, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[ParameterArgs, ParameterState]{}, wrap("parameter "+req.ID, err)
	}
	in := ParameterArgs{Env: s.Env, Region: s.Region, Service: s.Service, Name: s.Name, Value: s.Value, Secret: s.Secret}
	in.Value = secretRead(s, req.State.Value)
	return infer.ReadResponse[ParameterArgs, ParameterState]{ID: req.ID, Inputs: in, State: ParameterState{in}}, nil
}

func (*Parameter) Delete(ctx context.Context, req infer.DeleteRequest[ParameterState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Parameters, req.ID, "parameter "+req.ID)
}

var (
	_ infer.CustomUpdate[ParameterArgs, ParameterState] = (*Parameter)(nil)
	_ infer.CustomRead[ParameterArgs, ParameterState]   = (*Parameter)(nil)
	_ infer.CustomDelete[ParameterState]                = (*Parameter)(nil)
)
