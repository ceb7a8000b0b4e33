// Package status reads how an environment is doing from its monitoring:
// per region and service, the instances in service, whether its load
// balancer answers a probe from outside the region, request rate, 5xx
// ratio, p99 latency, replication lag, the newest backup's age and the
// error budget left in its SLO window, and the alerts that fire (Report).
// It reads a Prometheus (Source: the local target's, which
// internal/localtarget finds; internal/slo writes its rules); the aws
// target builds the same Report from CloudWatch (internal/awstarget).
//
// It is not a monitoring system: it computes nothing Prometheus does not,
// and keeps no history of its own.
package status
