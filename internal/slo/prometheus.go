package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The scrape jobs of an environment's Prometheus on the local target; every
// series carries the labels env, region (absent for the DNS probe, which
// is global) and service.
const (
	JobBalancer  = "haproxy"    // each load balancer's built-in exporter
	JobInstances = "instances"  // each instance's /metrics (the sample service's histogram)
	JobDatabase  = "postgres"   // prometheus-postgres-exporter over every database member
	JobPlane     = "bulwark"    // the control plane: groups, backups (what CloudWatch holds on AWS)
	JobProbeHTTP = "probe-http" // the blackbox exporter: each region's load balancer, from outside the region
	JobProbeDNS  = "probe-dns"  // the blackbox exporter: the service's name at the environment's DNS server
)

// Label names.
const (
	LabelEnv     = "env"
	LabelRegion  = "region"
	LabelService = "service"
)

// Metrics the control plane exports (JobPlane), like CloudWatch's
// autoscaling and AWS Backup metrics.
const (
	MetricGroupDesired   = "bulwark_group_desired_instances"
	MetricGroupMin       = "bulwark_group_min_instances"
	MetricGroupInService = "bulwark_group_in_service_instances"
	// MetricGroupUnhealthy is the most instances out of service at once
	// since the previous scrape (CloudWatch's Maximum statistic), so an
	// instance replaced between two scrapes still shows.
	MetricGroupUnhealthy = "bulwark_group_unhealthy_instances"
	MetricGroupReplaced  = "bulwark_group_replaced_instances_total"
	MetricBackupLastOK   = "bulwark_backup_last_success_timestamp_seconds"
	MetricBackupFailures = "bulwark_backup_failures_total"
	MetricBackupEvery    = "bulwark_backup_interval_seconds"
	MetricDatabaseUp     = "bulwark_database_up"
	// MetricQueueMessages and MetricQueueOldestAge are a write queue's
	// writes not yet drained and the age of the oldest (SQS's
	// ApproximateNumberOfMessagesVisible and ApproximateAgeOfOldestMessage).
	MetricQueueMessages   = "bulwark_write_queue_messages"
	MetricQueueOldestAge  = "bulwark_write_queue_oldest_age_seconds"
	MetricRequestDuration = "http_request_duration_seconds" // the sample service's histogram
	// BalancerMetricsFrontend is the HAProxy frontend that serves the
	// exporter: its own requests are not the service's.
	BalancerMetricsFrontend = "prometheus"
)

// BalancerRequests selects the load balancers' request counters, matched
// by the label matchers sel (env="dev",service="shop").
func BalancerRequests(sel string) string {
	return fmt.Sprintf(`haproxy_frontend_http_requests_total{job=%q,proxy!=%q,%s}`, JobBalancer, BalancerMetricsFrontend, sel)
}

// BalancerErrors selects the load balancers' counters of 5xx answers.
func BalancerErrors(sel string) string {
	return fmt.Sprintf(`haproxy_frontend_http_responses_total{job=%q,proxy!=%q,code="5xx",%s}`, JobBalancer, BalancerMetricsFrontend, sel)
}

// Alert names, the same on both targets (an AWS alarm is named
// bulwark-<env>-<region>-<service>-<alert>).
const (
	AlertBurn           = "BulwarkErrorBudgetBurn"
	AlertLatency        = "BulwarkLatencyObjective"
	AlertUnhealthy      = "BulwarkUnhealthyInstances"
	AlertCapacity       = "BulwarkCapacityBelowMinimum"
	AlertBalancerDown   = "BulwarkLoadBalancerDown"
	AlertEndpointProbe  = "BulwarkEndpointProbeFailed"
	AlertDNSProbe       = "BulwarkDNSProbeFailed"
	AlertDatabaseDown   = "BulwarkDatabaseDown"
	AlertReplicationLag = "BulwarkReplicationLag"
	AlertBackupFailed   = "BulwarkBackupFailed"
	AlertBackupStale    = "BulwarkBackupStale"
	AlertQueueStale     = "BulwarkWriteQueueStale"
)

// Recorded series (per env, region and service).
const (
	RecordRequests   = "bulwark:http_requests:rate" // + window, e.g. rate5m
	RecordErrors     = "bulwark:http_errors:rate"   // 5xx answers
	RecordErrorRatio = "bulwark:error_ratio:rate"   // errors over requests
	RecordLatencyP99 = "bulwark:latency_p99:rate5m" // seconds
)

// DefaultReplicationLagLimit is the replication lag alarm's threshold when
// the environment declares no region RPO: past it, losing the primary's
// region loses more than that many seconds of writes.
const DefaultReplicationLagLimit = 10 * time.Second

// ReplicationLagLimit is the lag past which a region loss would miss the
// environment's region RPO (its declared RPO, or the default when it
// declares none or zero).
func ReplicationLagLimit(t *topology.Topology) time.Duration {
	if obj, ok := t.Environment.Objective(topology.DisruptionRegion); ok && obj.RPO > 0 {
		return obj.RPO
	}
	return DefaultReplicationLagLimit
}

// BackupStaleAfter is when a service's newest backup is overdue: two
// intervals and a minute, so one slow or failed run does not alarm but a
// schedule that stopped does.
func BackupStaleAfter(b topology.Backup) time.Duration { return 2*b.Every + time.Minute }

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// PrometheusRules renders the recording and alerting rules of an
// environment: a group per service with its SLI recordings and burn-rate
// alerts (when it declares an slo) and the alerts every service gets
// (unhealthy instances, capacity below its minimum, a load balancer or an
// endpoint that does not answer, its DNS name, and its database and backups
// when it has them). Every alert carries env, region (but the DNS probe's),
// service and severity labels.
func PrometheusRules(t *topology.Topology) ([]byte, error) {
	var f ruleFile
	for _, s := range t.Services {
		f.Groups = append(f.Groups, ruleGroup{Name: "bulwark-" + t.Environment.Name + "-" + s.Name, Rules: serviceRules(t, s)})
	}
	out, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("prometheus rules of %s: %w", t.Environment.Name, err)
	}
	return append([]byte("# Generated by bulwark from "+t.Environment.Name+"'s services and SLOs. Do not edit.\n"), out...), nil
}

func serviceRules(t *topology.Topology, s topology.Service) []rule {
	sel := fmt.Sprintf(`%s=%q,%s=%q`, LabelEnv, t.Environment.Name, LabelService, s.Name)
	by := strings.Join([]string{LabelEnv, LabelRegion, LabelService}, ",")
	var rules []rule
	alert := func(name, expr, forDur string, sev Severity, summary string, extra map[string]string) {
		labels := map[string]string{"severity": string(sev)}
		for k, v := range extra {
			labels[k] = v
		}
		rules = append(rules, rule{Alert: name, Expr: expr, For: forDur, Labels: labels, Annotations: map[string]string{"summary": summary}})
	}
	if o := s.SLO; o != nil {
		tiers := BurnTiers(o.Window)
		for _, w := range Windows(tiers) {
			pw := PromDuration(w)
			rules = append(rules,
				rule{Record: RecordRequests + pw, Expr: fmt.Sprintf(`sum by (%s) (rate(%s[%s]))`, by, BalancerRequests(sel), pw)},
				rule{Record: RecordErrors + pw, Expr: fmt.Sprintf(`sum by (%s) (rate(%s[%s]))`, by, BalancerErrors(sel), pw)},
				rule{Record: RecordErrorRatio + pw, Expr: fmt.Sprintf(`%s%s{%s} / %s%s{%s}`, RecordErrors, pw, sel, RecordRequests, pw, sel)},
			)
		}
		for _, tier := range tiers {
			th := strconv.FormatFloat(tier.Threshold(*o), 'g', -1, 64)
			long, short := PromDuration(tier.Long), PromDuration(tier.Short)
			alert(AlertBurn,
				fmt.Sprintf(`%s%s{%s} > %s and %s%s{%s} > %s`, RecordErrorRatio, long, sel, th, RecordErrorRatio, short, sel, th), "", tier.Severity,
				fmt.Sprintf("%s in {{ $labels.region }} burns its %s error budget %gx too fast: %s of it within %s at this rate (5xx ratio over %s and %s above %s)",
					s.Name, PromDuration(o.Window), tier.Factor, Percent(tier.BudgetSpent), long, long, short, th),
				map[string]string{"long_window": long, "short_window": short, "burn_rate": strconv.FormatFloat(tier.Factor, 'g', -1, 64)})
		}
		rules = append(rules, rule{Record: RecordLatencyP99, Expr: fmt.Sprintf(`histogram_quantile(0.99, sum by (%s,le) (rate(%s_bucket{job=%q,%s}[5m])))`, by, MetricRequestDuration, JobInstances, sel)})
		if o.LatencyP99 > 0 {
			alert(AlertLatency, fmt.Sprintf(`%s{%s} > %g`, RecordLatencyP99, sel, o.LatencyP99.Seconds()), "5m", Page,
				fmt.Sprintf("%s's p99 latency in {{ $labels.region }} is {{ $value | humanizeDuration }}, above its objective of %s", s.Name, o.LatencyP99), nil)
		}
	}
	alert(AlertUnhealthy, fmt.Sprintf(`%s{%s} > 0`, MetricGroupUnhealthy, sel), "", Ticket,
		fmt.Sprintf("{{ $value }} instance(s) of %s in {{ $labels.region }} out of service (failed or being replaced)", s.Name), nil)
	alert(AlertCapacity, fmt.Sprintf(`%s{%s} < %s{%s}`, MetricGroupInService, sel, MetricGroupMin, sel), "1m", Page,
		fmt.Sprintf("%s in {{ $labels.region }} has {{ $value }} instance(s) in service, below its minimum", s.Name), nil)
	alert(AlertBalancerDown, fmt.Sprintf(`up{job=%q,%s} == 0`, JobBalancer, sel), "5s", Page,
		fmt.Sprintf("%s's load balancer in {{ $labels.region }} does not answer", s.Name), nil)
	alert(AlertEndpointProbe, fmt.Sprintf(`probe_success{job=%q,%s} == 0`, JobProbeHTTP, sel), "5s", Page,
		fmt.Sprintf("%s's health check through its load balancer in {{ $labels.region }} fails (Route 53 would take the region out)", s.Name), nil)
	alert(AlertDNSProbe, fmt.Sprintf(`probe_success{job=%q,%s} == 0`, JobProbeDNS, sel), "10s", Page,
		fmt.Sprintf("%s does not resolve at the environment's DNS server: clients cannot find any region", s.DNS.FQDN()), nil)
	if s.Database != nil && s.Database.Engine == topology.EnginePostgres {
		alert(AlertDatabaseDown, fmt.Sprintf(`%s{%s} == 0`, MetricDatabaseUp, sel), "5s", Page,
			fmt.Sprintf("%s's database member in {{ $labels.region }} does not answer", s.Name), nil)
		if len(s.Regions) > 1 {
			limit := ReplicationLagLimit(t)
			alert(AlertReplicationLag, fmt.Sprintf(`pg_replication_lag{job=%q,%s} > %g`, JobDatabase, sel, limit.Seconds()), "30s", Page,
				fmt.Sprintf("%s's replica in {{ $labels.region }} lags {{ $value }}s behind its primary, past the %s a region loss may lose", s.Name, limit), nil)
		}
	}
	if s.Backup != nil && s.Database != nil {
		alert(AlertBackupFailed, fmt.Sprintf(`increase(%s{%s}[1h]) > 0`, MetricBackupFailures, sel), "", Ticket,
			fmt.Sprintf("a backup or vault copy of %s failed within the hour", s.Name), nil)
		alert(AlertBackupStale, fmt.Sprintf(`time() - %s{%s} > %g`, MetricBackupLastOK, sel, BackupStaleAfter(*s.Backup).Seconds()), "", Page,
			fmt.Sprintf("%s's newest backup is older than %s (it is taken every %s)", s.Name, BackupStaleAfter(*s.Backup), s.Backup.Every), nil)
	}
	if q := s.WriteQueue; q != nil {
		alert(AlertQueueStale, fmt.Sprintf(`%s{%s} > %g`, MetricQueueOldestAge, sel, q.MaxAge.Seconds()), "", Page,
			fmt.Sprintf("%s's oldest queued write in {{ $labels.region }} is {{ $value | humanizeDuration }} old, past its max_age %s: the database has been away that long, or the consumer is stuck", s.Name, q.MaxAge), nil)
	}
	return rules
}

// PromDuration renders a duration in Prometheus's notation: the largest
// unit that divides it (30m, 6h, 3d).
func PromDuration(d time.Duration) string {
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.d && d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
