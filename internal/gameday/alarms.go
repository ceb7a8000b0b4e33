package gameday

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/drill"
)

// OwnAlarm is an alarm the game day caused itself: first seen firing
// after its first drill started.
type OwnAlarm struct {
	Alarm     string    `json:"alarm"`
	FirstSeen time.Time `json:"first_seen"`
	// During is the drill under way when it was first seen.
	During string `json:"during"`
}

// Alarms tells the alarms a game day caused itself from those that fired
// before it, across every drill's stop conditions (Wrap). The first check
// of any wrapped stop conditions (the first drill's preflight) is the
// baseline: what fires then fired before the game day and is never set
// aside. An alarm is a string the stop conditions return, one per firing
// episode (they print when it began).
type Alarms struct {
	clk clock.Clock

	mu       sync.Mutex
	based    bool
	baseline map[string]bool
	own      []OwnAlarm
	seen     map[string]bool
	during   string
}

// NewAlarms makes the tracker of one game day (clk: nil for the wall clock).
func NewAlarms(clk clock.Clock) *Alarms {
	return &Alarms{clk: clock.OrReal(clk), baseline: map[string]bool{}, seen: map[string]bool{}}
}

// Wrap returns stop conditions that report what inner reports less the
// game day's own alarms (nil stays nil: the drill watches nothing).
func (a *Alarms) Wrap(inner drill.StopConditions) drill.StopConditions {
	if inner == nil {
		return nil
	}
	return wrapped{a: a, inner: inner}
}

// During names the drill under way, for the alarms first seen from now on.
func (a *Alarms) During(label string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.during = label
}

// Own lists the alarms set aside, in the order first seen.
func (a *Alarms) Own() []OwnAlarm {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.own)
}

// Baseline lists the alarms that fired before the game day (nil before
// the first check).
func (a *Alarms) Baseline() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for s := range a.baseline {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

type wrapped struct {
	a     *Alarms
	inner drill.StopConditions
}

// Breached asks inner twice: for every alarm, to note the game day's own
// wherever they fire (inside the blast radius too), and for those outside
// the regions given, less the game day's own.
func (w wrapped) Breached(ctx context.Context, outside []string) ([]string, error) {
	if err := w.a.base(ctx, w.inner); err != nil {
		return nil, err
	}
	all, err := w.inner.Breached(ctx, nil)
	if err != nil {
		return nil, err
	}
	w.a.filter(all)
	alarms := all
	if len(outside) > 0 {
		if alarms, err = w.inner.Breached(ctx, outside); err != nil {
			return nil, err
		}
	}
	return w.a.filter(alarms), nil
}

// base takes the baseline at the first check: every alarm that fires,
// whatever the blast radius.
func (a *Alarms) base(ctx context.Context, inner drill.StopConditions) error {
	a.mu.Lock()
	based := a.based
	a.mu.Unlock()
	if based {
		return nil
	}
	all, err := inner.Breached(ctx, nil)
	if err != nil {
		return err // no baseline yet: the next check takes it
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.based {
		a.based = true
		for _, s := range all {
			a.baseline[s] = true
		}
	}
	return nil
}

// filter keeps the alarms of the baseline and sets the others aside.
func (a *Alarms) filter(alarms []string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var keep []string
	for _, s := range alarms {
		if a.baseline[s] {
			keep = append(keep, s)
			continue
		}
		if !a.seen[s] {
			a.seen[s] = true
			a.own = append(a.own, OwnAlarm{Alarm: s, FirstSeen: a.clk.Now(), During: a.during})
		}
	}
	return keep
}
