package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// BlueGreenTarget is what the orchestrator needs to move one blue-green
// service of a region: the image it should run, how many instances its
// serving group runs now, and where it stood after the last up.
type BlueGreenTarget struct {
	Image   topology.ImageRef
	Serving int
	// Previous is nil when the service was never deployed in the region.
	Previous *topology.BlueGreenState
}

// serviceMove is one blue-green service's states through the phases.
type serviceMove struct {
	name string
	// steady is where it ends when nothing rolls out or a rollout fails:
	// the serving colour alone, on the image it runs.
	steady topology.BlueGreenState
	// staged, switched and retired are a rollout's phases; zero when the
	// service has nothing to roll out.
	staged, switched, retired topology.BlueGreenState
	// stale: a group left beside the serving one by an interrupted run
	stale bool
	// current is where it stands now (zero when never deployed)
	current topology.BlueGreenState
	// bake is the service's bake time
	bake time.Duration
}

func (m serviceMove) rolling() bool { return m.staged.Groups != nil }

// planMove works out a service's phases from where it stands and what it
// should run.
func planMove(s topology.Service, t BlueGreenTarget) serviceMove {
	m := serviceMove{name: s.Name, bake: s.Rollout.Bake}
	prev := t.Previous
	if prev != nil {
		m.current = *prev
	}
	if prev == nil || len(prev.Groups) == 0 {
		// never deployed: one group, blue, in one up
		m.steady = topology.BlueGreenState{Live: topology.Blue, Groups: map[topology.Colour]topology.ImageRef{topology.Blue: t.Image}, Serving: t.Serving}
		return m
	}
	live := prev.Live
	serving := prev.Groups[live]
	idle := live.Other()
	m.steady = topology.BlueGreenState{Live: live, Groups: map[topology.Colour]topology.ImageRef{live: serving}, Serving: t.Serving}
	if _, ok := prev.Groups[idle]; ok {
		m.stale = true
	}
	if serving == t.Image {
		return m
	}
	both := map[topology.Colour]topology.ImageRef{live: serving, idle: t.Image}
	m.staged = topology.BlueGreenState{Live: live, Groups: both, Serving: t.Serving}
	m.switched = topology.BlueGreenState{Live: idle, Groups: both, Serving: t.Serving}
	m.retired = topology.BlueGreenState{Live: idle, Groups: map[topology.Colour]topology.ImageRef{idle: t.Image}, Serving: t.Serving}
	// a stale group on the image to roll out is the stage already done
	m.stale = m.stale && prev.Groups[idle] != t.Image
	return m
}

// upBlueGreen deploys a region whose blue-green services the orchestrator
// switches in phases (AWS), each phase an up of the region's stack:
//
//  1. stage: each service that changes image gets a group of the other
//     colour on the new image beside the serving one, as large as the
//     serving one runs now; the up waits until its instances are healthy
//     in their target group (the listener still sends them nothing);
//  2. switch: the listener sends every request to the new colour;
//  3. bake: the region is watched for the longest bake of its moving
//     services (Bake), the old group still running;
//  4. retire: the old group is removed.
//
// A stage that does not become healthy, a switch that fails and a bake
// that does not pass all end the same way: the old colour serves, the new
// group is removed, and the region's result is failed. A group left beside
// the serving one by an interrupted run is baked and retired when it runs
// what the region should run, and removed first otherwise. Reports false
// when the region has no such service (the stack is deployed in one up).
// Each phase's program is given in with that phase's states.
func (o *Orchestrator) upBlueGreen(ctx context.Context, run verb, ref stacks.Ref, in stacks.RunInputs) (StackResult, bool) {
	moves, err := o.blueGreenMoves(ctx, ref)
	if err != nil {
		return StackResult{Stack: ref.String(), Op: engine.OpUp, Status: StatusFailed, Err: err}, true
	}
	if len(moves) == 0 {
		return StackResult{}, false
	}
	p := &phases{o: o, run: run, ref: ref, in: in, start: time.Now(), changes: map[string]int{}}
	states := func(pick func(serviceMove) topology.BlueGreenState) map[string]topology.BlueGreenState {
		out := map[string]topology.BlueGreenState{}
		for _, m := range moves {
			st := m.steady
			if m.rolling() {
				st = pick(m)
			}
			out[m.name] = st
		}
		return out
	}
	steady := func(m serviceMove) topology.BlueGreenState { return m.steady }
	var rolling, stale []string
	var bake, staleBake time.Duration // the longest of the moving services, of those with a stale group
	for _, m := range moves {
		if m.rolling() {
			rolling = append(rolling, fmt.Sprintf("%s to %s (%s)", m.name, m.switched.Live, m.switched.Groups[m.switched.Live].Digest))
			bake = max(bake, m.bake)
		}
		if m.stale {
			stale = append(stale, m.name)
			staleBake = max(staleBake, m.bake)
		}
	}
	if len(rolling) == 0 {
		if len(stale) == 0 {
			p.say("blue-green: no new image; one up")
			return p.up(ctx, states(steady)), true
		}
		// a run stopped after its switch: the serving colour runs the
		// image, the old one is still there; bake it, then retire
		p.say(fmt.Sprintf("blue-green: %s still has the previous group beside the serving one (an interrupted run); baking, then retiring it", strings.Join(stale, ", ")))
		if err := p.bake(ctx, staleBake); err != nil {
			return p.fail(fmt.Errorf("blue-green in %s: the serving colour did not pass its bake (the previous group is kept: the next up tries again): %w", ref.Region, err)), true
		}
		return p.up(ctx, states(steady)), true
	}
	if len(stale) > 0 {
		p.say(fmt.Sprintf("blue-green: removing an unfinished group of %s left by an interrupted run", strings.Join(stale, ", ")))
		if r := p.up(ctx, states(steady)); r.Status != StatusOK {
			return r, true
		}
	}
	p.say(fmt.Sprintf("blue-green: staging %s beside the serving groups; waiting for them to be healthy", strings.Join(rolling, ", ")))
	if r := p.up(ctx, states(func(m serviceMove) topology.BlueGreenState { return m.staged })); r.Status != StatusOK {
		return p.abort(ctx, states(steady), fmt.Errorf("blue-green in %s: the new groups did not become healthy: %w", ref.Region, r.Err)), true
	}
	p.say("blue-green: new groups healthy; switching the listeners to them")
	if r := p.up(ctx, states(func(m serviceMove) topology.BlueGreenState { return m.switched })); r.Status != StatusOK {
		return p.abort(ctx, states(steady), fmt.Errorf("blue-green in %s: switching the listeners: %w", ref.Region, r.Err)), true
	}
	if err := p.bake(ctx, bake); err != nil {
		return p.abort(ctx, states(steady), fmt.Errorf("blue-green in %s: the new groups did not pass their bake: %w", ref.Region, err)), true
	}
	p.say("blue-green: baked; retiring the previous groups")
	r := p.up(ctx, states(func(m serviceMove) topology.BlueGreenState { return m.retired }))
	if r.Status == StatusOK {
		r.Reason = "blue-green: " + strings.Join(rolling, ", ")
	}
	return r, true
}

// blueGreenMoves plans the moves of a region's blue-green services the
// orchestrator switches; none when it switches none there.
func (o *Orchestrator) blueGreenMoves(ctx context.Context, ref stacks.Ref) ([]serviceMove, error) {
	if o.BlueGreen == nil || ref.IsGlobal() {
		return nil, nil
	}
	outs, err := o.Engine.Outputs(ctx, ref.String(), false)
	if err != nil && !errors.Is(err, engine.ErrNoStack) {
		return nil, fmt.Errorf("blue-green in %s: reading where the services stand: %w", ref.Region, err)
	}
	targets, err := o.BlueGreen(ctx, ref.Region, outs)
	if err != nil {
		return nil, fmt.Errorf("blue-green in %s: %w", ref.Region, err)
	}
	var moves []serviceMove
	for _, s := range o.Topology.ServicesIn(ref.Region) {
		if target, ok := targets[s.Name]; ok {
			moves = append(moves, planMove(s, target))
		}
	}
	return moves, nil
}

// blueGreenStates are the blue-green states a preview, refresh or drift
// check of a region runs with: a preview shows where an up ends (the new
// colour alone serving), a refresh and a drift check compare with where
// the services stand. nil when the orchestrator switches no service there.
func (o *Orchestrator) blueGreenStates(ctx context.Context, op engine.Op, ref stacks.Ref) (map[string]topology.BlueGreenState, error) {
	moves, err := o.blueGreenMoves(ctx, ref)
	if err != nil || len(moves) == 0 {
		return nil, err
	}
	states := map[string]topology.BlueGreenState{}
	for _, m := range moves {
		switch {
		case op != engine.OpPreview && m.current.Groups != nil:
			states[m.name] = m.current
		case m.rolling():
			states[m.name] = m.retired
		default:
			states[m.name] = m.steady
		}
	}
	return states, nil
}

// phases runs one region's blue-green phases and sums them up.
type phases struct {
	o   *Orchestrator
	run verb
	ref stacks.Ref
	// in is what every phase's program is given, beside its states.
	in      stacks.RunInputs
	start   time.Time
	changes map[string]int
	last    StackResult
}

func (p *phases) say(msg string) { p.o.say(p.ref.String(), msg) }

// up runs one phase: an up of the region with the services in states.
func (p *phases) up(ctx context.Context, states map[string]topology.BlueGreenState) StackResult {
	in := p.in
	in.BlueGreen = states
	r := p.o.oneWith(ctx, engine.OpUp, p.run, p.ref, in)
	for op, n := range r.Changes {
		if op != "same" {
			p.changes[op] += n
		}
	}
	r.Changes, r.Duration = maps.Clone(p.changes), time.Since(p.start)
	p.last = r
	return r
}

// bake watches the region for d, when there is a bake to run.
func (p *phases) bake(ctx context.Context, d time.Duration) error {
	if p.o.Bake == nil || d <= 0 {
		p.say("blue-green: no bake set up")
		return nil
	}
	p.say(fmt.Sprintf("blue-green: baking %s, the previous groups kept", d))
	detail, err := p.o.Bake(ctx, p.ref.Region, d)
	if err == nil {
		p.say("blue-green: bake passed: " + detail)
	}
	return err
}

// abort puts the previous colour back in front and removes the new
// groups, then reports the phase's failure (and the clean-up's, if it too
// failed).
func (p *phases) abort(ctx context.Context, steady map[string]topology.BlueGreenState, cause error) StackResult {
	p.say(fmt.Sprintf("blue-green: %v; the previous groups serve again, the new ones are removed", cause))
	r := p.up(ctx, steady)
	if r.Status != StatusOK {
		cause = fmt.Errorf("%w; putting the previous groups back failed too: %w", cause, r.Err)
	}
	return p.fail(cause)
}

func (p *phases) fail(err error) StackResult {
	r := p.last
	r.Stack, r.Op, r.Status, r.Err, r.Duration = p.ref.String(), engine.OpUp, StatusFailed, err, time.Since(p.start)
	r.Changes = maps.Clone(p.changes)
	return r
}
