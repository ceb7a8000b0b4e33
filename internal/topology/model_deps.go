package topology

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Need is how much a service needs what it calls.
type Need string

const (
	// NeedHard: the service cannot answer without it.
	NeedHard Need = "hard"
	// NeedSoft: the service answers without it, degraded.
	NeedSoft Need = "soft"
)

// OnFailure is what a service does when a dependency fails.
type OnFailure string

const (
	// FailRequest fails the request (the default).
	FailRequest OnFailure = "fail"
	// ServeCached answers from what it kept of earlier answers.
	ServeCached OnFailure = "serve-cached"
	// QueueWrites accepts writes and sends them once the dependency is back.
	QueueWrites OnFailure = "queue-writes"
)

// Dependency is one thing a service calls: another service of the
// environment or an external endpoint, how much it needs it, and how it
// calls it.
type Dependency struct {
	// On names a service of the environment or an external block.
	On string
	// External is set when On names an external block.
	External bool
	Need     Need
	// Timeout bounds one attempt; Tries counts attempts, the first
	// included (1: no retry); Backoff is the wait before the second
	// attempt, doubling after each further one.
	Timeout   time.Duration
	Tries     int
	Backoff   time.Duration
	OnFailure OnFailure
	DeclRange hcl.Range
}

// Budget is the longest one call to the dependency may take: every
// attempt's timeout and the backoffs between them.
func (d Dependency) Budget() time.Duration {
	total := time.Duration(d.Tries) * d.Timeout
	wait := d.Backoff
	for i := 1; i < d.Tries; i++ {
		total += wait
		wait *= 2
	}
	return total
}

// External is an endpoint outside the environment that services call (a
// card network, a third-party API), with what its provider promises.
type External struct {
	Name string
	// Availability is the share of time it answers, as its provider
	// states it (0.9995 for "99.95%").
	Availability float64
	// Regions are the environment's regions it can be reached from (its
	// own regions' equivalents); empty: from every region.
	Regions   []string
	DeclRange hcl.Range
}

// Dependency defaults and limits.
const (
	DefaultDependencyTimeout = 2 * time.Second
	DefaultDependencyTries   = 1
	MaxDependencyTries       = 10
	// DefaultRetryAmplification is the most attempts one request may
	// become along a call chain unless the environment says otherwise.
	DefaultRetryAmplification = 10
)

// LongestCallerTimeout is the longest per-attempt timeout among the
// environment's dependencies on the service (0: nothing calls it): its
// load balancer must wait at least that long for an answer.
func (t *Topology) LongestCallerTimeout(service string) time.Duration {
	var longest time.Duration
	for _, s := range t.Services {
		for _, d := range s.Dependencies {
			if !d.External && d.On == service {
				longest = max(longest, d.Timeout)
			}
		}
	}
	return longest
}
