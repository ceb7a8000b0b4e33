package stacks

import "github.com/bulwark-dev/bulwark/internal/topology"

// RunInputs is what one run of a stack's program is given beside the
// topology: what the orchestrator learned while running, which the
// environment file does not say. The topology stays what the file said and
// is shared by every stack run at once; a RunInputs is built for one stack
// run and not changed once its program has it, so concurrent runs share no
// state they write. The zero value is a run that learned nothing: a plan, a
// review, a stock `pulumi up`, a first deploy.
type RunInputs struct {
	// LayerOutputs are the outputs of the Terraform layers that ran before
	// the stacks, by layer; the stacks export them as their "layers"
	// output. LayerSensitive names, by layer, the secret ones, which the
	// output keeps secret.
	LayerOutputs   map[string]map[string]any
	LayerSensitive map[string][]string
	// RegionOutputs are the regional stacks' outputs, by region, for the
	// global stack's program, when the orchestrator reads them from the
	// state; absent, the program reads them by stack references.
	RegionOutputs map[string]map[string]any
	// AwaitRegionOutputs, when RegionOutputs is nil, gives the global
	// stack's program the regions' outputs once their stacks are up: the
	// program calls it before it registers anything, so that the
	// orchestrator can start the global stack's engine beside the regions
	// (its start, plugins and state are ready when they are). An error (a
	// region did not succeed) fails the program; nil outputs mean stack
	// references, as when both are absent.
	AwaitRegionOutputs func() (map[string]map[string]any, error)
	// ImageOverrides pin a service's instances, by service, to an image
	// other than the one its source builds: the orchestrator rolling a
	// canary back to the image it ran before.
	ImageOverrides map[string]topology.ImageRef
	// BlueGreen is, per blue-green service of the one region the program
	// runs for, which colour serves and what each colour's instance group
	// runs, on a target where the orchestrator switches the load balancer
	// between two groups in phases (AWS): one value per phase. Absent, a
	// service has one group, blue, running its built image, and serving.
	BlueGreen map[string]topology.BlueGreenState
}
