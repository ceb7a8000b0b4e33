package drill

import (
	"sort"
	"time"
)

// Attempt is one probe request.
type Attempt struct {
	At      time.Time     `json:"at"`
	Seq     int64         `json:"seq"`
	OK      bool          `json:"ok"` // the write was acknowledged
	Latency time.Duration `json:"latency_ns"`
	Region  string        `json:"region,omitempty"` // who answered
	Error   string        `json:"error,omitempty"`
}

// Outage is what the probe saw of one disruption.
type Outage struct {
	// FirstFailure and Recovered bound the outage: the first failed attempt
	// after the injection, and the first success after the last failure.
	FirstFailure time.Time `json:"first_failure,omitempty"`
	Recovered    time.Time `json:"recovered,omitempty"`
	Failed       int       `json:"failed"`
	// Unrecovered is set when the probe still failed at its last attempt.
	Unrecovered bool `json:"unrecovered,omitempty"`
}

// RTO is the outage's length (0 when nothing failed).
func (o Outage) RTO() time.Duration {
	if o.FirstFailure.IsZero() || o.Recovered.IsZero() {
		return 0
	}
	return o.Recovered.Sub(o.FirstFailure)
}

// MeasureOutage reads the attempts made after the injection.
func MeasureOutage(attempts []Attempt, injected time.Time) Outage {
	var o Outage
	lastFailure := -1
	for i, a := range attempts {
		if a.At.Before(injected) || a.OK {
			continue
		}
		if o.FirstFailure.IsZero() {
			o.FirstFailure = a.At
		}
		o.Failed++
		lastFailure = i
	}
	if lastFailure < 0 {
		return o
	}
	for _, a := range attempts[lastFailure+1:] {
		if a.OK {
			o.Recovered = a.At
			return o
		}
	}
	o.Unrecovered = true
	return o
}

// DataLoss is which acknowledged writes are missing afterwards.
type DataLoss struct {
	Acknowledged int     `json:"acknowledged"`
	Lost         []int64 `json:"lost"`
	// Window spans the lost writes' acknowledgements (the RPO).
	Window time.Duration `json:"window_ns"`
}

// MeasureDataLoss compares the acknowledged writes with those present.
func MeasureDataLoss(attempts []Attempt, present []int64) DataLoss {
	have := map[int64]bool{}
	for _, s := range present {
		have[s] = true
	}
	var d DataLoss
	var first, last time.Time
	for _, a := range attempts {
		if !a.OK {
			continue
		}
		d.Acknowledged++
		if !have[a.Seq] {
			d.Lost = append(d.Lost, a.Seq)
			if first.IsZero() || a.At.Before(first) {
				first = a.At
			}
			if a.At.After(last) {
				last = a.At
			}
		}
	}
	sort.Slice(d.Lost, func(i, j int) bool { return d.Lost[i] < d.Lost[j] })
	if len(d.Lost) > 0 {
		d.Window = last.Sub(first)
		if d.Window == 0 {
			d.Window = time.Millisecond // one lost write still loses something
		}
	}
	return d
}
