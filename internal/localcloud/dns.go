package localcloud

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// DNSPort is the port every environment's DNS server listens on (on its own
// address): not 53, which a stock Debian resolver may hold.
const DNSPort = 10053

// globalRegion names the pseudo-region whose range holds an environment's
// global services (topology forbids it as a region name).
const globalRegion = "global"

// dnsRunner runs one environment's PowerDNS.
type dnsRunner struct {
	p    *Plane
	env  string
	addr string // host:port
	managed
	// writing serialises writing the configuration and reloading it; zones
	// are the records each zone file was last written with.
	writing sync.Mutex
	zones   map[string]string
}

func (p *Plane) dnsDir(env string) string { return filepath.Join(p.dir, "dns", env) }

// PutDNSServer starts (or restarts) an environment's PowerDNS and waits for it.
func (p *Plane) PutDNSServer(ctx context.Context, spec localapi.DNSServerSpec) (localapi.DNSServer, error) {
	// the environment's name goes into pdns.conf and the server's folder
	if err := contract.CheckName(spec.Env); err != nil {
		return localapi.DNSServer{}, fmt.Errorf("%w: dns %q: environment: %w", localapi.ErrBadRequest, spec.Env, err)
	}
	bin, err := exec.LookPath("pdns_server")
	if err != nil {
		return localapi.DNSServer{}, fmt.Errorf("dns %s: pdns_server: %w (apt-get install pdns-server pdns-backend-bind)", spec.Env, localapi.ErrMissingProgram)
	}
	g, err := p.allocateRegion(localapi.RegionSpec{Env: spec.Env, Name: globalRegion})
	if err != nil {
		return localapi.DNSServer{}, err
	}
	d, _, err := register(p, p.dns, p.state.DNSServers, spec.ID(), spec, func() *dnsRunner {
		return &dnsRunner{p: p, env: spec.Env, addr: net.JoinHostPort(fmt.Sprintf("127.0.%d.53", g.Index), strconv.Itoa(DNSPort)), zones: map[string]string{}}
	})
	if err != nil {
		return localapi.DNSServer{}, err
	}
	if err := d.start(bin); err != nil {
		return d.status(), err
	}
	err = waitListening(ctx, "dns "+spec.Env+" (pdns_server)", d.addr, func() bool { return d.status().Running },
		filepath.Join(p.dnsDir(spec.Env), "pdns.log"))
	return d.status(), err
}

// writeConfig writes pdns.conf, named.conf and the zones whose records
// changed since it last wrote them (every zone the first time), each file
// replaced whole so a reading pdns_control or pdns_server never sees half
// of one. It returns the zones written and whether named.conf changed (a
// zone came or went). Callers hold d.writing.
func (d *dnsRunner) writeConfig() (written []string, zonesChanged bool, err error) {
	dir := d.p.dnsDir(d.env)
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		return nil, false, err
	}
	host, port, _ := net.SplitHostPort(d.addr)
	conf := fmt.Sprintf(`# Written by bulwark's local control plane for environment %q. Do not edit.
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
`, d.env, filepath.Join(dir, "named.conf"), host, port, dir)
	if _, err := replaceFile(filepath.Join(dir, "pdns.conf"), conf, 0o644); err != nil {
		return nil, false, err
	}
	d.p.mu.Lock()
	zones := map[string][]localapi.DNSRecordSpec{}
	for _, r := range d.p.state.DNSRecords {
		if r.Env == d.env {
			zones[r.Zone] = append(zones[r.Zone], r)
		}
	}
	d.p.mu.Unlock()
	var named strings.Builder
	for _, zone := range slices.Sorted(maps.Keys(zones)) {
		path := filepath.Join(dir, "zones", zone+".zone")
		fmt.Fprintf(&named, "zone %q { type master; file %q; };\n", zone, path)
		records, err := zoneRecords(zones[zone])
		if err != nil {
			return nil, false, err
		}
		if _, err := os.Stat(path); err == nil && d.zones[zone] == records {
			continue
		}
		if _, err := replaceFile(path, zoneFile(zone, host, time.Now().Unix(), records), 0o644); err != nil {
			return nil, false, err
		}
		d.zones[zone] = records
		written = append(written, zone)
	}
	for zone := range d.zones {
		if _, ok := zones[zone]; !ok {
			delete(d.zones, zone)
			_ = os.Remove(filepath.Join(dir, "zones", zone+".zone"))
		}
	}
	zonesChanged, err = replaceFile(filepath.Join(dir, "named.conf"), named.String(), 0o644)
	return written, zonesChanged, err
}

// replaceFile replaces path with content (written beside it, then renamed
// over it) unless it holds that already, and reports whether it did.
func replaceFile(path, content string, perm os.FileMode) (bool, error) {
	if cur, err := os.ReadFile(path); err == nil && string(cur) == content {
		return false, nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), perm); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// zoneFile renders a zone: SOA (serial given), NS, and its records.
func zoneFile(zone, nsAddr string, serial int64, records string) string {
	return fmt.Sprintf("$ORIGIN %s.\n@ 60 IN SOA ns.%s. hostmaster.%s. %d 60 30 3600 1\n@ 60 IN NS ns.%s.\nns 60 IN A %s\n%s",
		zone, zone, zone, serial, zone, nsAddr, records)
}

// zoneRecords renders a zone's records, one LUA ifurlup record each. A
// check times out after 1 s (PowerDNS's default is 2 s): a load balancer
// on loopback answers in milliseconds, and one cut off by a partition never
// answers, so the shorter timeout takes it out of the answers sooner.
//
// Each record's name, URL and addresses are written inside a LUA string
// ('...') inside the zone file's quoted string ("..."), and the record's
// label and zone as the file's words: a record that checkRecord refuses
// is refused here too (one read back from an older state file), so
// nothing written needs escaping for either syntax.
func zoneRecords(records []localapi.DNSRecordSpec) (string, error) {
	sort.Slice(records, func(i, j int) bool { return records[i].Name < records[j].Name })
	var b strings.Builder
	for _, r := range records {
		if err := checkRecord(r); err != nil {
			return "", err
		}
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
	return b.String(), nil
}

// checkRecord says why a record cannot be written into a zone file (nil
// when it can), as an ErrBadRequest: the environment a name, the zone and
// the full name DNS names, the label a label or @, the health path a
// plain path, the targets loopback IPv4 addresses.
func checkRecord(r localapi.DNSRecordSpec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: dns record %q: %s", localapi.ErrBadRequest, r.ID().String(), fmt.Sprintf(format, args...))
	}
	if r.TTL < 1 || r.Port < 1 || r.Port > 65535 || len(r.Targets) == 0 {
		return bad("need a ttl, a port and targets")
	}
	if err := contract.CheckName(r.Env); err != nil {
		return fmt.Errorf("%w: dns record %q: environment: %w", localapi.ErrBadRequest, r.ID().String(), err)
	}
	if err := contract.CheckDNSName(r.Zone); err != nil {
		return fmt.Errorf("%w: dns record %q: zone: %w", localapi.ErrBadRequest, r.ID().String(), err)
	}
	if err := contract.CheckDNSLabel(r.Name); err != nil {
		return fmt.Errorf("%w: dns record %q: name: %w", localapi.ErrBadRequest, r.ID().String(), err)
	}
	if err := contract.CheckDNSName(r.FQDN()); err != nil {
		return fmt.Errorf("%w: dns record %q: %w", localapi.ErrBadRequest, r.ID().String(), err)
	}
	// the path goes into a LUA string of the zone file: a plain path only
	if err := contract.CheckHealthPath(r.HealthPath); err != nil {
		return fmt.Errorf("%w: dns record %q: %w", localapi.ErrBadRequest, r.ID().String(), err)
	}
	for _, set := range r.Targets {
		for _, a := range set {
			if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() || ip.To4() == nil || ip.String() != a {
				return bad("target %q is not a loopback IPv4 address", a)
			}
		}
	}
	return nil
}

// start writes the configuration and starts PowerDNS unless it runs.
func (d *dnsRunner) start(bin string) error {
	d.writing.Lock()
	defer d.writing.Unlock()
	if _, _, err := d.writeConfig(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	name := "dns/" + d.env
	d.adoptRecorded(d.p, name, "pdns_server", syscall.SIGTERM)
	if d.proc.running() {
		// an adopted server may hold older zones: reload them all
		return d.reload(slices.Sorted(maps.Keys(d.zones)), true)
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

// reload tells a running PowerDNS to read named.conf again when zones
// came or went, and the given zones' files.
func (d *dnsRunner) reload(zones []string, rediscover bool) error {
	dir := d.p.dnsDir(d.env)
	if rediscover {
		if out, err := exec.Command("pdns_control", "--config-dir="+dir, "rediscover").CombinedOutput(); err != nil {
			return fmt.Errorf("dns %s: pdns_control rediscover: %v: %s", d.env, err, out)
		}
	}
	for _, zone := range zones {
		if out, err := exec.Command("pdns_control", "--config-dir="+dir, "bind-reload-now", zone).CombinedOutput(); err != nil {
			return fmt.Errorf("dns %s: reload zone %s: %v: %s", d.env, zone, err, out)
		}
	}
	return nil
}

func (d *dnsRunner) status() localapi.DNSServer {
	pid, running := d.pid()
	return localapi.DNSServer{DNSServerSpec: localapi.DNSServerSpec{Env: d.env}, Address: d.addr, Running: running, PID: pid}
}

// GetDNSServer returns an environment's DNS server status.
func (p *Plane) GetDNSServer(_ context.Context, env localapi.EnvID) (localapi.DNSServer, error) {
	d, err := lookup(p, p.dns, "dns", env)
	if err != nil {
		return localapi.DNSServer{}, err
	}
	return d.status(), nil
}

// DeleteDNSServer stops PowerDNS; the environment's records must be gone.
func (p *Plane) DeleteDNSServer(_ context.Context, id localapi.EnvID) error {
	env := string(id)
	p.mu.Lock()
	for _, r := range p.state.DNSRecords {
		if r.Env == env {
			p.mu.Unlock()
			return fmt.Errorf("dns %s still serves record %s", env, r.FQDN())
		}
	}
	d, ok := p.dns[id]
	delete(p.dns, id)
	delete(p.state.DNSServers, id)
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
	return p.freeRegion(localapi.RegionID{Env: env, Region: globalRegion})
}

// PutDNSRecord creates or updates a record and reloads the server.
func (p *Plane) PutDNSRecord(_ context.Context, spec localapi.DNSRecordSpec) (localapi.DNSRecordSpec, error) {
	if err := checkRecord(spec); err != nil {
		return spec, err
	}
	p.mu.Lock()
	d, ok := p.dns[localapi.EnvID(spec.Env)]
	if ok {
		p.state.DNSRecords[spec.ID()] = spec
	}
	err := p.save()
	p.mu.Unlock()
	if !ok {
		return spec, fmt.Errorf("dns record %s: no DNS server for environment %s: %w", spec.ID(), spec.Env, localapi.ErrNotFound)
	}
	if err != nil {
		return spec, err
	}
	return spec, d.refresh()
}

// refresh rewrites the zones that changed and has a running server reload
// them. Refreshes of one server run one at a time, so a zone file is never
// overwritten by an older view of the records.
func (d *dnsRunner) refresh() error {
	d.writing.Lock()
	defer d.writing.Unlock()
	written, zonesChanged, err := d.writeConfig()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.proc.running() {
		return nil // picked up when it starts
	}
	return d.reload(written, zonesChanged)
}

// GetDNSRecord returns a record.
func (p *Plane) GetDNSRecord(_ context.Context, id localapi.RecordID) (localapi.DNSRecordSpec, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.state.DNSRecords[id]
	if !ok {
		return localapi.DNSRecordSpec{}, fmt.Errorf("dns record %s: %w", id, localapi.ErrNotFound)
	}
	return r, nil
}

// DeleteDNSRecord removes a record and reloads the server.
func (p *Plane) DeleteDNSRecord(_ context.Context, id localapi.RecordID) error {
	p.mu.Lock()
	r, ok := p.state.DNSRecords[id]
	delete(p.state.DNSRecords, id)
	err := p.save()
	d := p.dns[localapi.EnvID(r.Env)]
	p.mu.Unlock()
	if err != nil || !ok || d == nil {
		return err
	}
	return d.refresh()
}
