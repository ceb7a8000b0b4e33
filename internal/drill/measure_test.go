package drill

import (
	"slices"
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

// Each client's outage runs from its own first failure to its own first
// success after its last failure; the RTO is their mean, Longest their
// maximum.
func TestMeasureOutageClients(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var attempts []Attempt
	for client, pattern := range []string{
		"++--++++++", // 200 ms
		"++----++++", // 400 ms
		"++++++++++", // nothing
		"++---+-+++", // 500 ms: to the success after its last failure
	} {
		for _, a := range timeline(t0, pattern) {
			a.Client, a.Seq = client, int64(client*100)+a.Seq
			attempts = append(attempts, a)
		}
	}
	o := MeasureOutage(attempts, t0.Add(150*time.Millisecond))
	if want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 0, 500 * time.Millisecond}; !slices.Equal(o.Clients, want) {
		t.Errorf("clients' outages %v, want %v", o.Clients, want)
	}
	if o.RTO() != 275*time.Millisecond || o.Longest() != 500*time.Millisecond || o.Failed != 10 || o.Unrecovered {
		t.Errorf("RTO %s longest %s failed %d unrecovered %v; want 275ms 500ms 10 false", o.RTO(), o.Longest(), o.Failed, o.Unrecovered)
	}
	if !o.FirstFailure.Equal(t0.Add(200*time.Millisecond)) || !o.Recovered.Equal(t0.Add(700*time.Millisecond)) {
		t.Errorf("bounds %s..%s, want +200ms..+700ms", o.FirstFailure.Sub(t0), o.Recovered.Sub(t0))
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
		if got := recovered(timeline(t0, pattern), inject, time.Second, time.Second); got != want {
			t.Errorf("%s: recovered = %v, want %v", pattern, got, want)
		}
	}
	// two clients: one steady, the other failed 500 ms ago, or silent
	// for 1.5 s (its write hangs)
	steady := timeline(t0, "++++++++++++++++++++")
	failing := timeline(t0, "+++++++++++++-+++++")
	silent := timeline(t0, "+++++")
	for i := range failing {
		failing[i].Client = 1
	}
	for i := range silent {
		silent[i].Client = 1
	}
	for name, c := range map[string]struct {
		other []Attempt
		want  bool
	}{"failing": {failing, false}, "silent": {silent, false}, "both steady": {steady[:19], true}} {
		other := slices.Clone(c.other)
		for i := range other {
			other[i].Client = 1
		}
		all := append(slices.Clone(steady), other...)
		slices.SortStableFunc(all, func(a, b Attempt) int { return a.At.Compare(b.At) })
		if got := recovered(all, inject, time.Second, 1200*time.Millisecond); got != c.want {
			t.Errorf("%s: recovered = %v, want %v", name, got, c.want)
		}
	}
}
