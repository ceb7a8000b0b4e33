package localcloud

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DNSPort is the port every environment's DNS server listens on (on its own
// address): not 53, which a stock Debian resolver may hold.
const DNSPort = 10053

// globalRegion names the pseudo-region whose range holds an environment's
// global services (topology forbids it as a region name).
const globalRegion = "global"

// DNSServerSpec is an environment's authoritative DNS server (PowerDNS).
type DNSServerSpec struct {
	Env string `json:"env"`
}

// DNSServer is the server's spec and process.
type DNSServer struct {
	DNSServerSpec
	Address string `json:"address"` // host:port
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
}

// DNSRecordSpec is a health-checked record: the addresses whose health URL
// answers, as a LUA ifurlup record. Targets are sets tried in order: the
// healthy addresses of the first set that has any are returned. One set of
// every region is active-active; one set per region, primary first, is a hot
// standby.
type DNSRecordSpec struct {
	Env        string     `json:"env"`
	Zone       string     `json:"zone"`
	Name       string     `json:"name"` // label in the zone; @ for the apex
	TTL        int        `json:"ttl"`
	Targets    [][]string `json:"targets"` // sets of IPv4 addresses
	Port       int        `json:"port"`
	HealthPath string     `json:"health_path"`
}

// ID is env/zone/name.
func (s DNSRecordSpec) ID() string { return s.Env + "/" + s.Zone + "/" + s.Name }

// FQDN is the record's name with the zone.
func (s DNSRecordSpec) FQDN() string {
	if s.Name == "@" || s.Name == "" {
		return s.Zone
	}
	return s.Name + "." + s.Zone
}

// dnsRunner runs one environment's PowerDNS.
type dnsRunner struct {
	p    *Plane
	env  string
	addr string // host:port
	managed
}

func (p *Plane) dnsDir(env string) string { return filepath.Join(p.dir, "dns", env) }

// PutDNSServer starts (or restarts) an environment's PowerDNS and waits for it.
func (p *Plane) PutDNSServer(ctx context.Context, spec DNSServerSpec) (DNSServer, error) {
	bin, err := exec.LookPath("pdns_server")
	if err != nil {
		return DNSServer{}, fmt.Errorf("dns %s: pdns_server: %w (apt-get install pdns-server pdns-backend-bind)", spec.Env, ErrMissingProgram)
	}
	g, err := p.PutRegion(RegionSpec{Env: spec.Env, Name: globalRegion})
	if err != nil {
		return DNSServer{}, err
	}
	d, _, err := register(p, p.dns, p.state.DNSServers, spec.Env, spec, func() *dnsRunner {
		return &dnsRunner{p: p, env: spec.Env, addr: net.JoinHostPort(fmt.Sprintf("127.0.%d.53", g.Index), strconv.Itoa(DNSPort))}
	})
	if err != nil {
		return DNSServer{}, err
	}
	if err := d.start(bin); err != nil {
		return d.status(), err
	}
	err = waitFor(ctx, "dns "+spec.Env, func() (bool, error) {
		if !d.status().Running {
			return false, fmt.Errorf("dns %s: pdns_server exited at start; see %s", spec.Env, filepath.Join(p.dnsDir(spec.Env), "pdns.log"))
		}
		c, err := net.DialTimeout("tcp", d.addr, 200*time.Millisecond)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	})
	return d.status(), err
}

// writeDNSConfig writes pdns.conf, named.conf and every zone of the
// environment from the records the plane holds; callers hold no locks.
func (p *Plane) writeDNSConfig(env, addr string) error {
	dir := p.dnsDir(env)
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf(`# Written by bulwark's local control plane for environment %s. Do not edit.
launch=bind
bind-config=%s
bind-check-interval=0
local-address=%s
local-port=%s
local-address-nonexist-fail=yes
enable-lua-records=yes
lua-health-checks-interval=1
lua-health-checks-expire-delay=3600
security-poll-suffix=
daemon=no
guardian=no
disable-syslog=yes
socket-dir=%s
webserver=no
api=no
loglevel=4
`, env, filepath.Join(dir, "named.conf"), host, port, dir)
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	p.mu.Lock()
	zones := map[string][]DNSRecordSpec{}
	for _, r := range p.state.DNSRecords {
		if r.Env == env {
			zones[r.Zone] = append(zones[r.Zone], r)
		}
	}
	p.mu.Unlock()
	var named strings.Builder
	var names []string
	for zone := range zones {
		names = append(names, zone)
	}
	sort.Strings(names)
	for _, zone := range names {
		path := filepath.Join(dir, "zones", zone+".zone")
		fmt.Fprintf(&named, "zone %q { type master; file %q; };\n", zone, path)
		if err := os.WriteFile(path, []byte(zoneFile(zone, host, zones[zone])), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "named.conf"), []byte(named.String()), 0o644)
}

// zoneFile renders a zone: SOA, NS and one LUA ifurlup record per record.
// A check times out after 1 s (PowerDNS's default is 2 s): a load balancer
// on loopback answers in milliseconds, and one cut off by a partition never
// answers, so the shorter timeout takes it out of the answers sooner.
func zoneFile(zone, nsAddr string, records []DNSRecordSpec) string {
	sort.Slice(records, func(i, j int) bool { return records[i].Name < records[j].Name })
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s.\n@ 60 IN SOA ns.%s. hostmaster.%s. %d 60 30 3600 1\n@ 60 IN NS ns.%s.\nns 60 IN A %s\n",
		zone, zone, zone, time.Now().Unix(), zone, nsAddr)
	for _, r := range records {
		var sets []string
		for _, set := range r.Targets {
			quoted := make([]string, len(set))
			for i, a := range set {
				quoted[i] = "'" + a + "'"
			}
			sets = append(sets, "{"+strings.Join(quoted, ", ")+"}")
		}
		url := fmt.Sprintf("http://%s:%d%s", r.FQDN(), r.Port, r.HealthPath)
		fmt.Fprintf(&b, "%s %d IN LUA A \"ifurlup('%s', {%s}, {selector='all', timeout=1})\"\n", r.Name, r.TTL, url, strings.Join(sets, ", "))
	}
	return b.String()
}

// start writes the configuration and starts PowerDNS unless it runs.
func (d *dnsRunner) start(bin string) error {
	if err := d.p.writeDNSConfig(d.env, d.addr); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	name := "dns/" + d.env
	d.adoptRecorded(d.p, name, "pdns_server", syscall.SIGTERM)
	if d.proc.running() {
		return d.reload()
	}
	host, port, _ := net.SplitHostPort(d.addr)
	if err := portFree(host, port); err != nil {
		return fmt.Errorf("dns %s: %w", d.env, err)
	}
	dir := d.p.dnsDir(d.env)
	proc, err := spawn(exec.Command(bin, "--config-dir="+dir), filepath.Join(dir, "pdns.log"), d.p.placement(d.env, globalRegion))
	if err != nil {
		return fmt.Errorf("dns %s: %w", d.env, err)
	}
	d.proc = proc
	d.p.setPID(name, proc.PID)
	return nil
}

// reload tells a running PowerDNS to read the zone files again.
func (d *dnsRunner) reload() error {
	dir := d.p.dnsDir(d.env)
	if out, err := exec.Command("pdns_control", "--config-dir="+dir, "rediscover").CombinedOutput(); err != nil {
		return fmt.Errorf("dns %s: pdns_control rediscover: %v: %s", d.env, err, out)
	}
	zones, _ := filepath.Glob(filepath.Join(dir, "zones", "*.zone"))
	for _, z := range zones {
		zone := strings.TrimSuffix(filepath.Base(z), ".zone")
		if out, err := exec.Command("pdns_control", "--config-dir="+dir, "bind-reload-now", zone).CombinedOutput(); err != nil {
			return fmt.Errorf("dns %s: reload zone %s: %v: %s", d.env, zone, err, out)
		}
	}
	return nil
}

func (d *dnsRunner) status() DNSServer {
	pid, running := d.pid()
	return DNSServer{DNSServerSpec: DNSServerSpec{Env: d.env}, Address: d.addr, Running: running, PID: pid}
}

// GetDNSServer returns an environment's DNS server status.
func (p *Plane) GetDNSServer(env string) (DNSServer, error) {
	d, err := lookup(p, p.dns, "dns", env)
	if err != nil {
		return DNSServer{}, err
	}
	return d.status(), nil
}

// DeleteDNSServer stops PowerDNS; the environment's records must be gone.
func (p *Plane) DeleteDNSServer(env string) error {
	p.mu.Lock()
	for _, r := range p.state.DNSRecords {
		if r.Env == env {
			p.mu.Unlock()
			return fmt.Errorf("dns %s still serves record %s", env, r.FQDN())
		}
	}
	d, ok := p.dns[env]
	delete(p.dns, env)
	delete(p.state.DNSServers, env)
	err := p.save()
	p.mu.Unlock()
	if ok {
		d.stop(5 * time.Second)
		p.setPID("dns/"+env, 0)
		_ = os.RemoveAll(p.dnsDir(env))
	}
	if err != nil {
		return err
	}
	return p.DeleteRegion(env + "/" + globalRegion)
}

// PutDNSRecord creates or updates a record and reloads the server.
func (p *Plane) PutDNSRecord(spec DNSRecordSpec) (DNSRecordSpec, error) {
	if spec.TTL < 1 || spec.Port < 1 || len(spec.Targets) == 0 || !strings.HasPrefix(spec.HealthPath, "/") {
		return spec, fmt.Errorf("dns record %s: need ttl, port, targets and a health path", spec.ID())
	}
	for _, set := range spec.Targets {
		for _, a := range set {
			if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() || ip.To4() == nil {
				return spec, fmt.Errorf("dns record %s: target %q is not a loopback IPv4 address", spec.ID(), a)
			}
		}
	}
	p.mu.Lock()
	d, ok := p.dns[spec.Env]
	if ok {
		p.state.DNSRecords[spec.ID()] = spec
	}
	err := p.save()
	p.mu.Unlock()
	if !ok {
		return spec, fmt.Errorf("dns record %s: no DNS server for environment %s: %w", spec.ID(), spec.Env, ErrNotFound)
	}
	if err != nil {
		return spec, err
	}
	return spec, d.refresh()
}

// refresh rewrites the zones and reloads a running server.
func (d *dnsRunner) refresh() error {
	if err := d.p.writeDNSConfig(d.env, d.addr); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.proc.running() {
		return nil // picked up when it starts
	}
	return d.reload()
}

// GetDNSRecord returns a record.
func (p *Plane) GetDNSRecord(id string) (DNSRecordSpec, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.state.DNSRecords[id]
	if !ok {
		return DNSRecordSpec{}, fmt.Errorf("dns record %s: %w", id, ErrNotFound)
	}
	return r, nil
}

// DeleteDNSRecord removes a record and reloads the server.
func (p *Plane) DeleteDNSRecord(id string) error {
	p.mu.Lock()
	r, ok := p.state.DNSRecords[id]
	delete(p.state.DNSRecords, id)
	err := p.save()
	d := p.dns[r.Env]
	p.mu.Unlock()
	if err != nil || !ok || d == nil {
		return err
	}
	return d.refresh()
}

// Resolver asks only the DNS server at addr (host:port), over UDP, as the
// environment's clients do.
func Resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}
