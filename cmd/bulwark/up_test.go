package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// previewEngine is an engine whose preview reports the steps it is given,
// per stack, and which records every stack it previews and deploys.
type previewEngine struct {
	orchestrate.Engine // what the tests do not use: a call panics
	deployed           map[string]bool
	steps              map[string][]engine.Event
	previewErr         error

	mu               sync.Mutex
	previewed, upped []string
}

func (e *previewEngine) Exists(_ context.Context, stack string) (bool, error) {
	return e.deployed[stack], nil
}

func (e *previewEngine) StateOutputs(string) (map[string]any, bool) { return map[string]any{}, true }

func (e *previewEngine) Outputs(context.Context, string, bool) (map[string]any, error) {
	return map[string]any{}, nil
}

func (e *previewEngine) Preview(_ context.Context, stack string, _ pulumi.RunFunc, progress engine.Progress) (engine.Result, error) {
	e.mu.Lock()
	e.previewed = append(e.previewed, stack)
	e.mu.Unlock()
	for _, ev := range e.steps[stack] {
		ev.Stack = stack
		progress(ev)
	}
	return engine.Result{Stack: stack, Op: engine.OpPreview}, e.previewErr
}

func (e *previewEngine) Up(_ context.Context, stack string, _ pulumi.RunFunc, _ engine.Progress) (engine.Result, error) {
	e.mu.Lock()
	e.upped = append(e.upped, stack)
	e.mu.Unlock()
	return engine.Result{Stack: stack, Op: engine.OpUp}, nil
}

// loadDev is the dev environment (the local target), its stacks alone.
func loadDev(t *testing.T) *topology.Topology {
	t.Helper()
	l := &topology.Loader{Root: "../.."}
	topo, err := l.LoadFile("../../environments/dev.hcl")
	if err != nil {
		t.Fatal(err)
	}
	topo.Layers = nil // the stacks alone: its Terraform layer would need terraform
	return topo
}

// upGuarded is what `bulwark up` does once its environment is held: the
// data-loss check, then the up.
func upGuarded(ctx context.Context, o *orchestrate.Orchestrator, allowDataLoss bool, errOut *bytes.Buffer) int {
	if code := refuseDataLoss(ctx, o, allowDataLoss, errOut); code != exitOK {
		return code
	}
	if _, err := o.Up(ctx); err != nil {
		return exitFailed
	}
	return exitOK
}

// An up of dev (the local target) that drops west from the service's
// regions deletes west's database member: refused, nothing deployed,
// unless --allow-data-loss.
func TestUpRefusesDataLoss(t *testing.T) {
	dropWest := map[string][]engine.Event{
		"dev.west": {
			{Kind: engine.EventStep, Op: "delete", URN: "urn:pulumi:dev.west::bulwark::bulwark:local:Database::shop", Type: contract.TypeLocalDatabase, Name: "shop",
				Inputs: map[string]any{"env": "dev", "region": "west", "service": "shop", "primary": "east"}},
			{Kind: engine.EventStep, Op: "delete", URN: "urn:pulumi:dev.west::bulwark::bulwark:local:InstanceGroup::shop", Type: contract.TypeLocalInstanceGroup, Name: "shop"},
			{Kind: engine.EventDiagnostic, Severity: "decision", Message: "removed the lock left by update process 42 (taken 2026-01-01T00:00:00Z), which no longer runs"},
		},
		"dev.east": {{Kind: engine.EventStep, Op: "update", URN: "urn:pulumi:dev.east::bulwark::bulwark:local:Database::shop", Type: contract.TypeLocalDatabase, Name: "shop"}},
	}
	everyStack := map[string]bool{"dev.east": true, "dev.west": true, "dev.global": true}

	fake := &previewEngine{deployed: everyStack, steps: dropWest}
	var progress bytes.Buffer
	o := &orchestrate.Orchestrator{Engine: fake, Topology: loadDev(t), Progress: newProgressPrinter(&progress, false).event}
	var errOut bytes.Buffer
	if code := upGuarded(context.Background(), o, false, &errOut); code != exitFailed {
		t.Fatalf("up that deletes a database member = %d, want %d:\n%s", code, exitFailed, errOut.String())
	}
	if len(fake.upped) != 0 || len(fake.previewed) != 3 {
		t.Errorf("previewed %v (want every stack), deployed %v (want none)", fake.previewed, fake.upped)
	}
	want := "dev.west         delete   bulwark:local:Database shop: the data of shop's database member in west (a replica of east)\n"
	if !strings.Contains(errOut.String(), "this change would destroy data; nothing was deployed") || !strings.Contains(errOut.String(), want) ||
		strings.Contains(errOut.String(), "InstanceGroup") || !strings.Contains(errOut.String(), "--allow-data-loss") {
		t.Errorf("the refusal does not say what would be lost, and how to go on:\n%s", errOut.String())
	}
	// the engine's notes still show, its steps do not (they are not what up does)
	if !strings.Contains(progress.String(), "removed the lock left by update process 42") || strings.Contains(progress.String(), "delete") {
		t.Errorf("progress of the check:\n%s", progress.String())
	}

	// told so, it deploys without a preview
	fake = &previewEngine{deployed: everyStack, steps: dropWest}
	o.Engine = fake
	if code := upGuarded(context.Background(), o, true, &errOut); code != exitOK || len(fake.previewed) != 0 || len(fake.upped) != 3 {
		t.Errorf("up --allow-data-loss = %d: previewed %v, deployed %v", code, fake.previewed, fake.upped)
	}

	// no loss: previewed, then deployed
	fake = &previewEngine{deployed: everyStack, steps: map[string][]engine.Event{"dev.west": dropWest["dev.west"][1:]}}
	o.Engine = fake
	if code := upGuarded(context.Background(), o, false, &errOut); code != exitOK || len(fake.previewed) != 3 || len(fake.upped) != 3 {
		t.Errorf("up without data loss = %d: previewed %v, deployed %v", code, fake.previewed, fake.upped)
	}

	// nothing deployed yet: nothing to lose, nothing previewed
	fake = &previewEngine{deployed: map[string]bool{}, steps: dropWest}
	o.Engine = fake
	if code := upGuarded(context.Background(), o, false, &errOut); code != exitOK || len(fake.previewed) != 0 || len(fake.upped) != 3 {
		t.Errorf("first up = %d: previewed %v, deployed %v", code, fake.previewed, fake.upped)
	}

	// a preview that fails tells nothing: refused
	fake = &previewEngine{deployed: everyStack, previewErr: errors.New("provider crashed")}
	o.Engine = fake
	errOut.Reset()
	if code := upGuarded(context.Background(), o, false, &errOut); code != exitFailed || len(fake.upped) != 0 ||
		!strings.Contains(errOut.String(), "provider crashed") || !strings.Contains(errOut.String(), "nothing was deployed") {
		t.Errorf("up after a failed preview = %d, deployed %v:\n%s", code, fake.upped, errOut.String())
	}
}

// --allow-data-loss is a flag of up alone.
func TestUpDataLossFlag(t *testing.T) {
	t.Setenv("BULWARK_STATE_DIR", t.TempDir())
	// parsed: the run goes on to the next check, the region
	code, _, errOut := inProject(t, "up", "--env", "dev", "--allow-data-loss", "--region", "mars")
	if code != exitBadInput || !strings.Contains(errOut, "--region mars") {
		t.Errorf("up --allow-data-loss --region mars = %d:\n%s", code, errOut)
	}
	code, _, errOut = inProject(t, "up", "-h")
	if code != exitOK || !strings.Contains(errOut, "-allow-data-loss") {
		t.Errorf("up -h = %d does not list the flag:\n%s", code, errOut)
	}
	for _, verb := range []string{"preview", "destroy", "refresh"} {
		if code, _, errOut := inProject(t, verb, "--env", "dev", "--allow-data-loss"); code != exitBadInput || !strings.Contains(errOut, "flag provided but not defined: -allow-data-loss") {
			t.Errorf("%s --allow-data-loss = %d:\n%s", verb, code, errOut)
		}
	}
}
