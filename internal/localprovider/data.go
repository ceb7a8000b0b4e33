package localprovider

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// Data is a value kept in the stack's state and nowhere else: the
// counterpart of Terraform's built-in terraform_data. It costs the provider
// no work, so a stack of Data resources measures the engine alone (the
// scale benchmark uses it), and a change of triggersReplace replaces it,
// for resources that must be replaced when something else changes.
type Data struct{}

// DataArgs is the value to keep.
type DataArgs struct {
	Input string `pulumi:"input"`
	// TriggersReplace replaces the resource when it changes.
	TriggersReplace string `pulumi:"triggersReplace,optional" provider:"replaceOnChanges"`
}

// DataState is the value kept.
type DataState struct {
	DataArgs
	// Output is the input, known once the resource is created or updated.
	Output string `pulumi:"output"`
}

func (*Data) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Data")
	a.Describe(&Data{}, "A value kept in the stack's state and nowhere else (Terraform's terraform_data).")
}

func (*Data) Create(_ context.Context, req infer.CreateRequest[DataArgs]) (infer.CreateResponse[DataState], error) {
	return infer.CreateResponse[DataState]{ID: req.Name, Output: DataState{DataArgs: req.Inputs, Output: req.Inputs.Input}}, nil
}

func (*Data) Update(_ context.Context, req infer.UpdateRequest[DataArgs, DataState]) (infer.UpdateResponse[DataState], error) {
	return infer.UpdateResponse[DataState]{Output: DataState{DataArgs: req.Inputs, Output: req.Inputs.Input}}, nil
}
