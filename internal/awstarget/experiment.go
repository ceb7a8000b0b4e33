package awstarget

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// FISExperiment injects a failure with an AWS FIS experiment template (an
// AZ power interruption, a cross-region connectivity cut, ...). The
// recovery and the return to steady state are Then's, if any; the
// experiment is stopped first when it still runs.
type FISExperiment struct {
	Ops      *awsrunbook.Clients
	Scenario drill.ScenarioName
	Kind     topology.Disruption
	Region   string
	Template string
	Then     drill.Scenario
	Wait     time.Duration
	Clock    clock.Clock
	exp      awsrunbook.Experiment
}

var (
	_ drill.Scenario = (*FISExperiment)(nil)
	_ drill.Clocked  = (*FISExperiment)(nil)
)

// UseClock sets the clock of the scenario, its runbook clients and Then,
// unless they have one.
func (s *FISExperiment) UseClock(c clock.Clock) {
	s.Clock = shareClock(s.Clock, c, s.Ops)
	if then, ok := s.Then.(drill.Clocked); ok {
		then.UseClock(s.Clock)
	}
}

func (s *FISExperiment) Name() drill.ScenarioName        { return s.Scenario }
func (s *FISExperiment) Disruption() topology.Disruption { return s.Kind }

func (s *FISExperiment) Inject(ctx context.Context) (string, error) {
	err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
		s.exp, err = s.Ops.StartExperiment(ctx, s.Region, s.Template, fmt.Sprintf("bulwark-%s-%d", s.Scenario, time.Now().UnixNano()), waitOr(s.Wait))
		return err
	})
	e := s.exp
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("FIS experiment %s from template %s %s in %s", e.ID, s.Template, e.Status, s.Region), nil
}

func (s *FISExperiment) Recover(ctx context.Context) (string, error) {
	if s.Then == nil {
		return "nothing to do: the experiment's actions run until it ends", nil
	}
	return s.Then.Recover(ctx)
}

func (s *FISExperiment) Restore(ctx context.Context) (string, error) {
	var notes []string
	if s.exp.ID != "" {
		var e awsrunbook.Experiment
		err := withinWait(ctx, s.Clock, s.Wait, func(ctx context.Context) (err error) {
			e, err = s.Ops.EndExperiment(ctx, s.exp, waitOr(s.Wait))
			return err
		})
		if err != nil {
			return "", err
		}
		notes = append(notes, fmt.Sprintf("experiment %s %s", e.ID, e.Status))
	}
	if s.Then != nil {
		note, err := s.Then.Restore(ctx)
		notes = append(notes, note)
		if err != nil {
			return strings.Join(notes, "; "), err
		}
	}
	return strings.Join(slices.DeleteFunc(notes, func(n string) bool { return n == "" }), "; "), nil
}
