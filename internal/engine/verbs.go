package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func changes[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// call runs one engine operation on a stack with the event channel wired in,
// returning the resource changes and (for up) the outputs.
type call func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, parallel int) (map[string]int, auto.OutputMap, error)

// operate is the shape of every verb: select the stack, pump its events into
// progress, run, classify the error.
func (r *Runner) operate(ctx context.Context, op Op, stack string, program pulumi.RunFunc, progress Progress, run call) (Result, error) {
	start := time.Now()
	out := Result{Stack: stack, Op: op}
	s, err := r.stack(ctx, stack, program)
	if err != nil {
		return out, err
	}
	for _, note := range r.repairAfterCrash(ctx, stack) {
		if progress != nil {
			progress(Event{Stack: stack, Kind: EventDiagnostic, Severity: "decision", Message: note})
		}
	}
	ch, done, diags := pump(stack, progress)
	changes, outputs, err := run(ctx, s, ch, r.cfg.Parallel)
	drain(done, err)
	out.Duration = time.Since(start)
	if err != nil {
		select {
		case <-done:
			if len(*diags) > 0 && !auto.IsConcurrentUpdateError(err) && ctx.Err() == nil {
				return out, fmt.Errorf("%w: %s %s: %s", ErrEngine, op, stack, strings.Join(*diags, "\n"))
			}
		default:
		}
		return out, classify(stack, string(op), err)
	}
	out.Changes, out.Outputs = changes, plainOutputs(outputs, false)
	return out, nil
}

// Up deploys one stack.
func (r *Runner) Up(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpUp, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optup.Option{optup.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optup.Parallel(n))
		}
		if r.cfg.RefreshBeforeUp {
			opts = append(opts, optup.Refresh())
		}
		res, err := s.Up(ctx, opts...)
		return summaryChanges(res.Summary), res.Outputs, err
	})
}

// Preview shows what Up would change, without changing anything.
func (r *Runner) Preview(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpPreview, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optpreview.Option{optpreview.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optpreview.Parallel(n))
		}
		res, err := s.Preview(ctx, opts...)
		return changes(res.ChangeSummary), nil, err
	})
}

// Refresh reads the actual state of every resource into the stack's state.
func (r *Runner) Refresh(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.refresh(ctx, OpRefresh, stack, program, progress)
}

// DriftCheck refreshes a stack in preview-only mode: each resource is read
// from the provider and compared with the state, and nothing is written.
// Progress receives a step per resource ("update" when it differs,
// "delete" when it is gone, with Diffs, Old and New).
func (r *Runner) DriftCheck(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.refresh(ctx, OpDrift, stack, program, progress)
}

// refresh is Refresh (OpRefresh) or its preview-only form (OpDrift).
func (r *Runner) refresh(ctx context.Context, op Op, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, op, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optrefresh.Option{optrefresh.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optrefresh.Parallel(n))
		}
		if op == OpDrift {
			res, err := s.PreviewRefresh(ctx, opts...)
			return changes(res.ChangeSummary), nil, err
		}
		res, err := s.Refresh(ctx, opts...)
		return summaryChanges(res.Summary), nil, err
	})
}

// Destroy deletes every resource of one stack; the (empty) stack remains.
func (r *Runner) Destroy(ctx context.Context, stack string, program pulumi.RunFunc, progress Progress) (Result, error) {
	return r.operate(ctx, OpDestroy, stack, program, progress, func(ctx context.Context, s auto.Stack, ch chan<- events.EngineEvent, n int) (map[string]int, auto.OutputMap, error) {
		opts := []optdestroy.Option{optdestroy.EventStreams(ch)}
		if n > 0 {
			opts = append(opts, optdestroy.Parallel(n))
		}
		res, err := s.Destroy(ctx, opts...)
		return summaryChanges(res.Summary), nil, err
	})
}

func summaryChanges(s auto.UpdateSummary) map[string]int {
	if s.ResourceChanges == nil {
		return nil
	}
	return changes(*s.ResourceChanges)
}

// Outputs returns a deployed stack's outputs; secrets are masked unless showSecrets.
func (r *Runner) Outputs(ctx context.Context, stack string, showSecrets bool) (map[string]any, error) {
	exists, err := r.Exists(ctx, stack)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", ErrNoStack, stack)
	}
	s, err := r.stack(ctx, stack, noProgram)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, classify(stack, "outputs", err)
	}
	return plainOutputs(outs, showSecrets), nil
}

// Exists reports whether the backend holds the stack.
func (r *Runner) Exists(ctx context.Context, stack string) (bool, error) {
	if exists, known := r.inFileBackend(stack); known {
		return exists, nil
	}
	ws, err := r.workspace(ctx)
	if err != nil {
		return false, err
	}
	list, err := ws.ListStacks(ctx)
	if err != nil {
		return false, classify(stack, "list stacks", err)
	}
	for _, s := range list {
		if s.Name == stack || strings.HasSuffix(s.Name, "/"+stack) {
			return true, nil
		}
	}
	return false, nil
}

// Remove deletes a stack and its state, abandoning whatever resources the
// state names (they are not destroyed): for a region rebuilt from scratch,
// whose resources are gone or already forgotten. A lock an interrupted
// update left is removed first. Removing a stack that does not exist is
// not an error.
func (r *Runner) Remove(ctx context.Context, stack string) error {
	exists, err := r.Exists(ctx, stack)
	if err != nil || !exists {
		return err
	}
	_ = r.Unlock(ctx, stack)
	ws, err := r.workspace(ctx)
	if err != nil {
		return err
	}
	if err := ws.RemoveStack(ctx, stack, optremove.Force()); err != nil {
		return classify(stack, "remove stack", err)
	}
	return nil
}

// Unlock removes the locks another (crashed) update left on the stack.
func (r *Runner) Unlock(ctx context.Context, stack string) error {
	s, err := r.stack(ctx, stack, noProgram)
	if err != nil {
		return err
	}
	if err := s.Cancel(ctx); err != nil {
		return classify(stack, "unlock", err)
	}
	return nil
}

func noProgram(*pulumi.Context) error { return nil }

func plainOutputs(outs auto.OutputMap, showSecrets bool) map[string]any {
	m := make(map[string]any, len(outs))
	for k, v := range outs {
		if v.Secret && !showSecrets {
			m[k] = "[secret]"
			continue
		}
		m[k] = v.Value
	}
	return m
}
