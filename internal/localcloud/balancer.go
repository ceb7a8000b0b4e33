package localcloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"

	"github.com/bulwark-dev/bulwark/internal/slo"
)

// balancerRunner runs one HAProxy. It is not supervised: a balancer that
// dies stays down (and shows as drift) until PutBalancer runs again.
type balancerRunner struct {
	p      *Plane
	region localapi.Region
	managed

	spec     localapi.BalancerSpec
	backends []string
	config   string
}

func (p *Plane) balancerName(spec localapi.BalancerSpec) string {
	return "balancer/" + spec.ID().String()
}

func (p *Plane) balancerDir(spec localapi.BalancerSpec) string {
	return filepath.Join(p.dir, "balancers", spec.Env, spec.Region, spec.Service)
}

// maxSocketPath is the longest unix socket path HAProxy binds (its limit,
// below the kernel's 108 bytes).
const maxSocketPath = 97

// adminSocket is where a balancer's HAProxy answers its runtime API: in its
// folder, or, when that path is too long for a unix socket (a deep state
// directory), in a short folder of the system's temporary directory named
// by a hash of it.
func (p *Plane) adminSocket(spec localapi.BalancerSpec) string {
	path := filepath.Join(p.balancerDir(spec), "admin.sock")
	if len(path) <= maxSocketPath {
		return path
	}
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(os.TempDir(), "bulwark-sockets", hex.EncodeToString(sum[:8])+".sock")
}

// PutBalancer creates, updates or restarts a load balancer in front of the
// instance group with the same ID, and returns once it listens.
func (p *Plane) PutBalancer(ctx context.Context, spec localapi.BalancerSpec) (localapi.Balancer, error) {
	if err := checkBalancerSpec(spec); err != nil {
		return localapi.Balancer{}, err
	}
	return p.applyBalancer(ctx, spec, true)
}

// checkBalancerSpec says why a balancer cannot be written into HAProxy's
// configuration (nil when it can), as an ErrBadRequest. HAProxy reads a
// line as words split at spaces, a # starting a comment, and has no
// quoting bulwark would need: the names (which become a section name and
// a comment, and the balancer's folder) must be names, the path (the
// `option httpchk` line) a plain path, whatever the caller checked before.
func checkBalancerSpec(spec localapi.BalancerSpec) error {
	for _, n := range []struct{ what, value string }{{"environment", spec.Env}, {"region", spec.Region}, {"service", spec.Service}} {
		if err := contract.CheckName(n.value); err != nil {
			return fmt.Errorf("%w: load balancer %q: %s: %w", localapi.ErrBadRequest, spec.ID().String(), n.what, err)
		}
	}
	if err := contract.CheckHealthPath(spec.Health.Path); err != nil {
		return fmt.Errorf("%w: load balancer %s: %w", localapi.ErrBadRequest, spec.ID(), err)
	}
	if spec.Port < 1 || spec.Port > 65535 {
		return fmt.Errorf("%w: load balancer %s: port %d is not between 1 and 65535", localapi.ErrBadRequest, spec.ID(), spec.Port)
	}
	if spec.CallerTimeout < 0 {
		return fmt.Errorf("%w: load balancer %s: caller timeout %s is negative", localapi.ErrBadRequest, spec.ID(), spec.CallerTimeout)
	}
	return nil
}

// applyBalancer creates, updates or restarts a balancer; with wait it
// returns once it listens.
func (p *Plane) applyBalancer(ctx context.Context, spec localapi.BalancerSpec, wait bool) (localapi.Balancer, error) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		return localapi.Balancer{}, fmt.Errorf("load balancer %s: haproxy: %w (apt-get install haproxy)", spec.ID(), localapi.ErrMissingProgram)
	}
	region, err := p.regionOf(localapi.RegionID{Env: spec.Env, Region: spec.Region})
	if err != nil {
		return localapi.Balancer{}, err
	}
	p.mu.Lock()
	group, hasGroup := p.state.Groups[spec.ID()]
	p.mu.Unlock()
	if !hasGroup {
		return localapi.Balancer{}, fmt.Errorf("load balancer %s: no instance group %s to balance: %w", spec.ID(), spec.ID(), localapi.ErrNotFound)
	}
	b, _, err := register(p, p.balancers, p.state.Balancers, spec.ID(), spec, func() *balancerRunner {
		return &balancerRunner{p: p, region: region}
	})
	if err != nil {
		return localapi.Balancer{}, err
	}
	var backends []string
	slots := group.Max
	if group.BlueGreen {
		slots = 2 * group.Max // both ranges: the serving one and the next
	}
	for i := 0; i < slots; i++ {
		backends = append(backends, net.JoinHostPort(region.SlotAddress(i), strconv.Itoa(group.Port)))
	}
	if err := b.apply(haproxy, spec, backends); err != nil {
		return b.status(), err
	}
	if !wait {
		return b.status(), nil
	}
	addr := net.JoinHostPort(region.BalancerAddress(), strconv.Itoa(spec.Port))
	err = waitListening(ctx, "load balancer "+spec.ID().String(), addr, func() bool { return b.status().Running },
		filepath.Join(p.balancerDir(spec), "haproxy.log"))
	return b.status(), err
}

// apply writes the configuration and (re)starts HAProxy when it changed or
// is not running; a running one hands over with -sf, dropping no connection.
func (b *balancerRunner) apply(haproxy string, spec localapi.BalancerSpec, backends []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := b.p.balancerDir(spec)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	listen := net.JoinHostPort(b.region.BalancerAddress(), strconv.Itoa(spec.Port))
	sock := b.p.adminSocket(spec)
	mkSockDir := func(dir string) error { return os.MkdirAll(dir, 0o700) }
	if !strings.HasPrefix(sock, b.p.balancerDir(spec)) {
		// the shared temporary folder: ours alone, checked before use
		mkSockDir = func(dir string) error { return ownFolder(dir, 0o700) }
	}
	if err := mkSockDir(filepath.Dir(sock)); err != nil {
		return err
	}
	cfg, err := haproxyConfig(spec, listen, net.JoinHostPort(b.region.MetricsAddress(), strconv.Itoa(spec.Port)), backends, sock)
	if err != nil {
		return err
	}
	if b.proc == nil {
		b.adoptRecorded(b.p, b.p.balancerName(spec), "haproxy", syscall.SIGTERM)
		if old, err := os.ReadFile(filepath.Join(dir, "haproxy.cfg")); err == nil && b.proc != nil {
			b.config = string(old)
		}
	}
	b.spec, b.backends = spec, backends
	if b.proc.running() && cfg == b.config {
		return nil
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return err
	}
	args := []string{"-db", "-f", path}
	if b.proc.running() {
		args = append(args, "-sf", strconv.Itoa(b.proc.PID))
	} else {
		host, port, _ := net.SplitHostPort(listen)
		if err := portFree(host, port); err != nil {
			return fmt.Errorf("load balancer %s: %w", spec.ID(), err)
		}
	}
	old := b.proc
	proc, err := spawn(exec.Command(haproxy, args...), filepath.Join(dir, "haproxy.log"), b.p.placement(spec.Env, spec.Region))
	if err != nil {
		return fmt.Errorf("load balancer %s: %w", spec.ID(), err)
	}
	b.proc, b.config = proc, cfg
	b.p.setPID(b.p.balancerName(spec), proc.PID)
	if old.running() {
		go func() { // the old process finishes its connections and exits
			select {
			case <-old.exited:
			case <-time.After(10 * time.Second):
				_ = old.stop(time.Second)
			}
		}()
	}
	return nil
}

// haproxyConfig renders a balancer's configuration: the service's frontend
// on listen, its instances as the backend, and HAProxy's built-in
// Prometheus exporter on metrics (the frontend named prometheus, which the
// SLO rules leave out of the request counts). A service whose callers
// declare their timeouts (CallerTimeout) gets the longest of them as the
// server timeout, and the balancer retries a request only when its
// connection to an instance failed (once, on another instance): a request
// that timed out or was answered is never sent again, so the callers'
// declared tries are all the attempts there are, and the balancer gives up
// no later than they do. A spec that cannot be
// written (checkBalancerSpec) is refused here too, so that one read back
// from an older state file never reaches HAProxy either.
func haproxyConfig(spec localapi.BalancerSpec, listen, metrics string, backends []string, adminSock string) (string, error) {
	if err := checkBalancerSpec(spec); err != nil {
		return "", err
	}
	h := spec.Health
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }
	serverTimeout, retries, retryOn := "30s", 3, "conn-failure empty-response response-timeout"
	if spec.CallerTimeout > 0 {
		serverTimeout, retries, retryOn = ms(max(spec.CallerTimeout, time.Millisecond)), 1, "conn-failure"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by bulwark's local control plane for %s. Do not edit.
global
    maxconn 4096
    stats socket %s mode 600 level admin
    log stderr format short local0 warning

defaults
    mode http
    log global
    option httplog
    timeout connect 500ms
    timeout client 30s
    timeout server %s
    timeout check %s
    retries %d
    option redispatch 1
    retry-on %s

frontend %s
    bind %s
    default_backend instances

frontend %s
    bind %s
    no log
    http-request use-service prometheus-exporter if { path /metrics }
    http-request return status 404

backend instances
    balance roundrobin
    option httpchk GET %s
    http-check expect status 200
    default-server inter %s fall %d rise %d
`, spec.ID(), adminSock, serverTimeout, ms(h.Timeout), retries, retryOn, strings.ReplaceAll(spec.ID().String(), "/", "_"), listen, slo.BalancerMetricsFrontend, metrics, h.Path, ms(h.Interval), h.UnhealthyAfter, max(h.HealthyAfter, 1))
	for i, be := range backends {
		fmt.Fprintf(&b, "    server slot%d %s check\n", i, be)
	}
	return b.String(), nil
}

func (b *balancerRunner) status() localapi.Balancer {
	pid, running := b.pid()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := localapi.Balancer{BalancerSpec: b.spec, Backends: b.backends, Running: running, PID: pid}
	st.Address = net.JoinHostPort(b.region.BalancerAddress(), strconv.Itoa(b.spec.Port))
	return st
}

// GetBalancer returns a balancer's status (Running false when it died).
func (p *Plane) GetBalancer(_ context.Context, id localapi.ServiceID) (localapi.Balancer, error) {
	b, err := lookup(p, p.balancers, "load balancer", id)
	if err != nil {
		return localapi.Balancer{}, err
	}
	return b.status(), nil
}

// DeleteBalancer stops HAProxy and forgets the balancer.
func (p *Plane) DeleteBalancer(_ context.Context, id localapi.ServiceID) error {
	b, spec, ok, err := forget(p, p.balancers, p.state.Balancers, id)
	if ok {
		b.stop(5 * time.Second)
		p.setPID(p.balancerName(spec), 0)
		_ = os.Remove(p.adminSocket(spec)) // when it lies outside the folder
		_ = os.RemoveAll(p.balancerDir(spec))
	}
	return err
}
