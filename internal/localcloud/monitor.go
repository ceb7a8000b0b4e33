package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/yaml.v3"

	"github.com/bulwark-dev/bulwark/internal/slo"
)

// The monitoring of an environment lives in its global range, outside
// every region (a region's loss or partition never takes it along), each
// part at its own address; the ports are unusual so that a distribution's
// own Prometheus on the standard ports never collides.
const (
	PrometheusPort = 19090 // 127.0.G.90
	blackboxPort   = 19115 // 127.0.G.91
	pgExporterPort = 19187 // 127.0.G.92
	planeExporter  = 19100 // 127.0.G.93: the control plane's own metrics and service discovery
)

// monitorRunner runs one environment's monitoring processes and serves the
// control plane's metrics of that environment.
type monitorRunner struct {
	p      *Plane
	env    string
	global localapi.Region

	mu       sync.Mutex
	spec     localapi.MonitorSpec
	procs    map[string]*managed
	exporter *http.Server
	done     chan struct{} // closed when the exporter stopped serving
}

func (p *Plane) monitorDir(env string) string { return filepath.Join(p.dir, "monitor", env) }

func (r *monitorRunner) addr(host byte, port int) string {
	return net.JoinHostPort(fmt.Sprintf("127.0.%d.%d", r.global.Index, host), strconv.Itoa(port))
}

// monitorPrograms are the Debian programs of the monitoring, by name.
var monitorPrograms = map[string]string{
	"prometheus": "prometheus", "blackbox": "prometheus-blackbox-exporter", "postgres": "prometheus-postgres-exporter",
}

// PutMonitor writes the environment's monitoring configuration, starts
// what does not run and has what runs reload it, and waits until
// Prometheus is ready.
func (p *Plane) PutMonitor(ctx context.Context, spec localapi.MonitorSpec) (localapi.Monitor, error) {
	if spec.Retention == "" {
		spec.Retention = "31d"
	}
	if err := checkMonitorSpec(spec); err != nil {
		return localapi.Monitor{}, err
	}
	for _, name := range []string{"prometheus", "blackbox", "postgres"} {
		if _, err := exec.LookPath(monitorPrograms[name]); err != nil {
			return localapi.Monitor{}, fmt.Errorf("monitor %s: %s: %w (apt-get install prometheus prometheus-blackbox-exporter prometheus-postgres-exporter)", spec.Env, monitorPrograms[name], localapi.ErrMissingProgram)
		}
	}
	regions := map[string]localapi.Region{}
	for _, s := range spec.Services {
		for _, name := range s.Regions {
			r, err := p.regionOf(localapi.RegionID{Env: spec.Env, Region: name})
			if err != nil {
				return localapi.Monitor{}, fmt.Errorf("monitor %s: service %s: %w", spec.Env, s.Name, err)
			}
			regions[name] = r
		}
	}
	g, err := p.allocateRegion(localapi.RegionSpec{Env: spec.Env, Name: globalRegion})
	if err != nil {
		return localapi.Monitor{}, err
	}
	m, _, err := register(p, p.monitors, p.state.Monitors, spec.ID(), spec, func() *monitorRunner {
		return &monitorRunner{p: p, env: spec.Env, global: g, procs: map[string]*managed{}}
	})
	if err != nil {
		return localapi.Monitor{}, err
	}
	if err := m.apply(spec, regions); err != nil {
		return m.status(), err
	}
	ready := "http://" + m.addr(90, PrometheusPort) + "/-/ready"
	client := &http.Client{Timeout: time.Second}
	err = waitFor(ctx, "monitor "+spec.Env, func() (bool, error) {
		if pid, ok := m.procs["prometheus"].pid(); !ok {
			return false, fmt.Errorf("monitor %s: prometheus (pid %d) exited at start; see %s", spec.Env, pid, filepath.Join(p.monitorDir(spec.Env), "prometheus.log"))
		}
		resp, err := client.Get(ready)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return m.status(), err
}

// promRetention is a Prometheus duration such as 31d or 1d12h, as
// --storage.tsdb.retention.time takes it.
var promRetention = regexp.MustCompile(`^([0-9]+(y|w|d|h|ms|m|s))+$`)

// checkMonitorSpec says why a monitoring spec cannot be written into
// Prometheus's and the blackbox exporter's configuration (nil when it
// can), as an ErrBadRequest. The YAML files are marshalled, not
// formatted, so a label value or a query name is escaped as YAML needs;
// what is checked here is what YAML does not protect: the names become
// label values that the rules' PromQL matches and alert templates print,
// the folder's name and the files' first comment; the full names and
// paths become the probes' queries and URLs; the retention a command-line
// flag; and the rules must be a rule file.
func checkMonitorSpec(spec localapi.MonitorSpec) error {
	bad := func(what string, err error) error {
		return fmt.Errorf("%w: monitor %q: %s: %w", localapi.ErrBadRequest, spec.Env, what, err)
	}
	if err := contract.CheckName(spec.Env); err != nil {
		return bad("environment", err)
	}
	for _, s := range spec.Services {
		if err := contract.CheckName(s.Name); err != nil {
			return bad("service", err)
		}
		if s.Port < 1 || s.Port > 65535 {
			return bad("service "+s.Name, fmt.Errorf("port %d is not between 1 and 65535", s.Port))
		}
		for _, r := range s.Regions {
			if err := contract.CheckName(r); err != nil {
				return bad("service "+s.Name+": region", err)
			}
		}
		if err := contract.CheckDNSName(s.FQDN); err != nil {
			return bad("service "+s.Name+": name", err)
		}
		if err := contract.CheckHealthPath(s.HealthPath); err != nil {
			return bad("service "+s.Name, err)
		}
	}
	if !promRetention.MatchString(spec.Retention) {
		return bad("retention", fmt.Errorf("%q is not a Prometheus duration such as 31d", spec.Retention))
	}
	var rules struct {
		Groups []struct {
			Name string `yaml:"name"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(spec.Rules), &rules); err != nil {
		return bad("rules", fmt.Errorf("not a Prometheus rule file: %w", err))
	}
	for _, g := range rules.Groups {
		if g.Name == "" {
			return bad("rules", errors.New("a rule group without a name"))
		}
	}
	return nil
}

// apply writes the configuration files, starts the exporter and every
// process that does not run, and has running ones reload what changed.
func (m *monitorRunner) apply(spec localapi.MonitorSpec, regions map[string]localapi.Region) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spec = spec
	dir := m.p.monitorDir(m.env)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return err
	}
	if err := m.serveExporter(); err != nil {
		return err
	}
	var dsns []string
	members := map[string][2]string{} // database address -> region, service
	for _, s := range spec.Services {
		if !s.Database {
			continue
		}
		for _, name := range s.Regions {
			a := dbAddress(regions[name], s.Port)
			members[a] = [2]string{name, s.Name}
			// the exporter signs in as the monitoring role (pg_monitor)
			dsn, err := m.p.monitorDSN(m.env, s.Name, a)
			if errors.Is(err, ErrNoCredentials) {
				continue // no member of it yet: nothing to watch
			}
			if err != nil {
				return fmt.Errorf("monitor %s: %w", m.env, err)
			}
			dsns = append(dsns, dsn)
		}
	}
	files := map[string]string{
		"prometheus.yml": m.prometheusConfig(spec, regions, members),
		"rules.yml":      spec.Rules,
		"blackbox.yml":   blackboxConfig(spec),
	}
	changed := map[string]bool{}
	for name, content := range files {
		c, err := replaceFile(filepath.Join(dir, name), content, 0o600)
		if err != nil {
			return err
		}
		changed[name] = c
	}
	placement := m.p.placement(m.env, globalRegion)
	start := func(name string, cmd *exec.Cmd, listen string, reload bool) error {
		mp := m.procs[name]
		if mp == nil {
			mp = &managed{}
			m.procs[name] = mp
		}
		mp.mu.Lock()
		defer mp.mu.Unlock()
		pname := "monitor/" + m.env + "/" + name
		mp.adoptRecorded(m.p, pname, monitorPrograms[name], syscall.SIGTERM)
		if mp.proc.running() {
			if reload {
				_ = syscall.Kill(mp.proc.PID, syscall.SIGHUP)
			}
			return nil
		}
		host, port, _ := net.SplitHostPort(listen)
		if err := portFree(host, port); err != nil {
			return fmt.Errorf("monitor %s: %s: %w", m.env, name, err)
		}
		proc, err := spawn(cmd, filepath.Join(dir, name+".log"), placement)
		if err != nil {
			return fmt.Errorf("monitor %s: %w", m.env, err)
		}
		mp.proc = proc
		m.p.setPID(pname, proc.PID)
		return nil
	}
	promListen := m.addr(90, PrometheusPort)
	err := start("prometheus", exec.Command(monitorPrograms["prometheus"],
		"--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--storage.tsdb.retention.time="+spec.Retention, "--web.listen-address="+promListen, "--log.level=warn"),
		promListen, changed["prometheus.yml"] || changed["rules.yml"])
	if err != nil {
		return err
	}
	bbListen := m.addr(91, blackboxPort)
	err = start("blackbox", exec.Command(monitorPrograms["blackbox"],
		"--config.file="+filepath.Join(dir, "blackbox.yml"), "--web.listen-address="+bbListen, "--log.level=warn"),
		bbListen, changed["blackbox.yml"])
	if err != nil {
		return err
	}
	// the postgres exporter reads its servers at start: a changed list
	// restarts it. With several servers, its newer collectors (database,
	// bgwriter) export duplicate series and fail every scrape (0.11): off.
	pgListen := m.addr(92, pgExporterPort)
	queries := filepath.Join(dir, "postgres-queries.yml")
	if _, err := replaceFile(queries, pgQueries, 0o600); err != nil {
		return err
	}
	pgArgs := []string{"--web.listen-address=" + pgListen, "--log.level=warn", "--disable-settings-metrics", "--no-collector.database", "--no-collector.bgwriter", "--extend.query-path=" + queries}
	dsn := strings.Join(dsns, ",")
	signature := strings.Join(pgArgs, " ") + "\n" + dsn
	if pg := m.procs["postgres"]; pg != nil {
		if cur, _ := os.ReadFile(filepath.Join(dir, "postgres.dsn")); string(cur) != signature {
			pg.stop(5 * time.Second)
			delete(m.procs, "postgres") // started afresh below, if any database is left
			m.p.setPID("monitor/"+m.env+"/postgres", 0)
		}
	}
	if len(dsns) == 0 {
		return nil
	}
	if _, err := replaceFile(filepath.Join(dir, "postgres.dsn"), signature, 0o600); err != nil {
		return err
	}
	cmd := exec.Command(monitorPrograms["postgres"], pgArgs...)
	cmd.Env = append(os.Environ(), "DATA_SOURCE_NAME="+dsn)
	return start("postgres", cmd, pgListen, false)
}

// pgQueries are the postgres exporter's extra queries: each member's
// replication lag (seconds since the replica replayed the primary's last
// transaction, 0 when it has replayed all it received or is the primary)
// and whether it runs as the primary: pg_replication_lag and
// pg_replication_is_primary, with the server label of each member.
const pgQueries = `pg_replication:
  query: "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) END AS lag, CASE WHEN pg_is_in_recovery() THEN 0 ELSE 1 END AS is_primary"
  master: true
  metrics:
    - lag:
        usage: GAUGE
        description: "Replication lag behind the primary, in seconds"
    - is_primary:
        usage: GAUGE
        description: "1 when the member runs as the primary"
`

// scrapeConfig is one job of prometheus.yml.
type scrapeConfig struct {
	JobName        string              `yaml:"job_name"`
	ScrapeInterval string              `yaml:"scrape_interval,omitempty"`
	ScrapeTimeout  string              `yaml:"scrape_timeout,omitempty"`
	MetricsPath    string              `yaml:"metrics_path,omitempty"`
	HonorLabels    bool                `yaml:"honor_labels,omitempty"`
	Static         []staticConfig      `yaml:"static_configs,omitempty"`
	HTTPSD         []map[string]string `yaml:"http_sd_configs,omitempty"`
	Relabel        []relabel           `yaml:"relabel_configs,omitempty"`
	MetricRelabel  []relabel           `yaml:"metric_relabel_configs,omitempty"`
}

type staticConfig struct {
	Targets []string          `yaml:"targets"`
	Labels  map[string]string `yaml:"labels,omitempty"`
}

type relabel struct {
	SourceLabels []string `yaml:"source_labels,omitempty"`
	Regex        string   `yaml:"regex,omitempty"`
	TargetLabel  string   `yaml:"target_label,omitempty"`
	Replacement  string   `yaml:"replacement,omitempty"`
}

// ScrapeInterval is how often the local Prometheus scrapes (the control
// plane's metrics every second, so a replaced instance shows).
const ScrapeInterval = 2 * time.Second

// prometheusConfig renders prometheus.yml: a job per source of metrics,
// every series labelled with env, region and service.
func (m *monitorRunner) prometheusConfig(spec localapi.MonitorSpec, regions map[string]localapi.Region, members map[string][2]string) string {
	labels := func(region, service string) map[string]string {
		l := map[string]string{slo.LabelEnv: m.env, slo.LabelService: service}
		if region != "" {
			l[slo.LabelRegion] = region
		}
		return l
	}
	balancers := scrapeConfig{JobName: slo.JobBalancer}
	// a probe's target goes to the blackbox exporter as its target
	// parameter; the module is its target's __param_module label
	viaBlackbox := []relabel{
		{SourceLabels: []string{"__address__"}, TargetLabel: "__param_target"},
		{SourceLabels: []string{"__param_target"}, TargetLabel: "instance"},
		{TargetLabel: "__address__", Replacement: m.addr(91, blackboxPort)},
	}
	probes := scrapeConfig{JobName: slo.JobProbeHTTP, MetricsPath: "/probe", Relabel: viaBlackbox}
	dns := scrapeConfig{JobName: slo.JobProbeDNS, MetricsPath: "/probe", Relabel: viaBlackbox}
	for _, s := range spec.Services {
		for _, name := range s.Regions {
			r := regions[name]
			balancers.Static = append(balancers.Static, staticConfig{Targets: []string{net.JoinHostPort(r.MetricsAddress(), strconv.Itoa(s.Port))}, Labels: labels(name, s.Name)})
			l := labels(name, s.Name)
			l["__param_module"] = "http_health"
			probes.Static = append(probes.Static, staticConfig{Targets: []string{fmt.Sprintf("http://%s%s", net.JoinHostPort(r.BalancerAddress(), strconv.Itoa(s.Port)), s.HealthPath)}, Labels: l})
		}
		l := labels("", s.Name)
		l["__param_module"] = dnsModule(s.Name)
		dns.Static = append(dns.Static, staticConfig{Targets: []string{m.addr(53, DNSPort)}, Labels: l})
	}
	jobs := []scrapeConfig{
		balancers,
		{JobName: slo.JobInstances, HTTPSD: []map[string]string{{"url": "http://" + m.addr(93, planeExporter) + "/sd/instances", "refresh_interval": "2s"}}},
		{JobName: slo.JobPlane, ScrapeInterval: "1s", ScrapeTimeout: "1s", HonorLabels: true, Static: []staticConfig{{Targets: []string{m.addr(93, planeExporter)}, Labels: map[string]string{slo.LabelEnv: m.env}}}},
		probes, dns,
	}
	if len(members) > 0 {
		pg := scrapeConfig{JobName: slo.JobDatabase, Static: []staticConfig{{Targets: []string{m.addr(92, pgExporterPort)}, Labels: map[string]string{slo.LabelEnv: m.env}}}}
		addrs := make([]string, 0, len(members))
		for a := range members {
			addrs = append(addrs, a)
		}
		slices.Sort(addrs)
		for _, a := range addrs {
			re := regexp.QuoteMeta(a)
			pg.MetricRelabel = append(pg.MetricRelabel,
				relabel{SourceLabels: []string{"server"}, Regex: re, TargetLabel: slo.LabelRegion, Replacement: members[a][0]},
				relabel{SourceLabels: []string{"server"}, Regex: re, TargetLabel: slo.LabelService, Replacement: members[a][1]})
		}
		jobs = append(jobs, pg)
	}
	cfg := map[string]any{
		"global":         map[string]string{"scrape_interval": slo.PromDuration(ScrapeInterval), "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"rule_files":     []string{"rules.yml"},
		"scrape_configs": jobs,
	}
	out, _ := yaml.Marshal(cfg)
	return "# Written by bulwark's local control plane for environment " + strconv.Quote(m.env) + ". Do not edit.\n" + string(out)
}

func dnsModule(service string) string { return "dns_" + service }

// blackboxConfig renders the blackbox exporter's modules: an HTTP health
// check, and per service a DNS query of its name that must answer with a
// loopback address.
func blackboxConfig(spec localapi.MonitorSpec) string {
	modules := map[string]any{
		"http_health": map[string]any{"prober": "http", "timeout": "1s", "http": map[string]any{"preferred_ip_protocol": "ip4", "no_follow_redirects": true}},
	}
	for _, s := range spec.Services {
		modules[dnsModule(s.Name)] = map[string]any{"prober": "dns", "timeout": "1s", "dns": map[string]any{
			"query_name": s.FQDN, "query_type": "A", "transport_protocol": "udp", "preferred_ip_protocol": "ip4",
			"valid_rcodes":        []string{"NOERROR"},
			"validate_answer_rrs": map[string]any{"fail_if_none_matches_regexp": []string{`.*\sIN\s+A\s+127\..*`}},
		}}
	}
	out, _ := yaml.Marshal(map[string]any{"modules": modules})
	return "# Written by bulwark's local control plane. Do not edit.\n" + string(out)
}

// serveExporter starts the control plane's metrics and service discovery
// listener for the environment unless it serves; callers hold m.mu.
func (m *monitorRunner) serveExporter() error {
	if m.exporter != nil {
		return nil
	}
	l, err := net.Listen("tcp", m.addr(93, planeExporter))
	if err != nil {
		return fmt.Errorf("monitor %s: control plane exporter: %w: %v", m.env, localapi.ErrPortInUse, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(planeCollector{p: m.p, env: m.env})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /sd/instances", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m.p.instanceTargets(m.env))
	})
	m.exporter = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.done = make(chan struct{})
	srv, done := m.exporter, m.done
	go func() { defer close(done); _ = srv.Serve(l) }()
	return nil
}

// sdTarget is one group of Prometheus's HTTP service discovery.
type sdTarget struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// instanceTargets lists the environment's running instances, by group.
func (p *Plane) instanceTargets(env string) []sdTarget {
	out := []sdTarget{}
	for _, g := range inEnv(p, p.groups, env) {
		st := g.status()
		t := sdTarget{Labels: map[string]string{slo.LabelEnv: env, slo.LabelRegion: st.Region, slo.LabelService: st.Service}}
		for _, in := range st.Instances {
			if in.State != "stopped" && in.PID != 0 {
				t.Targets = append(t.Targets, in.Address)
			}
		}
		if len(t.Targets) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// inEnv returns the runners of an environment (their IDs begin env/),
// in ID order, under the plane's lock.
func inEnv[K localapi.ID, R any](p *Plane, runners map[K]R, env string) []R {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := map[string]K{}
	for id := range runners {
		ids[id.String()] = id
	}
	var out []R
	for _, s := range slices.Sorted(maps.Keys(ids)) {
		if strings.HasPrefix(s, env+"/") {
			out = append(out, runners[ids[s]])
		}
	}
	return out
}

var (
	descDesired   = prometheus.NewDesc(slo.MetricGroupDesired, "Instances the group wants (its desired capacity after autoscaling).", []string{slo.LabelRegion, slo.LabelService}, nil)
	descMin       = prometheus.NewDesc(slo.MetricGroupMin, "The group's minimum capacity.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descInService = prometheus.NewDesc(slo.MetricGroupInService, "Instances passing their health checks.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descUnhealthy = prometheus.NewDesc(slo.MetricGroupUnhealthy, "The most instances out of service at once since the previous scrape.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descReplaced  = prometheus.NewDesc(slo.MetricGroupReplaced, "Instances replaced because they exited or failed their health checks.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descBackupOK  = prometheus.NewDesc(slo.MetricBackupLastOK, "When the newest backup into every vault finished (Unix seconds).", []string{slo.LabelRegion, slo.LabelService}, nil)
	descBackupBad = prometheus.NewDesc(slo.MetricBackupFailures, "Backups into a vault that failed.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descDBUp      = prometheus.NewDesc(slo.MetricDatabaseUp, "1 when the region's database member runs (0: down).", []string{slo.LabelRegion, slo.LabelService}, nil)
	descBackupInt = prometheus.NewDesc(slo.MetricBackupEvery, "How often the plan takes a backup.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descQueueMsgs = prometheus.NewDesc(slo.MetricQueueMessages, "Writes the region's write queue holds, not yet drained into the database.", []string{slo.LabelRegion, slo.LabelService}, nil)
	descQueueAge  = prometheus.NewDesc(slo.MetricQueueOldestAge, "The age of the oldest write the region's write queue holds (0: none).", []string{slo.LabelRegion, slo.LabelService}, nil)
)

// planeCollector exports what the control plane knows of an environment:
// its instance groups and backup plans (CloudWatch's autoscaling and AWS
// Backup metrics on AWS). Series carry env, region and service labels.
type planeCollector struct {
	p   *Plane
	env string
}

func (c planeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDesired, descMin, descInService, descUnhealthy, descReplaced, descBackupOK, descBackupBad, descBackupInt, descDBUp, descQueueMsgs, descQueueAge} {
		ch <- d
	}
}

func (c planeCollector) Collect(ch chan<- prometheus.Metric) {
	// a label value the exposition format cannot carry (not UTF-8) leaves
	// its series out, rather than panicking in the control plane
	send := func(d *prometheus.Desc, kind prometheus.ValueType, v float64, region, service string) {
		m, err := prometheus.NewConstMetric(d, kind, v, region, service)
		if err != nil {
			c.p.log.Printf("monitor %s: %v", c.env, err)
			return
		}
		ch <- m
	}
	gauge := func(d *prometheus.Desc, v float64, region, service string) {
		send(d, prometheus.GaugeValue, v, region, service)
	}
	for _, g := range inEnv(c.p, c.p.groups, c.env) {
		st := g.status()
		peak := g.takeOutOfServicePeak()
		gauge(descDesired, float64(st.Current), st.Region, st.Service)
		gauge(descMin, float64(st.Min), st.Region, st.Service)
		gauge(descInService, float64(st.Healthy()), st.Region, st.Service)
		gauge(descUnhealthy, float64(peak), st.Region, st.Service)
		send(descReplaced, prometheus.CounterValue, float64(st.Replaced), st.Region, st.Service)
	}
	for _, d := range inEnv(c.p, c.p.databases, c.env) {
		_, running := d.pid()
		d.mu.Lock()
		spec := d.spec
		d.mu.Unlock()
		up := 0.0
		if running {
			up = 1
		}
		gauge(descDBUp, up, spec.Region, spec.Service)
	}
	for _, q := range inEnv(c.p, c.p.queues, c.env) {
		id := q.status().ID()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := c.p.QueueStats(ctx, id)
		cancel()
		if err != nil { // a queue that does not answer has no figures (its balancer's and DB's alerts say why)
			continue
		}
		gauge(descQueueMsgs, float64(st.Messages), id.Region, id.Service)
		gauge(descQueueAge, st.OldestAge.Seconds(), id.Region, id.Service)
	}
	for _, b := range inEnv(c.p, c.p.backups, c.env) {
		last, failures, spec := b.outcomes()
		if !last.IsZero() {
			gauge(descBackupOK, float64(last.UnixMilli())/1000, spec.Primary, spec.Service)
		}
		send(descBackupBad, prometheus.CounterValue, float64(failures), spec.Primary, spec.Service)
		gauge(descBackupInt, spec.Every.Seconds(), spec.Primary, spec.Service)
	}
}

func (m *monitorRunner) status() localapi.Monitor {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := localapi.Monitor{MonitorSpec: m.spec, Prometheus: "http://" + m.addr(90, PrometheusPort), PIDs: map[string]int{}, Running: len(m.procs) > 0}
	for name, mp := range m.procs {
		pid, running := mp.pid()
		if pid != 0 {
			st.PIDs[name] = pid
		}
		st.Running = st.Running && running
	}
	return st
}

// stop stops the processes and the exporter.
func (m *monitorRunner) stop() {
	m.mu.Lock()
	procs := m.procs
	srv, done := m.exporter, m.done
	m.exporter = nil
	m.mu.Unlock()
	for _, mp := range procs {
		mp.stop(5 * time.Second)
	}
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

// GetMonitor returns an environment's monitoring.
func (p *Plane) GetMonitor(_ context.Context, env localapi.EnvID) (localapi.Monitor, error) {
	m, err := lookup(p, p.monitors, "monitor", env)
	if err != nil {
		return localapi.Monitor{}, err
	}
	return m.status(), nil
}

// DeleteMonitor stops an environment's monitoring and removes its data.
func (p *Plane) DeleteMonitor(_ context.Context, id localapi.EnvID) error {
	env := string(id)
	m, _, ok, err := forget(p, p.monitors, p.state.Monitors, id)
	if ok {
		m.stop()
		for name := range monitorPrograms {
			p.setPID("monitor/"+env+"/"+name, 0)
		}
		_ = os.RemoveAll(p.monitorDir(env))
	}
	return err
}
