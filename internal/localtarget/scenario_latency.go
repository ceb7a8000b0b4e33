package localtarget

import (
	"context"
	"fmt"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.Latency, func(b *build) (drill.Scenario, error) {
		f, err := b.fault()
		if err != nil {
			return nil, err
		}
		links, err := b.links(f)
		if err != nil {
			return nil, err
		}
		return &Latency{Plane: b.plane, Links: links, Fault: f}, nil
	})
}

// Latency slows a caller's links to a service it depends on in the
// fault's regions: Toxiproxy delays every chunk of data each way by the
// fault's latency ± jitter, reached in steps over the ramp
// (drill.RampSteps); the drill holds it, the restore heals it. The
// caller's timeouts are to bound what its clients wait: its probe asks
// GET / of it.
type Latency struct {
	Plane *localapi.Client
	Links []localapi.ServiceID
	Fault drill.Fault
	clk   clock.Clock
}

var (
	_ drill.Degrader = (*Latency)(nil)
	_ drill.Clocked  = (*Latency)(nil)
)

func (s *Latency) Name() drill.ScenarioName        { return drill.Latency }
func (s *Latency) Disruption() topology.Disruption { return drill.DisruptionDependency }
func (s *Latency) UseClock(c clock.Clock)          { s.clk = c }
func (s *Latency) Degradation() drill.Degradation {
	return drill.Degradation{Fault: s.Fault, Asks: []drill.Ask{drill.PageAsk("/")}}
}

// Inject ramps the links' delay up, step by step, and returns once the
// ramp's time is over.
func (s *Latency) Inject(ctx context.Context) (string, error) {
	clk := clock.OrReal(s.clk)
	start := clk.Now()
	steps := drill.RampSteps(s.Fault)
	for _, st := range steps {
		if err := clk.Sleep(ctx, start.Add(st.After).Sub(clk.Now())); err != nil {
			return "", err
		}
		if err := setLinks(ctx, s.Plane, s.Links, localapi.LinkFault{Latency: st.Latency, Jitter: st.Jitter}); err != nil {
			return "", err
		}
	}
	if err := clk.Sleep(ctx, start.Add(s.Fault.Ramp).Sub(clk.Now())); err != nil {
		return "", err
	}
	return fmt.Sprintf("slowed %s to %s ± %s in %d step(s) over %s", linkNames(s.Links), s.Fault.Latency, s.Fault.Jitter, len(steps), s.Fault.Ramp), nil
}

func (s *Latency) Recover(context.Context) (string, error) {
	return "nothing to do: the caller's timeouts bound the wait", nil
}

func (s *Latency) Restore(ctx context.Context) (string, error) {
	if err := setLinks(ctx, s.Plane, s.Links, localapi.LinkFault{}); err != nil {
		return "", err
	}
	return "healed " + linkNames(s.Links), nil
}
