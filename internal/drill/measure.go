package drill

import (
	"maps"
	"slices"
	"sort"
	"time"
)

// Attempt is one probe request.
type Attempt struct {
	At      time.Time     `json:"at"`
	Seq     int64         `json:"seq"`
	Client  int           `json:"client"` // which of the probe's clients made it
	OK      bool          `json:"ok"`     // the write was acknowledged
	Latency time.Duration `json:"latency_ns"`
	Region  string        `json:"region,omitempty"` // who answered
	Error   string        `json:"error,omitempty"`
	// Ask is what a read asked ("GET /"); empty for the numbered write.
	Ask string `json:"ask,omitempty"`
	// Degraded says why a served answer was degraded (Classify): "without
	// reviews", "queued", "cache STALE"; empty when whole or failed.
	Degraded string `json:"degraded,omitempty"`
	// Queued is set on a write the service acknowledged queued (202).
	Queued bool `json:"queued,omitempty"`
}

// IsWrite says whether the attempt was a numbered write.
func (a Attempt) IsWrite() bool { return a.Ask == "" }

// Request names what the attempt asked: "POST /writes" or its Ask.
func (a Attempt) Request() string {
	if a.Ask == "" {
		return WriteAsk().String()
	}
	return a.Ask
}

// Outage is what the probe's clients saw of one disruption.
type Outage struct {
	// FirstFailure and Recovered bound the outage: the first failed attempt
	// after the injection, and the first success after the last failure,
	// of any client.
	FirstFailure time.Time `json:"first_failure,omitempty"`
	Recovered    time.Time `json:"recovered,omitempty"`
	Failed       int       `json:"failed"`
	// Unrecovered is set when a client still failed at its last attempt.
	Unrecovered bool `json:"unrecovered,omitempty"`
	// Clients is each client's outage, from its own first failure to its
	// first success after its own last failure (0: it saw none), in the
	// order of the clients' numbers.
	Clients []time.Duration `json:"clients_ns,omitempty"`
}

// RTO is the outage a client typically saw: the mean of the clients'
// outages (0 when nothing failed). An outage measured otherwise than by
// clients (a restore's copy) runs from FirstFailure to Recovered.
func (o Outage) RTO() time.Duration {
	if len(o.Clients) > 0 {
		var sum time.Duration
		for _, c := range o.Clients {
			sum += c
		}
		return sum / time.Duration(len(o.Clients))
	}
	if o.FirstFailure.IsZero() || o.Recovered.IsZero() {
		return 0
	}
	return o.Recovered.Sub(o.FirstFailure)
}

// Longest is the longest outage a client saw.
func (o Outage) Longest() time.Duration {
	if len(o.Clients) == 0 {
		return o.RTO()
	}
	return slices.Max(o.Clients)
}

// MeasureOutage reads the attempts made after the injection, client by
// client.
func MeasureOutage(attempts []Attempt, injected time.Time) Outage {
	byClient := map[int][]Attempt{}
	for _, a := range attempts {
		byClient[a.Client] = append(byClient[a.Client], a)
	}
	var o Outage
	for _, client := range slices.Sorted(maps.Keys(byClient)) {
		c := measureClient(byClient[client], injected)
		if !c.FirstFailure.IsZero() && (o.FirstFailure.IsZero() || c.FirstFailure.Before(o.FirstFailure)) {
			o.FirstFailure = c.FirstFailure
		}
		if c.Recovered.After(o.Recovered) {
			o.Recovered = c.Recovered
		}
		o.Failed += c.Failed
		o.Unrecovered = o.Unrecovered || c.Unrecovered
		o.Clients = append(o.Clients, c.RTO())
	}
	if o.Failed == 0 {
		o.Clients = nil // nothing to average: the RTO is 0
	}
	return o
}

// measureClient is one client's outage.
func measureClient(attempts []Attempt, injected time.Time) Outage {
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
		if !a.OK || !a.IsWrite() {
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
