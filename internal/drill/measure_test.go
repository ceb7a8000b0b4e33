package drill

import (
	"testing"
	"time"
)

// timeline builds attempts every 100 ms from a pattern: '+' acknowledged, '-' failed.
func timeline(start time.Time, pattern string) []Attempt {
	var out []Attempt
	for i, c := range pattern {
		out = append(out, Attempt{At: start.Add(time.Duration(i) * 100 * time.Millisecond), Seq: int64(i + 1), OK: c == '+'})
	}
	return out
}

func TestMeasureOutage(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		pattern     string
		injectAt    int
		rto         time.Duration
		failed      int
		unrecovered bool
	}{
		{"++++++++", 2, 0, 0, false},                          // nothing failed
		{"+++---++++", 2, 300 * time.Millisecond, 3, false},   // one outage
		{"+++-+-+-++++", 2, 500 * time.Millisecond, 3, false}, // interleaved (active-active): to the last failure
		{"-+++---+++", 2, 300 * time.Millisecond, 3, false},   // a failure before the injection does not count
		{"+++------", 2, 0, 6, true},                          // never recovered
	}
	for _, c := range cases {
		a := timeline(t0, c.pattern)
		o := MeasureOutage(a, a[c.injectAt].At)
		if o.RTO() != c.rto || o.Failed != c.failed || o.Unrecovered != c.unrecovered {
			t.Errorf("%s: RTO %s failed %d unrecovered %v; want %s %d %v", c.pattern, o.RTO(), o.Failed, o.Unrecovered, c.rto, c.failed, c.unrecovered)
		}
	}
}

func TestMeasureDataLoss(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := timeline(t0, "++++-+++") // seqs 1..8, 5 failed
	d := MeasureDataLoss(a, []int64{1, 2, 3, 4, 5, 6, 7, 8})
	if d.Acknowledged != 7 || len(d.Lost) != 0 || d.Window != 0 {
		t.Errorf("nothing lost: %+v", d)
	}
	d = MeasureDataLoss(a, []int64{1, 2, 3, 8})
	if len(d.Lost) != 3 || d.Lost[0] != 4 || d.Lost[2] != 7 || d.Window != 300*time.Millisecond {
		t.Errorf("4, 6, 7 lost: %+v", d)
	}
}

func TestRecovered(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inject := t0.Add(200 * time.Millisecond)
	for pattern, want := range map[string]bool{
		"++++++++++++++":     true,  // no failure: steady a second after the injection
		"+++---+++++++":      false, // 700 ms since the last failure
		"+++---++++++++++++": true,
		"+++---++++++++++-":  false, // failing again
		"++":                 false,
	} {
		if got := recovered(timeline(t0, pattern), inject, time.Second); got != want {
			t.Errorf("%s: recovered = %v, want %v", pattern, got, want)
		}
	}
}
