package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/status"
)

// bulwark status on an aws environment reads CloudWatch and the load
// balancers (awsfake.Cloud, a loopback fake of their APIs, on the wall
// clock: its datapoints are put three minutes ago, past CloudWatch's
// delay): us-east-1's shop has 4 healthy targets, 600 requests in the
// last five minutes of which 6 failed, a p99 of 0.9 s and, over the
// window, those 6 failures in
// 1,000 requests (a 0.05% budget allows 0.5: 12 times spent); a page fires
// for us-west-2, a member alarm (a composite's part) is not shown; exit 1
// for the page.
func TestAWSStatusFromCloudWatch(t *testing.T) {
	cloud, _, bulwark := awsProject(t)
	scope := map[string]string{"bulwark:env": "prod", "bulwark:region": "us-east-1", "bulwark:service": "shop"}
	cloud.AddGroup(awsfake.Group{Name: "prod-us-east-1-shop", Region: "us-east-1", Min: 3, Max: 12, Desired: 4,
		Subnets: []awsfake.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}}, Tags: scope})
	tg := cloud.AddTargetGroup(awsfake.TargetGroup{Name: "shop", Region: "us-east-1", LoadBalancerName: "shop", Group: "prod-us-east-1-shop", Port: 8080, Tags: scope})
	lb := tg.LoadBalancerARN[strings.Index(tg.LoadBalancerARN, ":loadbalancer/")+len(":loadbalancer/"):]
	both := map[string]string{"LoadBalancer": lb, "TargetGroup": tg.ARN[strings.LastIndex(tg.ARN, ":")+1:]}
	put := func(metric string, dims map[string]string, ago time.Duration, v float64) {
		cloud.PutDatapoint(awsfake.Datapoint{Region: "us-east-1", Namespace: "AWS/ApplicationELB", Metric: metric, Dimensions: dims, At: time.Now().Add(-ago), Value: v})
	}
	put("RequestCount", both, 3*time.Minute, 600)
	put("HTTPCode_Target_5XX_Count", both, 3*time.Minute, 6)
	put("RequestCount", both, 10*24*time.Hour, 400) // earlier in the window: none failed
	for _, v := range []float64{0.1, 0.2, 0.9} {
		put("TargetResponseTime", map[string]string{"LoadBalancer": lb}, 3*time.Minute, v)
	}
	put("RequestCount", both, 30*time.Second, 10000) // not yet in CloudWatch
	cloud.SetAlarm(awsfake.Alarm{Region: "us-west-2", Name: "bulwark-prod-us-west-2-shop-latency-p99", Description: slo.AlarmDescription(slo.Page, "shop's p99 above 300ms"), State: "ALARM"})
	cloud.SetAlarm(awsfake.Alarm{Region: "us-west-2", Name: "bulwark-prod-us-west-2-shop-error-budget-burn-1h-long", Description: slo.AlarmDescription(slo.Member, "part"), State: "ALARM"})

	code, out, errOut := bulwark("status", "--env", "prod", "--format", "json", "--endpoint-url", cloud.URL())
	if code != exitFailed {
		t.Fatalf("status = %d, want 1 (a page fires):\n%s\n%s", code, out, errOut)
	}
	var r status.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	east := r.Rows[0]
	if east.Region != "us-east-1" || east.InService != 4 || east.Desired != 4 || !east.EndpointUp {
		t.Fatalf("us-east-1 row %+v", east)
	}
	if east.RequestRate == nil || *east.RequestRate != 2 || east.ErrorRatio == nil || *east.ErrorRatio != 0.01 || east.P99 == nil || *east.P99 != 0.9 {
		t.Errorf("us-east-1 numbers: rate %v, 5xx %v, p99 %v; want 2/s, 1%%, 0.9s", east.RequestRate, east.ErrorRatio, east.P99)
	}
	if east.Budget == nil || east.Budget.Total != 1000 || math.Abs(east.Budget.Spent-12) > 1e-9 || *east.BudgetLeft > 0 {
		t.Errorf("us-east-1 budget %+v, want 6 bad of 1,000 against 0.05%%: 12 times the budget, none left", east.Budget)
	}
	// shop's three regions, then payments' three, nothing deployed but shop in us-east-1
	if len(r.Rows) != 6 || !east.Seen || r.Rows[1].Seen || r.Rows[1].RequestRate != nil || r.Rows[3].Service != "payments" || r.Rows[3].Seen {
		t.Errorf("rows %+v, want shop in us-west-2 and eu-west-1 and payments everywhere with nothing deployed", r.Rows)
	}
	if len(r.Alerts) != 1 || r.Alerts[0].Region != "us-west-2" || r.Alerts[0].Service != "shop" || r.Alerts[0].Severity != "page" {
		t.Errorf("alerts %+v, want the one page of us-west-2", r.Alerts)
	}
	code, out, _ = bulwark("status", "--env", "prod", "--endpoint-url", cloud.URL())
	if code != exitFailed || !strings.Contains(out, "us-east-1  shop      4/4") || !strings.Contains(out, "bulwark-prod-us-west-2-shop-latency-p99") {
		t.Errorf("text status = %d:\n%s", code, out)
	}
}
