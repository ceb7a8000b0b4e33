package awstarget

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/status"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ReadStatus builds an aws environment's report from CloudWatch and the load
// balancers, finding each service's target group by its bulwark tags:
// targets in service (of those registered), request rate, 5xx ratio and
// p99 over the last five minutes, the budget left over the SLO window
// (hourly sums), and the paging, ticket and member alarms in ALARM (those
// of every region and us-east-1, named bulwark-<env>-...). Replication lag
// and backup age are on the dashboard and in their alarms, not here. The
// windows end now on the clients' clock; CloudWatch has the last minute
// or two of them only later.
func ReadStatus(ctx context.Context, ops *awsrunbook.Clients, t *topology.Topology) (*status.Report, error) {
	env := t.Environment.Name
	now := ops.Now()
	r := &status.Report{Environment: env, Source: "CloudWatch (dashboard " + "bulwark-" + env + ")", At: now, Rows: []status.Row{}, Alerts: []status.Alert{}}
	for _, s := range t.Services {
		for _, region := range s.Regions {
			row := status.Row{Region: region, Service: s.Name}
			tgs, err := awsrunbook.TargetGroups(ctx, ops.ELB(region), awsrunbook.Scope{Environment: env, Region: region, Service: s.Name})
			if errors.Is(err, awsrunbook.ErrNotFound) {
				r.Rows = append(r.Rows, row) // not deployed there: nothing in service
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %w", status.ErrUnreachable, region, s.Name, err)
			}
			tg := tgs[0]
			row.Seen = true
			h, err := awsrunbook.DescribeTargetHealth(ctx, ops.ELB(region), tg.ARN)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", status.ErrUnreachable, err)
			}
			row.InService, row.Desired, row.EndpointUp = h.Healthy, h.Total, h.Healthy > 0
			recent, err := awsrunbook.ReadTraffic(ctx, ops.CloudWatch(region), tg, now.Add(-5*time.Minute), now)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", status.ErrUnreachable, err)
			}
			if recent.Requests > 0 {
				rate, ratio := recent.Requests/300, recent.ErrorRate()
				row.RequestRate, row.ErrorRatio = &rate, &ratio
			}
			if p99, ok, err := awsrunbook.ReadP99(ctx, ops.CloudWatch(region), tg, now.Add(-5*time.Minute), now); err != nil {
				return nil, fmt.Errorf("%w: %w", status.ErrUnreachable, err)
			} else if ok {
				row.P99 = &p99
			}
			if o := s.SLO; o != nil {
				window, err := awsrunbook.ReadTrafficEvery(ctx, ops.CloudWatch(region), tg, now.Add(-o.Window), now, time.Hour)
				if err != nil {
					return nil, fmt.Errorf("%w: %w", status.ErrUnreachable, err)
				}
				if window.Requests > 0 {
					b := slo.Spend(*o, window.Errors5xx, window.Requests, 0)
					left := b.Left()
					row.Budget, row.BudgetLeft = &b, &left
				}
			}
			r.Rows = append(r.Rows, row)
		}
	}
	alarms, err := ops.EnvironmentAlarms(ctx, env, t.RegionNames())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", status.ErrUnreachable, err)
	}
	for _, a := range alarms {
		sev, summary := slo.AlarmSeverity(a.Description)
		if sev == slo.Member {
			continue // its composite says it
		}
		alarmRegion, service := slo.AlarmScope(t, a.Name)
		r.Alerts = append(r.Alerts, status.Alert{Name: a.Name, Region: alarmRegion, Service: service, Severity: string(sev), Since: a.Since, Summary: summary})
	}
	status.SortAlerts(r.Alerts)
	return r, nil
}
