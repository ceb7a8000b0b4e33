// Package rollout holds the checks that decide whether a rollout may go
// on: LocalBake watches a canary region of the local target through the
// control plane (HAProxy's counters), AWSBake one of the AWS target through
// its target groups' health and CloudWatch's load balancer metrics (package
// awsrunbook).
//
// It does not sequence regions (package orchestrate does) nor replace
// instances: instance-by-instance replacement and rollback of a bad image
// happen in each group (package localcloud on the local target, instance
// refresh on AWS).
package rollout
