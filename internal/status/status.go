package status

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ErrUnreachable is returned when the monitoring does not answer.
var ErrUnreachable = errors.New("monitoring unreachable")

// Row is one service in one region. A nil number is one the monitoring
// has no data for (no traffic yet, no database, no backup, no SLO).
type Row struct {
	Region  string `json:"region"`
	Service string `json:"service"`
	// Seen is whether the monitoring knows the service there at all (not
	// yet scraped after a deploy, or not deployed in the region, it does not).
	Seen bool `json:"seen"`
	// InService and Desired are the group's instances passing health
	// checks, and how many it wants.
	InService int `json:"in_service"`
	Desired   int `json:"desired"`
	// EndpointUp is whether the load balancer answered the blackbox
	// probe's health check from outside the region.
	EndpointUp bool `json:"endpoint_up"`
	// RequestRate is requests per second at the load balancer (last minute).
	RequestRate *float64 `json:"request_rate,omitempty"`
	// ErrorRatio is the share of 5xx answers (last 5 minutes).
	ErrorRatio *float64 `json:"error_ratio,omitempty"`
	// P99 is the 99th percentile response time in seconds (last 5 minutes).
	P99 *float64 `json:"p99_seconds,omitempty"`
	// ReplicationLag is the region's database member's lag in seconds.
	ReplicationLag *float64 `json:"replication_lag_seconds,omitempty"`
	// BackupAge is seconds since the service's newest backup (shown in the
	// region its plan backs up).
	BackupAge *float64 `json:"backup_age_seconds,omitempty"`
	// Budget is the SLO's error budget spent over its window so far.
	Budget *slo.Budget `json:"error_budget,omitempty"`
	// BudgetLeft is 1 - Budget.Spent (as Budget.Left()), for JSON readers.
	BudgetLeft *float64 `json:"error_budget_left,omitempty"`
}

// Alert is an alert that fires now.
type Alert struct {
	Name     string    `json:"name"`
	Region   string    `json:"region,omitempty"`
	Service  string    `json:"service,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Since    time.Time `json:"since"`
	Summary  string    `json:"summary,omitempty"`
}

// Report is an environment's status.
type Report struct {
	Environment string `json:"environment"`
	// Source is where the numbers come from: a Prometheus URL, or CloudWatch.
	Source string    `json:"source"`
	At     time.Time `json:"at"`
	Rows   []Row     `json:"rows"`
	Alerts []Alert   `json:"alerts"`
}

// Source is a Prometheus HTTP API.
type Source struct {
	API promv1.API
	URL string
}

// NewSource is a client of the Prometheus at url.
func NewSource(url string) (*Source, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &Source{API: promv1.NewAPI(c), URL: url}, nil
}

type key struct{ region, service string }

// query runs an instant query and returns its values by region and service.
func (s *Source) query(ctx context.Context, q string, at time.Time) (map[key]float64, error) {
	v, _, err := s.API.Query(ctx, q, at)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: query %s: %w", ErrUnreachable, s.URL, q, err)
	}
	out := map[key]float64{}
	vec, _ := v.(model.Vector)
	for _, sample := range vec {
		f := float64(sample.Value)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		out[key{string(sample.Metric[slo.LabelRegion]), string(sample.Metric[slo.LabelService])}] = f
	}
	return out, nil
}

// Read builds the environment's report from its Prometheus.
func Read(ctx context.Context, src *Source, t *topology.Topology) (*Report, error) {
	env := t.Environment.Name
	now := time.Now()
	r := &Report{Environment: env, Source: "Prometheus " + src.URL, At: now, Rows: []Row{}, Alerts: []Alert{}}
	sel := fmt.Sprintf(`%s=%q`, slo.LabelEnv, env)
	by := "sum by (region, service)"
	queries := map[string]string{
		"in_service": fmt.Sprintf(`%s{%s}`, slo.MetricGroupInService, sel),
		"desired":    fmt.Sprintf(`%s{%s}`, slo.MetricGroupDesired, sel),
		"probe":      fmt.Sprintf(`probe_success{job=%q,%s}`, slo.JobProbeHTTP, sel),
		"rate":       fmt.Sprintf(`%s (rate(%s[1m]))`, by, slo.BalancerRequests(sel)),
		"errors":     fmt.Sprintf(`%s (rate(%s[5m])) / %s (rate(%s[5m]))`, by, slo.BalancerErrors(sel), by, slo.BalancerRequests(sel)),
		"p99":        fmt.Sprintf(`histogram_quantile(0.99, sum by (region, service, le) (rate(%s_bucket{job=%q,%s}[5m])))`, slo.MetricRequestDuration, slo.JobInstances, sel),
		"lag":        fmt.Sprintf(`max by (region, service) (pg_replication_lag{job=%q,%s})`, slo.JobDatabase, sel),
		"backup":     fmt.Sprintf(`time() - max by (region, service) (%s{%s})`, slo.MetricBackupLastOK, sel),
	}
	values := map[string]map[key]float64{}
	for name, q := range queries {
		v, err := src.query(ctx, q, now)
		if err != nil {
			return nil, err
		}
		values[name] = v
	}
	// the budget over each service's own window: requests and 5xx answers
	// counted since the window began (or since the monitoring did)
	values["budget_total"], values["budget_bad"] = map[key]float64{}, map[key]float64{}
	for _, s := range t.Services {
		if s.SLO == nil {
			continue
		}
		w := slo.PromDuration(s.SLO.Window)
		ssel := fmt.Sprintf(`%s,service=%q`, sel, s.Name)
		total, err := src.query(ctx, fmt.Sprintf(`%s (increase(%s[%s]))`, by, slo.BalancerRequests(ssel), w), now)
		if err != nil {
			return nil, err
		}
		bad, err := src.query(ctx, fmt.Sprintf(`%s (increase(%s[%s]))`, by, slo.BalancerErrors(ssel), w), now)
		if err != nil {
			return nil, err
		}
		for k, n := range total {
			values["budget_total"][k], values["budget_bad"][k] = n, bad[k]
		}
	}
	opt := func(name string, k key) *float64 {
		if v, ok := values[name][k]; ok {
			return &v
		}
		return nil
	}
	for _, s := range t.Services {
		for _, region := range s.Regions {
			k := key{region, s.Name}
			_, seen := values["desired"][k]
			row := Row{Region: region, Service: s.Name, Seen: seen, InService: int(values["in_service"][k]), Desired: int(values["desired"][k]),
				EndpointUp: values["probe"][k] == 1, RequestRate: opt("rate", k), ErrorRatio: opt("errors", k), P99: opt("p99", k),
				ReplicationLag: opt("lag", k), BackupAge: opt("backup", k)}
			if s.SLO != nil {
				if total, ok := values["budget_total"][k]; ok {
					b := slo.Spend(*s.SLO, values["budget_bad"][k], total, 0)
					left := b.Left()
					row.Budget, row.BudgetLeft = &b, &left
				}
			}
			r.Rows = append(r.Rows, row)
		}
	}
	alerts, err := src.Firing(ctx, env, nil)
	if err != nil {
		return nil, err
	}
	r.Alerts = append(r.Alerts, alerts...)
	SortAlerts(r.Alerts)
	return r, nil
}

// sortAlerts puts pages first, then by region, service and name.
func SortAlerts(alerts []Alert) {
	sort.Slice(alerts, func(i, j int) bool {
		a, b := alerts[i], alerts[j]
		return fmt.Sprint(a.Severity != "page", a.Region, a.Service, a.Name) < fmt.Sprint(b.Severity != "page", b.Region, b.Service, b.Name)
	})
}

// Firing returns the alerts that fire for the environment now, outside the
// given regions (a drill's blast radius); an alert without a region (the
// DNS name's) is outside every region.
func (s *Source) Firing(ctx context.Context, env string, except []string) ([]Alert, error) {
	res, err := s.API.Alerts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: alerts: %w", ErrUnreachable, s.URL, err)
	}
	var out []Alert
	for _, a := range res.Alerts {
		region := string(a.Labels[slo.LabelRegion])
		if a.State != promv1.AlertStateFiring || string(a.Labels[slo.LabelEnv]) != env || (region != "" && slices.Contains(except, region)) {
			continue
		}
		out = append(out, Alert{Name: string(a.Labels["alertname"]), Region: region, Service: string(a.Labels[slo.LabelService]),
			Severity: string(a.Labels["severity"]), Since: a.ActiveAt, Summary: string(a.Annotations["summary"])})
	}
	return out, nil
}

// String renders an alert on one line.
func (a Alert) String() string {
	where := strings.Trim(a.Region+"/"+a.Service, "/")
	return fmt.Sprintf("%s %s (%s) since %s", a.Name, where, a.Severity, a.Since.Format(time.TimeOnly))
}

// StopConditions are an environment's paging alerts as a drill's stop
// conditions: a ticket (a slow burn, a replaced instance) does not stop a
// drill; a page outside its blast radius does.
type StopConditions struct {
	Source *Source
	Env    string
}

// Breached lists the paging alerts that fire outside the given regions.
func (c StopConditions) Breached(ctx context.Context, outside []string) ([]string, error) {
	alerts, err := c.Source.Firing(ctx, c.Env, outside)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range alerts {
		if a.Severity == string(slo.Page) {
			out = append(out, a.String())
		}
	}
	return out, nil
}
