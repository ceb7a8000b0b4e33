package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// newRunner starts a runner on the project's pinned CLI (bin/pulumi, built by
// `make pulumi`) with a file backend in a temporary folder.
func newRunner(t *testing.T) (*engine.Runner, string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	pulumiRoot, err := engine.FindPulumi(root)
	if err != nil {
		if testing.Short() {
			t.Skipf("-short and no pulumi CLI: %v", err)
		}
		t.Fatalf("%v (make test builds it first)", err)
	}
	providerDir, err := engine.FindProvider(root)
	if err != nil {
		t.Fatalf("%v (make test builds it first)", err)
	}
	state := t.TempDir()
	r, err := engine.New(engine.Config{
		PulumiRoot: pulumiRoot, Project: "e2e", Backend: "file://" + filepath.Join(state, "backend"),
		Home: filepath.Join(state, "home"), WorkDir: filepath.Join(state, "work"),
		PluginPaths: []workspace.PluginOptions{{Name: engine.ProviderPackage, Path: providerDir}},
		Env:         map[string]string{"BULWARK_STATE_DIR": state},
	})
	if err != nil {
		t.Fatal(err)
	}
	// the provider starts a control plane for this state directory; stop it by PID
	t.Cleanup(func() {
		if err := localcloud.Stop(context.Background(), localcloud.Dir(state)); err != nil {
			t.Error(err)
		}
	})
	return r, state
}

func TestEngineEndToEnd(t *testing.T) {
	r, state := newRunner(t)
	l := &topology.Loader{}
	topo, err := l.LoadFile("testdata/regions.hcl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var events []engine.Event
	o := &orchestrate.Orchestrator{Engine: r, Topology: topo, Progress: func(e engine.Event) { events = append(events, e) }}

	// a preview before anything exists previews the regions and not global
	sum, err := o.Preview(ctx)
	if err != nil {
		t.Fatalf("first preview: %v", err)
	}
	if c := sum.Results[0].Changes["create"]; c != 3 { // stack, topology region, local region
		t.Errorf("first preview of dev.east: %v, want 3 creates", sum.Results[0].Changes)
	}

	sum, err = o.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	global := sum.Results[2]
	regions, _ := global.Outputs["regions"].(map[string]any)
	west, _ := regions["west"].(map[string]any)
	if west["region"] != "west" || west["zones"] != float64(3) {
		t.Errorf("global outputs did not come through stack references: %v", global.Outputs)
	}
	if len(events) == 0 {
		t.Error("no progress events")
	}

	sum, err = o.Preview(ctx)
	if err != nil {
		t.Fatalf("second preview: %v", err)
	}
	for _, res := range sum.Results {
		for op, n := range res.Changes {
			if op != "same" && n > 0 {
				t.Errorf("%s: preview after up shows changes %v", res.Stack, res.Changes)
			}
		}
		if res.Changes["same"] == 0 {
			t.Errorf("%s: preview after up shows nothing: %v", res.Stack, res.Changes)
		}
	}

	// a stale lock left by a crashed update is reported, and unlock clears it
	lockDir := filepath.Join(state, "backend", ".pulumi", "locks", "organization", "e2e", "dev.east")
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lockDir, "stale.json"), []byte(`{"pid":1,"username":"x","hostname":"y","timestamp":"2026-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Region = "east"
	if _, err := o.Up(ctx); !errors.Is(err, engine.ErrLocked) {
		t.Fatalf("up on a locked stack: %v, want ErrLocked", err)
	}
	if err := r.Unlock(ctx, "dev.east"); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if _, err := o.Up(ctx); err != nil {
		t.Fatalf("up after unlock: %v", err)
	}
	o.Region = ""

	sum, err = o.Destroy(ctx)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if sum.Results[0].Stack != "dev.global" || sum.Results[0].Changes["delete"] == 0 {
		t.Errorf("destroy: %+v", sum.Results[0])
	}
	outs, err := r.Outputs(ctx, "dev.global", false)
	if err != nil || len(outs) != 0 {
		t.Errorf("outputs after destroy = %v, %v", outs, err)
	}
	if _, err := r.Outputs(ctx, "dev.nowhere", false); !errors.Is(err, engine.ErrNoStack) {
		t.Errorf("outputs of a stack never deployed: %v", err)
	}
}

type slowComponent struct{ pulumi.ResourceState }

// slowProgram registers n components, one every 100 ms, so that a cancel
// lands in the middle of the update.
func slowProgram(n int) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for i := 0; i < n; i++ {
			c := &slowComponent{}
			if err := ctx.RegisterComponentResource("test:index:Slow", fmt.Sprintf("c%02d", i), c); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	}
}

func TestEngineCancelIsClean(t *testing.T) {
	r, _ := newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	_, err := r.Up(ctx, "cancel.test", slowProgram(40), func(e engine.Event) {
		if e.Kind == engine.EventStepDone {
			once.Do(cancel)
		}
	})
	if err == nil {
		t.Fatal("up finished although cancelled")
	}
	if errors.Is(err, engine.ErrLocked) {
		t.Fatalf("cancel reported as a lock: %v", err)
	}
	// the interrupted engine released its lock: a rerun converges
	bg, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	// (how much the interrupted run did depends on where the engine was; the
	// rerun must finish the job whatever it was)
	if _, err := r.Up(bg, "cancel.test", slowProgram(40), nil); err != nil {
		t.Fatalf("rerun after cancel: %v", err)
	}
	res, err := r.Preview(bg, "cancel.test", slowProgram(40), nil)
	if err != nil || res.Changes["same"] != 41 {
		t.Errorf("preview after convergence = %v, %v", res.Changes, err)
	}
	if _, err := r.Destroy(bg, "cancel.test", slowProgram(40), nil); err != nil {
		t.Fatal(err)
	}
}
