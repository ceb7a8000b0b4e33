package slo

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

var update = flag.Bool("update", false, "rewrite testdata/*.rules.yml")

func needPromtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if testing.Short() {
			t.Skip("promtool not installed")
		}
		t.Fatal("promtool not installed (make test installs Debian's prometheus)")
	}
	return path
}

func loadEnv(t *testing.T, name string) *topology.Topology {
	t.Helper()
	l := &topology.Loader{Root: "../.."}
	topo, err := l.LoadFile(filepath.Join("..", "..", "environments", name+".hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// The rules of the shipped dev environment, checked against a fixture
// (thresholds from its 99.9% objective over 30 days) and by promtool.
func TestPrometheusRulesFixture(t *testing.T) {
	promtool := needPromtool(t)
	rules, err := PrometheusRules(loadEnv(t, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join("testdata", "dev.rules.yml")
	if *update {
		if err := os.WriteFile(fixture, rules, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rules, want) {
		t.Errorf("rules differ from %s (go test ./internal/slo -update rewrites it):\n%s", fixture, rules)
	}
	for _, th := range []string{"> 0.0144 and", "> 0.006 and", "> 0.003 and", "> 0.001 and", "> 0.3", "pg_replication_lag", "> 1860"} {
		if !bytes.Contains(rules, []byte(th)) {
			t.Errorf("rules lack %q (14.4, 6, 3 and 1 times the 0.1%% budget; p99 300ms; backups every 15m stale after 31m)", th)
		}
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, rules, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// The burn-rate alerts, evaluated by Prometheus's own rule engine (promtool
// test rules) over synthetic load balancer counters: 1% of east's requests
// fail, none of west's. With a 0.1% budget that burns it 10 times too fast:
// the 6h (6x), 1d (3x) and 3d (1x) tiers fire for east, the 1h page (14.4x)
// does not, and nothing fires for west; when east's errors stop, each tier
// clears once its short window is clean.
func TestBurnRateAlertsFire(t *testing.T) {
	promtool := needPromtool(t)
	rules, err := PrometheusRules(loadEnv(t, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(rules, &f); err != nil {
		t.Fatal(err)
	}
	for gi := range f.Groups { // promtool compares annotations too; these tests are about when
		for ri := range f.Groups[gi].Rules {
			f.Groups[gi].Rules[ri].Annotations = nil
		}
	}
	dir := t.TempDir()
	stripped, _ := yaml.Marshal(f)
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	series := func(metric, region, extra, values string) string {
		return "      - series: '" + metric + `{job="haproxy",proxy="dev_` + region + `_shop",env="dev",region="` + region + `",service="shop"` + extra + "}'\n        values: '" + values + "'\n"
	}
	burn := func(long, short, rate, sev string) string {
		return "          - exp_labels: {alertname: BulwarkErrorBudgetBurn, severity: " + sev + ", env: dev, region: east, service: shop, long_window: " + long + ", short_window: " + short + ", burn_rate: \"" + rate + "\"}\n"
	}
	test := "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" +
		// east: 1000 requests a minute, 10 of them 5xx, for 90 minutes; then no errors
		series("haproxy_frontend_http_requests_total", "east", "", "0+1000x200") +
		series("haproxy_frontend_http_responses_total", "east", `,code="5xx"`, "0+10x90 900+0x110") +
		series("haproxy_frontend_http_requests_total", "west", "", "0+1000x200") +
		series("haproxy_frontend_http_responses_total", "west", `,code="5xx"`, "0+0x200") +
		"    alert_rule_test:\n" +
		"      - eval_time: 80m\n        alertname: BulwarkErrorBudgetBurn\n        exp_alerts:\n" +
		burn("6h", "30m", "6", "page") + burn("1d", "2h", "3", "ticket") + burn("3d", "6h", "1", "ticket") +
		// 100 minutes after the errors stopped, the 30-minute and 2-hour
		// windows are clean (the 2h one holds 200 errors in 120,000: 0.17%,
		// under 3x): only the 3d ticket, whose short window is 6h, still fires
		"      - eval_time: 190m\n        alertname: BulwarkErrorBudgetBurn\n        exp_alerts:\n" +
		burn("3d", "6h", "1", "ticket")
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s\n%s", err, out, test)
	} else if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules: %s", out)
	}
}

// A write queue pages when its oldest write is older than the service's
// max_age (dev-degrade's shop: 1m), evaluated by promtool: west's queue
// holds a write from minute 0 that no consumer drains (its age grows a
// minute a minute), east's drains within a minute; at 1m30s only west
// pages, and once west's write is drained (age 0) nothing does.
func TestWriteQueueStaleAlertFires(t *testing.T) {
	promtool := needPromtool(t)
	rules, err := PrometheusRules(loadEnv(t, "dev-degrade"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rules, []byte(`bulwark_write_queue_oldest_age_seconds{env="dev-degrade",service="shop"} > 60`)) {
		t.Fatalf("no write queue alert at shop's max_age of 60s:\n%s", rules)
	}
	if bytes.Contains(rules, []byte(`service="reviews"} > 60`)) {
		t.Error("reviews has no write queue, yet an alert on one")
	}
	var f ruleFile
	if err := yaml.Unmarshal(rules, &f); err != nil {
		t.Fatal(err)
	}
	for gi := range f.Groups {
		for ri := range f.Groups[gi].Rules {
			f.Groups[gi].Rules[ri].Annotations = nil
		}
	}
	dir := t.TempDir()
	stripped, _ := yaml.Marshal(f)
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	series := func(region, values string) string {
		return "      - series: '" + MetricQueueOldestAge + `{job="bulwark",env="dev-degrade",region="` + region + `",service="shop"}'` + "\n        values: '" + values + "'\n"
	}
	test := "rule_files: [rules.yml]\nevaluation_interval: 30s\ntests:\n  - interval: 30s\n    input_series:\n" +
		series("west", "0+30x5 0x4") + // 0, 30, ... 150s old; drained at 3m
		series("east", "0 30 0x8") +
		"    alert_rule_test:\n" +
		"      - eval_time: 90s\n        alertname: " + AlertQueueStale + "\n        exp_alerts:\n" +
		"          - exp_labels: {alertname: " + AlertQueueStale + ", severity: page, job: bulwark, env: dev-degrade, region: west, service: shop}\n" +
		"      - eval_time: 4m\n        alertname: " + AlertQueueStale + "\n        exp_alerts: []\n"
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s\n%s", err, out, test)
	}
}
