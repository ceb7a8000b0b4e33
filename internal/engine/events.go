package engine

import (
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// pump forwards the engine's events to progress until the channel closes,
// keeping the error diagnostics (the engine's own account of a failure).
func pump(stack string, progress Progress) (chan events.EngineEvent, <-chan struct{}, *[]string) {
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	var errs []string
	go func() {
		defer close(done)
		for e := range ch {
			ev, ok := convert(stack, e)
			if !ok {
				continue
			}
			if ev.Kind == EventDiagnostic && ev.Severity == "error" {
				errs = append(errs, ev.Message)
			}
			if progress != nil {
				progress(ev)
			}
		}
	}()
	return ch, done, &errs
}

// drain waits for the last events to be delivered. The Automation API closes
// the event channel when the CLI ends its event stream; a CLI that fails
// before the engine starts (a lock, a bad backend) never opens one, so a
// failed operation waits only briefly.
func drain(done <-chan struct{}, opErr error) {
	grace := 10 * time.Second
	if opErr != nil {
		grace = time.Second
	}
	select {
	case <-done:
	case <-time.After(grace):
	}
}

func convert(stack string, e events.EngineEvent) (Event, bool) {
	step := func(kind EventKind, m apitype.StepEventMetadata) Event {
		ev := Event{Stack: stack, Kind: kind, Op: string(m.Op), URN: m.URN, Type: m.Type, Name: urnName(m.URN)}
		state := m.New
		if state == nil {
			state = m.Old
		}
		if state != nil {
			ev.Parent, ev.Custom, ev.Inputs = state.Parent, state.Custom, state.Inputs
		}
		ev.Diffs = m.Diffs
		if m.Old != nil {
			ev.Old = m.Old.Outputs
		}
		if m.New != nil {
			ev.New = m.New.Outputs
		}
		return ev
	}
	switch {
	case e.ResourcePreEvent != nil:
		return step(EventStep, e.ResourcePreEvent.Metadata), true
	case e.ResOutputsEvent != nil:
		return step(EventStepDone, e.ResOutputsEvent.Metadata), true
	case e.ResOpFailedEvent != nil:
		return step(EventStepFailed, e.ResOpFailedEvent.Metadata), true
	case e.DiagnosticEvent != nil && !e.DiagnosticEvent.Ephemeral:
		d := e.DiagnosticEvent
		return Event{Stack: stack, Kind: EventDiagnostic, URN: d.URN, Name: urnName(d.URN), Severity: d.Severity, Message: strings.TrimSpace(d.Message)}, true
	}
	return Event{}, false
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
