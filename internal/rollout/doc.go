// Package rollout holds the checks that decide whether a rollout may go
// on: LocalBake watches a canary region of the local target through the
// control plane. The orchestrator (package orchestrate) sequences the
// regions; instance-by-instance replacement and rollback of a bad image
// happen in each group (package localcloud on the local target, instance
// refresh on AWS).
//
// The local bake reads the load balancers' error rates from HAProxy's
// counters; on AWS the same would come from CloudWatch (not written yet).
package rollout
