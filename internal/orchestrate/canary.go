package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// BakePrefix starts a bake's line in a summary ("bake west").
const BakePrefix = "bake "

// canary is the region a canary rollout changes first and how long it is
// baked: the first canary service's region, the longest bake of those
// naming it. Empty when no service rolls out by canary.
func (o *Orchestrator) canary() (string, time.Duration) {
	region := ""
	var bake time.Duration
	for _, s := range o.Topology.Services {
		if s.Rollout.Strategy != topology.RolloutCanary {
			continue
		}
		if region == "" {
			region = s.Rollout.Canary
		}
		if s.Rollout.Canary == region {
			bake = max(bake, s.Rollout.Bake)
		}
	}
	return region, bake
}

// upStacks deploys the stacks: with a canary rollout, the canary region's
// stack alone first, baked (Bake watches it), then the other regions and
// the global stack; a canary that fails or does not pass its bake stops
// the rollout, and the other regions keep what they run. A first deploy
// (no canary stack, or an empty one after a destroy), a canary stack with
// no change, or a run limited to one region goes everywhere at once. Each
// stack's program is given in (the layers' outputs).
func (o *Orchestrator) upStacks(ctx context.Context, in stacks.RunInputs) (Summary, error) {
	region, bake := o.canary()
	if region == "" || o.Region != "" {
		return o.forward(ctx, engine.OpUp, o.Engine.Up, false, in)
	}
	env := o.Topology.Environment.Name
	first := stacks.Ref{Env: env, Region: region}
	// no canary stack, or an empty one (a destroy keeps it): a first deploy
	outs, err := o.Engine.Outputs(ctx, first.String(), false)
	if err != nil && !errors.Is(err, engine.ErrNoStack) {
		return Summary{Op: engine.OpUp}, err
	}
	if len(outs) == 0 {
		o.say(first.String(), "first deploy: every region at once")
		return o.forward(ctx, engine.OpUp, o.Engine.Up, false, in)
	}
	refs, err := o.regions()
	if err != nil {
		return Summary{Op: engine.OpUp}, err
	}
	rest := slices.DeleteFunc(slices.Clone(refs), func(r stacks.Ref) bool { return r == first })
	global := stacks.Global(env)
	skipAll := func(sum *Summary, reason string) {
		for _, r := range append(rest, global) {
			sum.Results = append(sum.Results, skipped(ctx, r, engine.OpUp, reason))
		}
	}
	o.say(first.String(), fmt.Sprintf("canary rollout: %s first", region))
	sum := Summary{Op: engine.OpUp, Results: []StackResult{o.one(ctx, engine.OpUp, o.Engine.Up, first, in)}}
	canary := sum.Results[0]
	if canary.Status != StatusOK {
		skipAll(&sum, fmt.Sprintf("the canary region %s failed: the other regions keep what they run", region))
		return sum, sum.Err()
	}
	changed := false
	for op, n := range canary.Changes {
		changed = changed || op != "same" && n > 0
	}
	switch {
	case !changed:
		o.say(first.String(), "canary: no change, nothing to bake")
	case o.Bake == nil || bake <= 0:
		o.say(first.String(), "canary: changed; no bake check set up")
	default:
		o.say(first.String(), fmt.Sprintf("canary: changed; baking %s", bake))
		start := time.Now()
		detail, err := o.Bake(ctx, region, bake)
		b := StackResult{Stack: BakePrefix + region, Op: engine.OpUp, Status: StatusOK, Duration: time.Since(start), Reason: detail}
		if err != nil {
			b.Status, b.Err = StatusFailed, fmt.Errorf("the canary region %s did not pass its bake: %w", region, err)
			sum.Results = append(sum.Results, b)
			if r, ok := o.rollBackCanary(ctx, first, outs, in); ok {
				sum.Results = append(sum.Results, r)
			}
			skipAll(&sum, fmt.Sprintf("the canary region %s did not pass its bake: the other regions keep what they run", region))
			return sum, sum.Err()
		}
		sum.Results = append(sum.Results, b)
		o.say(first.String(), "canary: baked; the other regions follow")
	}
	results := o.concurrently(ctx, engine.OpUp, o.Engine.Up, rest, in)
	sum.Results = append(sum.Results, results...)
	for _, r := range results {
		if r.Status != StatusOK {
			sum.Results = append(sum.Results, skipped(ctx, global, engine.OpUp, "a regional stack did not succeed; the global stack reads them all"))
			return sum, sum.Err()
		}
	}
	// a rollout by canary keeps the databases' users too (every region is
	// up, the primaries among them): a service added since gets its own
	if o.AfterPrimaries != nil && o.Topology.Environment.Target == topology.TargetAWS {
		users := o.afterPrimaries(ctx, refs)
		sum.Results = append(sum.Results, users)
		if users.Status != StatusOK {
			sum.Results = append(sum.Results, skipped(ctx, global, engine.OpUp, AfterPrimariesStack+" did not succeed: DNS would send clients to services that cannot sign in"))
			return sum, sum.Err()
		}
	}
	sum.Results = append(sum.Results, o.one(ctx, engine.OpUp, o.Engine.Up, global, in))
	return sum, sum.Err()
}

// RollbackPrefix starts a canary rollback's line in a summary ("rollback west").
const RollbackPrefix = "rollback "

// rollBackCanary deploys the canary region's stack again with its services
// pinned to the images it ran before (PreviousImages, given the canary
// stack's outputs from before the rollout): the pins are this one run's
// inputs, beside in, and no other run sees them.
func (o *Orchestrator) rollBackCanary(ctx context.Context, canary stacks.Ref, before map[string]any, in stacks.RunInputs) (StackResult, bool) {
	if o.PreviousImages == nil {
		return StackResult{}, false
	}
	pins, err := o.PreviousImages(ctx, canary.Region, before)
	if err != nil || len(pins) == 0 {
		o.say(canary.String(), fmt.Sprintf("canary: no previous image to roll back to (%v)", err))
		return StackResult{}, false
	}
	o.say(canary.String(), "canary: rolling back to the image it ran before")
	in.ImageOverrides = pins
	r := o.one(ctx, engine.OpUp, o.Engine.Up, canary, in)
	r.Stack = RollbackPrefix + canary.Region
	if r.Status == StatusOK {
		r.Reason = "the canary runs the previous image again; the next up tries the new one"
	}
	return r, true
}

// say reports a decision of the orchestrator on a stack's line.
func (o *Orchestrator) say(stack, msg string) {
	if o.Progress != nil {
		o.Progress(engine.Event{Stack: stack, Kind: engine.EventDiagnostic, Severity: "decision", Message: msg})
	}
}

// BakeMinRequests is how many requests a region's load balancers must
// answer during a bake before a target's bake judges their error rate.
const BakeMinRequests = 20

// BakeVerdict says how a bake judged the requests a region's load
// balancers answered (the error rate was checked all along, once
// BakeMinRequests were answered).
func BakeVerdict(served float64) string {
	if served < BakeMinRequests {
		return fmt.Sprintf("%.0f requests: too few to judge an error rate", served)
	}
	return fmt.Sprintf("%.0f requests within the error budget", served)
}
