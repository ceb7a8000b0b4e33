// Package slo turns a service's declared objectives (topology.SLO) into
// what watches them: the multi-window burn-rate alert tiers of the Google
// SRE workbook scaled to the objective's window, the error-budget
// arithmetic a drill report and `bulwark status` use, and the Prometheus
// recording and alerting rules of the local target, with the label and job
// names the local control plane's scrape configuration gives its metrics.
//
// It is not a client of Prometheus or CloudWatch: it computes thresholds
// and renders rules; internal/localcloud runs Prometheus with them,
// modules/aws turns the same thresholds into CloudWatch alarms, and
// internal/status reads the numbers back.
package slo
