// Package clock is the time that drills, runbooks and the AWS fakes share:
// the wall clock in production, and in tests a scaled clock on which
// minutes of AWS time (an Aurora failover, a DNS TTL, Route 53's checks)
// pass in a fraction of a second, so that code written for AWS's timings
// runs unchanged against the fakes, compressed.
//
// It is not a scheduler and not a fake clock that a test advances by
// hand: a scaled clock moves on its own, faster than the wall clock by a
// constant factor, so concurrent parts (a probe, a waiter, a fake's state
// machine) stay in step without coordinating.
package clock
