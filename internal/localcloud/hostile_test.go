package localcloud

import (
	"bytes"
	"context"
	"errors"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/hostile"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

func ordinaryBalancer() localapi.BalancerSpec {
	return localapi.BalancerSpec{Env: "t", Region: "east", Service: "shop", Port: 18097, Health: testHealth()}
}

func ordinaryRecord() localapi.DNSRecordSpec {
	return localapi.DNSRecordSpec{Env: "t", Zone: "shop.test", Name: "www", TTL: 1, Port: 8080,
		Targets: [][]string{{"127.0.1.1", "127.0.2.1"}}, HealthPath: "/healthz"}
}

func ordinaryCache() localapi.CacheSpec {
	return localapi.CacheSpec{Env: "t", Region: "east", Service: "shop", Port: 18098, Paths: []string{"/static"},
		TTL: time.Second, StaleFor: time.Minute, Origins: []string{"east", "west"}}
}

func ordinaryQueue() localapi.QueueSpec {
	return localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 18099, Stream: "bulwark-t-shop-writes"}
}

func ordinaryLink() localapi.LinkSpec {
	return localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 18100, Upstream: "west"}
}

func ordinaryMonitor() localapi.MonitorSpec {
	return localapi.MonitorSpec{Env: "t", Retention: "31d", Rules: "groups:\n- name: g\n  rules: []\n",
		Services: []localapi.MonitoredService{{Name: "shop", Port: 8080, Regions: []string{"east"}, FQDN: "www.shop.test", HealthPath: "/healthz"}}}
}

// hostileFields are the strings of every spec the plane writes into a
// program's configuration: each takes a hostile string in turn. Paths
// take it after a slash, so that it is judged as a path; those accepted
// are ordinary paths (/UPPER, /../../etc: an HTTP request's path, which
// no program reads as a file).
var hostileFields = []struct {
	name string
	// put hands the plane a spec whose field holds value
	put func(p *Plane, value string) error
	// render renders the same spec directly, bypassing the plane's
	// checks (nil when the spec goes through no renderer of its own)
	render   func(value string) error
	accepted []string
}{
	{name: "balancer environment",
		put:    func(p *Plane, v string) error { s := ordinaryBalancer(); s.Env = v; return putBalancer(p, s) },
		render: func(v string) error { s := ordinaryBalancer(); s.Env = v; return renderBalancer(s) }},
	{name: "balancer region",
		put:    func(p *Plane, v string) error { s := ordinaryBalancer(); s.Region = v; return putBalancer(p, s) },
		render: func(v string) error { s := ordinaryBalancer(); s.Region = v; return renderBalancer(s) }},
	{name: "balancer service",
		put:    func(p *Plane, v string) error { s := ordinaryBalancer(); s.Service = v; return putBalancer(p, s) },
		render: func(v string) error { s := ordinaryBalancer(); s.Service = v; return renderBalancer(s) }},
	{name: "balancer health path", accepted: []string{"uppercase", "path traversal"},
		put: func(p *Plane, v string) error {
			s := ordinaryBalancer()
			s.Health.Path = "/" + v
			return putBalancer(p, s)
		},
		render: func(v string) error { s := ordinaryBalancer(); s.Health.Path = "/" + v; return renderBalancer(s) }},
	{name: "dns server environment",
		put: func(p *Plane, v string) error {
			_, err := p.PutDNSServer(context.Background(), localapi.DNSServerSpec{Env: v})
			return err
		}},
	{name: "dns record environment",
		put:    func(p *Plane, v string) error { r := ordinaryRecord(); r.Env = v; return putRecord(p, r) },
		render: func(v string) error { r := ordinaryRecord(); r.Env = v; return renderRecord(r) }},
	{name: "dns record zone",
		put:    func(p *Plane, v string) error { r := ordinaryRecord(); r.Zone = v; return putRecord(p, r) },
		render: func(v string) error { r := ordinaryRecord(); r.Zone = v; return renderRecord(r) }},
	{name: "dns record name",
		put:    func(p *Plane, v string) error { r := ordinaryRecord(); r.Name = v; return putRecord(p, r) },
		render: func(v string) error { r := ordinaryRecord(); r.Name = v; return renderRecord(r) }},
	{name: "dns record health path", accepted: []string{"uppercase", "path traversal"},
		put:    func(p *Plane, v string) error { r := ordinaryRecord(); r.HealthPath = "/" + v; return putRecord(p, r) },
		render: func(v string) error { r := ordinaryRecord(); r.HealthPath = "/" + v; return renderRecord(r) }},
	{name: "dns record target",
		put:    func(p *Plane, v string) error { r := ordinaryRecord(); r.Targets[0][1] = v; return putRecord(p, r) },
		render: func(v string) error { r := ordinaryRecord(); r.Targets[0][1] = v; return renderRecord(r) }},
	{name: "cache environment",
		put:    func(p *Plane, v string) error { s := ordinaryCache(); s.Env = v; return putCache(p, s) },
		render: func(v string) error { s := ordinaryCache(); s.Env = v; return renderCache(s) }},
	{name: "cache region",
		put:    func(p *Plane, v string) error { s := ordinaryCache(); s.Region = v; return putCache(p, s) },
		render: func(v string) error { s := ordinaryCache(); s.Region = v; return renderCache(s) }},
	{name: "cache service",
		put:    func(p *Plane, v string) error { s := ordinaryCache(); s.Service = v; return putCache(p, s) },
		render: func(v string) error { s := ordinaryCache(); s.Service = v; return renderCache(s) }},
	{name: "cache origin",
		put:    func(p *Plane, v string) error { s := ordinaryCache(); s.Origins[1] = v; return putCache(p, s) },
		render: func(v string) error { s := ordinaryCache(); s.Origins[1] = v; return renderCache(s) }},
	{name: "cache path", accepted: []string{"uppercase", "path traversal"},
		put: func(p *Plane, v string) error {
			s := ordinaryCache()
			s.Paths = append(s.Paths, "/"+v)
			return putCache(p, s)
		},
		render: func(v string) error { s := ordinaryCache(); s.Paths = append(s.Paths, "/"+v); return renderCache(s) }},
	{name: "queue environment",
		put: func(p *Plane, v string) error { s := ordinaryQueue(); s.Env = v; return putQueue(p, s) }},
	{name: "queue service",
		put: func(p *Plane, v string) error { s := ordinaryQueue(); s.Service = v; return putQueue(p, s) }},
	{name: "queue stream", accepted: []string{"uppercase"},
		put: func(p *Plane, v string) error { s := ordinaryQueue(); s.Stream = v; return putQueue(p, s) }},
	{name: "link region",
		put: func(p *Plane, v string) error { s := ordinaryLink(); s.Region = v; return putLink(p, s) }},
	{name: "link callee",
		put: func(p *Plane, v string) error { s := ordinaryLink(); s.Callee = v; return putLink(p, s) }},
	{name: "link upstream",
		put: func(p *Plane, v string) error { s := ordinaryLink(); s.Upstream = v; return putLink(p, s) }},
	{name: "monitor environment",
		put: func(p *Plane, v string) error { m := ordinaryMonitor(); m.Env = v; return putMonitor(p, m) }},
	{name: "monitor service",
		put: func(p *Plane, v string) error {
			m := ordinaryMonitor()
			m.Services[0].Name = v
			return putMonitor(p, m)
		}},
	{name: "monitor region",
		put: func(p *Plane, v string) error {
			m := ordinaryMonitor()
			m.Services[0].Regions[0] = v
			return putMonitor(p, m)
		}},
	{name: "monitor fqdn",
		put: func(p *Plane, v string) error {
			m := ordinaryMonitor()
			m.Services[0].FQDN = v
			return putMonitor(p, m)
		}},
	{name: "monitor health path", accepted: []string{"uppercase", "path traversal"},
		put: func(p *Plane, v string) error {
			m := ordinaryMonitor()
			m.Services[0].HealthPath = "/" + v
			return putMonitor(p, m)
		}},
	{name: "monitor retention",
		put: func(p *Plane, v string) error { m := ordinaryMonitor(); m.Retention = v; return putMonitor(p, m) }},
	{name: "monitor rules",
		put: func(p *Plane, v string) error { m := ordinaryMonitor(); m.Rules = v; return putMonitor(p, m) }},
}

func putBalancer(p *Plane, s localapi.BalancerSpec) error {
	_, err := p.PutBalancer(context.Background(), s)
	return err
}

func renderBalancer(s localapi.BalancerSpec) error {
	_, err := haproxyConfig(s, "127.0.1.1:18097", "127.0.1.4:18097", []string{"127.0.1.100:8080"}, "/tmp/admin.sock")
	return err
}

func putRecord(p *Plane, r localapi.DNSRecordSpec) error {
	_, err := p.PutDNSRecord(context.Background(), r)
	return err
}

func renderRecord(r localapi.DNSRecordSpec) error {
	_, err := zoneRecords([]localapi.DNSRecordSpec{r})
	return err
}

func putCache(p *Plane, s localapi.CacheSpec) error {
	_, err := p.PutCache(context.Background(), s)
	return err
}

func renderCache(s localapi.CacheSpec) error {
	_, err := nginxConfig(s, "127.0.1.6:18098", []string{"127.0.1.1:18098", "127.0.2.1:18098"}, true)
	return err
}

func putQueue(p *Plane, s localapi.QueueSpec) error {
	_, err := p.PutQueue(context.Background(), s)
	return err
}

func putLink(p *Plane, s localapi.LinkSpec) error {
	_, err := p.PutLink(context.Background(), s)
	return err
}

func putMonitor(p *Plane, m localapi.MonitorSpec) error {
	_, err := p.PutMonitor(context.Background(), m)
	return err
}

// Every string of every spec the plane turns into HAProxy's, PowerDNS's,
// nginx's or Prometheus's configuration (or a program's flags, a
// Toxiproxy proxy's name, a folder), fed every hostile string: the plane
// refuses it as a bad request, whatever its caller checked, and writes no
// configuration file; the renderers refuse it too when called directly
// (a spec read back from an older state file).
func TestHostileSpecsAreRefused(t *testing.T) {
	p := newTestPlane(t)
	for _, f := range hostileFields {
		for _, h := range hostile.Strings {
			err := f.put(p, h.Value)
			accepted := slices.Contains(f.accepted, h.What)
			if accepted == errors.Is(err, localapi.ErrBadRequest) {
				t.Errorf("%s = %.40q: accepted %v, got %v", f.name, h.Value, accepted, err)
			}
			if f.render == nil {
				continue
			}
			if err := f.render(h.Value); accepted == errors.Is(err, localapi.ErrBadRequest) {
				t.Errorf("rendering %s = %.40q: accepted %v, got %v", f.name, h.Value, accepted, err)
			}
		}
	}
	var written []string
	_ = filepath.WalkDir(p.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && slices.Contains([]string{".cfg", ".zone", ".conf", ".yml"}, filepath.Ext(path)) {
			written = append(written, path)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("configuration written for refused specs: %v", written)
	}
}

// An ordinary spec renders as written by hand: the renderers that refuse
// hostile strings still write what they always wrote.
func TestOrdinarySpecsRender(t *testing.T) {
	cfg, err := haproxyConfig(ordinaryBalancer(), "127.0.1.1:18097", "127.0.1.4:18097", []string{"127.0.1.100:8080"}, "/tmp/admin.sock")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"# Written by bulwark's local control plane for t/east/shop. Do not edit.",
		"frontend t_east_shop", "    bind 127.0.1.1:18097", "    option httpchk GET /healthz", "    server slot0 127.0.1.100:8080 check",
	} {
		if !slices.Contains(strings.Split(cfg, "\n"), line) {
			t.Errorf("haproxy.cfg lacks the line %q:\n%s", line, cfg)
		}
	}
	zone, err := zoneRecords([]localapi.DNSRecordSpec{ordinaryRecord()})
	if err != nil {
		t.Fatal(err)
	}
	want := `www 1 IN LUA A "ifurlup('http://www.shop.test:8080/healthz', {{'127.0.1.1', '127.0.2.1'}}, {selector='all', timeout=1})"` + "\n"
	if zone != want {
		t.Errorf("zone records:\n got %q\nwant %q", zone, want)
	}
}

// Prometheus's and the blackbox exporter's files are marshalled, not
// formatted: even strings the plane refuses, rendered directly, come back
// from a YAML parser as exactly the values they were, in the places they
// were put, beside nothing they could have added.
func TestHostileStringsInPrometheusFilesStayValues(t *testing.T) {
	for _, h := range hostile.Strings {
		v := h.Value
		m := &monitorRunner{env: v, global: localapi.Region{Index: 9}}
		spec := localapi.MonitorSpec{Env: v, Services: []localapi.MonitoredService{{Name: v, Port: 8080, Regions: []string{"east"}, FQDN: v, HealthPath: v, Database: true}}}
		out := m.prometheusConfig(spec, map[string]localapi.Region{"east": {Index: 3}}, map[string][2]string{"127.0.3.2:8080": {"east", v}})
		lines := strings.SplitN(out, "\n", 3)
		if !strings.HasPrefix(lines[0], "# ") || lines[1] != "global:" {
			t.Errorf("%s: the header comment spills over:\n%.300s", h.What, out)
		}
		var cfg struct {
			Global        map[string]string `yaml:"global"`
			RuleFiles     []string          `yaml:"rule_files"`
			ScrapeConfigs []struct {
				JobName     string `yaml:"job_name"`
				MetricsPath string `yaml:"metrics_path"`
				Static      []struct {
					Targets []string          `yaml:"targets"`
					Labels  map[string]string `yaml:"labels"`
				} `yaml:"static_configs"`
				Relabel       []map[string]any `yaml:"relabel_configs"`
				MetricRelabel []struct {
					SourceLabels []string `yaml:"source_labels"`
					Regex        string   `yaml:"regex"`
					TargetLabel  string   `yaml:"target_label"`
					Replacement  string   `yaml:"replacement"`
				} `yaml:"metric_relabel_configs"`
				HTTPSD         []map[string]string `yaml:"http_sd_configs"`
				ScrapeInterval string              `yaml:"scrape_interval"`
				ScrapeTimeout  string              `yaml:"scrape_timeout"`
				HonorLabels    bool                `yaml:"honor_labels"`
			} `yaml:"scrape_configs"`
		}
		dec := yaml.NewDecoder(strings.NewReader(out))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			t.Errorf("%s: prometheus.yml does not parse back: %v", h.What, err)
			continue
		}
		var jobs []string
		for _, j := range cfg.ScrapeConfigs {
			jobs = append(jobs, j.JobName)
		}
		if want := []string{"haproxy", "instances", "bulwark", "probe-http", "probe-dns", "postgres"}; !slices.Equal(jobs, want) {
			t.Errorf("%s: jobs %q, want %q", h.What, jobs, want)
			continue
		}
		balancer, probe, dns, db := cfg.ScrapeConfigs[0], cfg.ScrapeConfigs[3], cfg.ScrapeConfigs[4], cfg.ScrapeConfigs[5]
		if l := balancer.Static[0].Labels; len(balancer.Static) != 1 || l["env"] != v || l["service"] != v || l["region"] != "east" || len(l) != 3 {
			t.Errorf("%s: balancer labels %q", h.What, l)
		}
		if got := probe.Static[0].Targets; !slices.Equal(got, []string{"http://127.0.3.1:8080" + v}) {
			t.Errorf("%s: probe targets %.80q", h.What, got)
		}
		if got := dns.Static[0].Labels["__param_module"]; got != "dns_"+v {
			t.Errorf("%s: dns module %.80q", h.What, got)
		}
		if len(db.MetricRelabel) != 2 || db.MetricRelabel[0].Replacement != "east" || db.MetricRelabel[1].Replacement != v ||
			db.MetricRelabel[1].TargetLabel != "service" || db.MetricRelabel[1].Regex != `127\.0\.3\.2:8080` {
			t.Errorf("%s: database relabelling %q", h.What, db.MetricRelabel)
		}

		var bb struct {
			Modules map[string]struct {
				Prober string `yaml:"prober"`
				DNS    struct {
					QueryName string `yaml:"query_name"`
				} `yaml:"dns"`
			} `yaml:"modules"`
		}
		if err := yaml.Unmarshal([]byte(blackboxConfig(spec)), &bb); err != nil {
			t.Errorf("%s: blackbox.yml does not parse back: %v", h.What, err)
			continue
		}
		if mod, ok := bb.Modules["dns_"+v]; len(bb.Modules) != 2 || !ok || mod.Prober != "dns" || mod.DNS.QueryName != v {
			t.Errorf("%s: blackbox modules %.200q", h.What, bb.Modules)
		}
	}
}

// A series whose labels Prometheus's exposition cannot carry (not UTF-8)
// is left out of the control plane's metrics; the others are served, and
// the control plane does not panic.
func TestCollectorLeavesOutUnwritableLabels(t *testing.T) {
	var logged bytes.Buffer
	p := &Plane{log: log.New(&logged, "", 0), backups: map[localapi.BackupID]*backupRunner{}}
	for _, service := range []string{"shop", "a\xffb"} {
		spec := localapi.BackupSpec{Env: "t", Service: service, Primary: "east"}
		p.backups[spec.ID()] = &backupRunner{p: p, spec: spec, seeded: true}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(planeCollector{p: p, env: "t"})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "service" {
					services = append(services, f.GetName()+"/"+l.GetValue())
				}
			}
		}
	}
	slices.Sort(services)
	if want := []string{"bulwark_backup_failures_total/shop", "bulwark_backup_interval_seconds/shop"}; !slices.Equal(services, want) {
		t.Errorf("series %q, want %q", services, want)
	}
	if !strings.Contains(logged.String(), "UTF-8") {
		t.Errorf("nothing logged of the series left out: %q", logged.String())
	}
}
