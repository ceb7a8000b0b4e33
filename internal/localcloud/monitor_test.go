package localcloud

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func needPrometheus(t *testing.T) {
	t.Helper()
	for _, prog := range monitorPrograms {
		if _, err := exec.LookPath(prog); err != nil {
			if testing.Short() {
				t.Skip(prog + " not installed")
			}
			t.Fatal(prog + " not installed (make test installs it)")
		}
	}
}

const monitorTestEnv = `
environment "m" {
  target = "local"
}
region "east" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 18090
  capacity {
    min     = 1
    desired = 2
    max     = 2
  }
  dns {
    zone = "shop.test"
    ttl  = 1
  }
  slo {
    availability = "99.9%"
  }
}
`

// firing lists the alerts named name that fire, as region/service.
func firing(ctx context.Context, api promv1.API, name string) ([]string, error) {
	res, err := api.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range res.Alerts {
		if string(a.Labels["alertname"]) == name && a.State == promv1.AlertStateFiring {
			out = append(out, string(a.Labels["region"])+"/"+string(a.Labels["service"]))
		}
	}
	return out, nil
}

// An environment's Prometheus scrapes every target (the load balancer's
// exporter, both instances, the control plane, the blackbox probes of the
// load balancer and of the DNS name), and a killed instance raises the
// unhealthy-instances alert, which clears once the group replaced it.
func TestMonitorScrapesAndAlerts(t *testing.T) {
	needHAProxy(t)
	needPrometheus(t)
	p := newDNSTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	topo, err := (&topology.Loader{}).Load("m.hcl", []byte(monitorTestEnv))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := slo.PrometheusRules(topo)
	if err != nil {
		t.Fatal(err)
	}
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "m", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "shop", Source: shopSource()})
	if err != nil {
		t.Fatal(err)
	}
	h := testHealth()
	h.Interval = time.Second // the default of a service: a replacement is in service about a second later
	spec := localapi.GroupSpec{Env: "m", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest, Port: 18090, Min: 1, Desired: 2, Max: 2, Zones: 2, Health: h}
	if _, err := p.PutGroup(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutBalancer(ctx, localapi.BalancerSpec{Env: "m", Region: "east", Service: "shop", Port: 18090, Health: h}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutDNSServer(ctx, localapi.DNSServerSpec{Env: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutDNSRecord(ctx, localapi.DNSRecordSpec{Env: "m", Zone: "shop.test", Name: "@", TTL: 1, Targets: [][]string{{region.BalancerAddress()}}, Port: 18090, HealthPath: "/healthz"}); err != nil {
		t.Fatal(err)
	}
	m, err := p.PutMonitor(ctx, localapi.MonitorSpec{Env: "m", Rules: string(rules), Services: []localapi.MonitoredService{{Name: "shop", Port: 18090, Regions: []string{"east"}, FQDN: "shop.test", HealthPath: "/healthz"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Running || m.PIDs["prometheus"] == 0 || m.PIDs["blackbox"] == 0 || m.PIDs["postgres"] != 0 {
		t.Fatalf("monitor = %+v, want prometheus and blackbox running and no postgres exporter (no database)", m)
	}
	client, err := promapi.NewClient(promapi.Config{Address: m.Prometheus})
	if err != nil {
		t.Fatal(err)
	}
	api := promv1.NewAPI(client)

	// every target up
	want := map[string]int{slo.JobBalancer: 1, slo.JobInstances: 2, slo.JobPlane: 1, slo.JobProbeHTTP: 1, slo.JobProbeDNS: 1}
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		targets, err := api.Targets(ctx)
		up := map[string]int{}
		var down []string
		if err == nil {
			for _, tg := range targets.Active {
				if tg.Health == promv1.HealthGood {
					up[string(tg.Labels["job"])]++
				} else {
					down = append(down, fmt.Sprintf("%s %s: %s %s", tg.Labels["job"], tg.ScrapeURL, tg.Health, tg.LastError))
				}
			}
		}
		last = fmt.Sprintf("up %v, not up %v, err %v", up, down, err)
		if fmt.Sprint(up) == fmt.Sprint(want) && len(down) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets never all up: %s (want %v)", last, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// the probes succeed: the load balancer answers its health check, and
	// the DNS name resolves at the environment's server
	for _, job := range []string{slo.JobProbeHTTP, slo.JobProbeDNS} {
		v, _, err := api.Query(ctx, fmt.Sprintf(`probe_success{job=%q}`, job), time.Now())
		if err != nil || !strings.Contains(v.String(), "=> 1 @") {
			t.Errorf("%s probe_success = %v, %v; want 1", job, v, err)
		}
	}
	// kill an instance: the alert fires for east/shop, then clears
	killed := time.Now()
	waitAlert := func(wantFiring bool, within time.Duration) {
		t.Helper()
		end := time.Now().Add(within)
		for {
			alerts, err := firing(ctx, api, slo.AlertUnhealthy)
			if err == nil && (len(alerts) > 0) == wantFiring {
				if wantFiring && (len(alerts) != 1 || alerts[0] != "east/shop") {
					t.Fatalf("firing for %v, want east/shop", alerts)
				}
				t.Logf("%s firing=%v %s after the kill", slo.AlertUnhealthy, wantFiring, time.Since(killed).Round(100*time.Millisecond))
				return
			}
			if time.Now().After(end) {
				t.Fatalf("%s firing=%v not reached within %s (alerts %v, %v)", slo.AlertUnhealthy, wantFiring, within, alerts, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	// the instances were out of service while they started: that peak
	// clears with the next scrapes
	waitAlert(false, 20*time.Second)
	if _, err := p.KillInstance(localapi.ServiceID{Env: "m", Region: "east", Service: "shop"}, 0); err != nil {
		t.Fatal(err)
	}
	killed = time.Now()
	waitAlert(true, 20*time.Second)
	waitAlert(false, 30*time.Second)
	if g, _ := p.GetGroup(ctx, localapi.ServiceID{Env: "m", Region: "east", Service: "shop"}); g.Healthy() != 2 || g.Replaced < 1 {
		t.Fatalf("group after the kill = %d healthy, %d replaced", g.Healthy(), g.Replaced)
	}

	// a plane restart adopts the processes; deleting stops them
	if err := p.DeleteMonitor(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	for name, pid := range m.PIDs {
		if alive(pid) {
			t.Errorf("%s (pid %d) runs after the monitor was deleted", name, pid)
		}
	}
}
