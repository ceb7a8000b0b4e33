package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	// Now is the current time on this clock.
	Now() time.Time
	// Sleep waits d of this clock's time, or until ctx is done (its error).
	Sleep(ctx context.Context, d time.Duration) error
	// WithTimeout is context.WithTimeout with d in this clock's time.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// Since is the time elapsed on c since t.
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

// Until is the time on c until t.
func Until(c Clock, t time.Time) time.Duration { return t.Sub(c.Now()) }

// OrReal is c, or the wall clock when c is nil.
func OrReal(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Real is the wall clock.
var Real Clock = wall{}

type wall struct{}

func (wall) Now() time.Time { return time.Now() }

func (wall) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (wall) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// Scaled is a clock that runs Factor times as fast as the wall clock from
// the moment it is made: with Factor 60, a minute passes in a second.
type Scaled struct {
	factor float64
	origin time.Time // wall time at creation, also its reading then
}

// NewScaled makes a clock running factor times as fast as the wall clock
// (a factor below 1 is taken as 1).
func NewScaled(factor float64) *Scaled {
	return &Scaled{factor: max(1, factor), origin: time.Now()}
}

// Factor is how many times faster than the wall clock c runs.
func (c *Scaled) Factor() float64 { return c.factor }

// Now is the origin plus the wall time since, times the factor.
func (c *Scaled) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.origin)) * c.factor))
}

// Wall is how long d of c's time lasts on the wall clock.
func (c *Scaled) Wall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.factor) }

func (c *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	return Real.Sleep(ctx, c.Wall(d))
}

func (c *Scaled) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.Wall(d))
}
