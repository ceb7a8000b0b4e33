package receipt

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// StateReader reads what a preview reads besides its program
// (engine.Runner.PreviewInputs).
type StateReader interface {
	PreviewInputs(stack string, reads []string) (engine.PreviewInputs, error)
}

// Keeper gives an orchestrator its receipts (orchestrate.Receipts): it
// answers a preview from the stack's receipt when the fingerprint matches,
// and writes a receipt when the engine found a stack had nothing to change.
type Keeper struct {
	Book     *Book
	Engine   StateReader
	Topology *topology.Topology
	// Project is the Pulumi project's name (the stacks' URNs).
	Project string
	// TrustUp says an up that succeeded leaves, in the stack's state,
	// exactly what a preview compares the program's requests against, so
	// that a preview right after it has nothing to change: true for the
	// local target, whose provider (bulwark's own) keeps the inputs it was
	// given as the state its Diff compares. Elsewhere (pulumi-aws may
	// normalise what it was given) only an engine preview writes receipts.
	TrustUp bool
	// Now is the clock of the receipts' times (time.Now when nil).
	Now func() time.Time
}

var _ orchestrate.Receipts = (*Keeper)(nil)

// Begin starts the check: the program's digest is computed beside the
// engine's start. An up forgets the stack's receipt first: whatever it
// leaves, the receipt no longer holds until the up says so.
func (k *Keeper) Begin(op engine.Op, ref stacks.Ref, in stacks.RunInputs, reads []stacks.Ref) orchestrate.ReceiptCheck {
	c := &check{k: k, op: op, stack: ref.String(), done: make(chan struct{})}
	for _, r := range reads {
		c.reads = append(c.reads, r.String())
	}
	if op == engine.OpUp {
		_ = k.Book.Remove(c.stack) // a receipt left behind only ever mismatches
	}
	go func() {
		defer close(c.done)
		c.graph, c.program, c.err = plan.Digest(k.Topology, in, ref, k.Project, nil)
	}()
	return c
}

// check is one stack's check.
type check struct {
	k     *Keeper
	op    engine.Op
	stack string
	reads []string

	done    chan struct{}
	graph   *plan.StackGraph
	program []byte
	err     error
}

// fingerprint is the stack's fingerprint as things are now.
func (c *check) fingerprint() (string, error) {
	<-c.done
	if c.err != nil {
		return "", c.err
	}
	in, err := c.k.Engine.PreviewInputs(c.stack, c.reads)
	if err != nil {
		return "", err
	}
	return c.k.Book.Fingerprint(c.stack, c.program, in)
}

// Answer is the receipt's answer when its fingerprint is the stack's now.
func (c *check) Answer() (orchestrate.Answer, bool) {
	if c.op != engine.OpPreview {
		return orchestrate.Answer{}, false
	}
	fp, err := c.fingerprint()
	if err != nil {
		return orchestrate.Answer{}, false
	}
	r, ok := c.k.Book.Lookup(c.stack, fp)
	if !ok {
		return orchestrate.Answer{}, false
	}
	return orchestrate.Answer{
		Changes: r.Changes,
		Steps:   c.steps(),
		Note: fmt.Sprintf("answered from its receipt: nothing it reads changed since the engine's %s at %s found nothing to change (preview --engine runs the engine)",
			r.By, r.At.UTC().Format(time.RFC3339)),
	}, true
}

// Done writes the stack's receipt when the engine found it had nothing to
// change: a preview of unchanged steps only, or an up the keeper trusts.
func (c *check) Done(changes map[string]int) {
	var unchanged map[string]int
	switch {
	case c.op == engine.OpPreview && onlyUnchanged(changes):
		unchanged = changes
	case c.op == engine.OpUp && c.k.TrustUp:
		unchanged = afterUp(changes)
	default:
		return
	}
	if len(unchanged) == 0 {
		return
	}
	fp, err := c.fingerprint()
	if err != nil {
		return // the next preview runs the engine
	}
	now := time.Now
	if c.k.Now != nil {
		now = c.k.Now
	}
	_ = c.k.Book.Write(Receipt{Stack: c.stack, Fingerprint: fp, Changes: unchanged, By: string(c.op), At: now()})
}

// onlyUnchanged reports whether a preview's changes are unchanged steps only.
func onlyUnchanged(changes map[string]int) bool {
	for op, n := range changes {
		if n > 0 && op != "same" && op != "read" {
			return false
		}
	}
	return len(changes) > 0
}

// afterUp is what a preview right after an up reports: every resource the
// up left (created, kept, updated, replaced or imported) unchanged, and
// what the program reads read again.
func afterUp(changes map[string]int) map[string]int {
	out := map[string]int{}
	for op, n := range changes {
		switch op {
		case "create", "same", "update", "replace", "import":
			out["same"] += n
		case "read":
			out["read"] += n
		}
	}
	return out
}

// steps are the unchanged steps the engine's preview reports, one per
// resource the program registers and the stack itself, with the inputs
// the program gives them.
func (c *check) steps() []engine.Event {
	if c.graph == nil {
		return nil
	}
	project := c.k.Project
	if project == "" {
		project = "bulwark"
	}
	name := project + "-" + c.stack // the engine's name of a stack's root
	root := resource.NewURN(tokens.QName(c.stack), tokens.PackageName(project), "", resource.RootStackType, name)
	step := engine.Event{Stack: c.stack, Kind: engine.EventStep, Op: "same", URN: string(root), Type: string(resource.RootStackType), Name: name}
	events := []engine.Event{step}
	for _, r := range c.graph.Resources {
		op := "same"
		if r.Type == plan.StackReferenceType {
			op = "read"
		}
		events = append(events, engine.Event{Stack: c.stack, Kind: engine.EventStep, Op: op, URN: r.URN, Type: r.Type, Name: r.Name,
			Parent: r.Parent, Custom: r.Custom, Inputs: r.Inputs})
	}
	// each step begins and is done, as the engine's events say
	for i := range len(events) {
		done := events[i]
		done.Kind = engine.EventStepDone
		events = append(events, done)
	}
	return events
}
