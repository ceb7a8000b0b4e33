// Package rollout holds the checks that decide whether a rollout may go
// on: LocalBake watches a canary region of the local target through the
// control plane. The orchestrator (package orchestrate) sequences the
// regions; instance-by-instance replacement and rollback of a bad image
// happen in each group (package localcloud on the local target, instance
// refresh on AWS).
//
// It does not read load balancer error rates yet: HAProxy's counters are
// not exposed by the control plane.
package rollout
