package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestScaledClockRunsFaster(t *testing.T) {
	c := NewScaled(600) // ten minutes a second
	start := c.Now()
	if err := c.Sleep(context.Background(), time.Minute); err != nil { // 100 ms of wall time
		t.Fatal(err)
	}
	if got := Since(c, start); got < time.Minute {
		t.Errorf("slept a minute of scaled time, but only %s passed on it", got)
	}
	ctx, cancel := c.WithTimeout(context.Background(), 30*time.Second) // 50 ms of wall time
	defer cancel()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("timeout: %v", ctx.Err())
	}
}

func TestSleepStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Real.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if NewScaled(0).Factor() != 1 || OrReal(nil) != Real {
		t.Error("defaults")
	}
}
