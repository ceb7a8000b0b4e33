package localcloud

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Links are the paths by which a region's instances call the services
// they depend on: a Toxiproxy proxy per callee on the region's
// LinkAddress, at the callee's port, to the callee's balancer in the
// link's upstream region. One toxiproxy-server per environment and region
// holds them (its API on LinkAddress:LinkAPIPort), started in the region's
// group with the region's first link and stopped with its last. A drill
// cuts a link (the proxy disabled: connections refused) or slows it (a
// latency toxic), and heals it.
//
// toxiproxy-server is not a Debian package: `make toxiproxy` builds it
// from the module go.mod pins (a tool) into bin/, beside bulwark.
//
// A fault lives in the server: one restarted (a resumed region, a new
// control plane that found it dead) starts healed, its proxies re-created
// from the links' specs.

// linkServer runs one region's toxiproxy-server.
type linkServer struct {
	p      *Plane
	region localapi.Region
	managed
}

// linkRunner is one link: its spec and the fault last set on it (what
// status reports when the server cannot be asked).
type linkRunner struct {
	spec  localapi.LinkSpec
	fault localapi.LinkFault
}

func (p *Plane) linkServerName(rid localapi.RegionID) string { return "links/" + rid.String() }

func (p *Plane) linkDir(rid localapi.RegionID) string {
	return filepath.Join(p.dir, "links", rid.Env, rid.Region)
}

func linkAPI(r localapi.Region) string {
	return net.JoinHostPort(r.LinkAddress(), strconv.Itoa(localapi.LinkAPIPort))
}

// checkLinkSpec says why a link cannot be made (nil when it can), as an
// ErrBadRequest: its names make a proxy's name and a folder.
func checkLinkSpec(spec localapi.LinkSpec) error {
	for _, n := range []struct{ what, value string }{{"environment", spec.Env}, {"region", spec.Region}, {"callee", spec.Callee}, {"upstream", spec.Upstream}} {
		if err := contract.CheckName(n.value); err != nil {
			return fmt.Errorf("%w: link %q: %s: %w", localapi.ErrBadRequest, spec.ID().String(), n.what, err)
		}
	}
	switch {
	case spec.Port < 1 || spec.Port > 65535:
		return fmt.Errorf("%w: link %s: port %d is not between 1 and 65535", localapi.ErrBadRequest, spec.ID(), spec.Port)
	case spec.Port == localapi.LinkAPIPort:
		return fmt.Errorf("%w: link %s: port %d is the links' API's", localapi.ErrBadRequest, spec.ID(), spec.Port)
	}
	return nil
}

// toxiproxyProgram finds toxiproxy-server: $BULWARK_TOXIPROXY, else beside
// the running program (bin/, where `make toxiproxy` builds it), else on
// PATH.
func toxiproxyProgram() (string, error) {
	if path := os.Getenv("BULWARK_TOXIPROXY"); path != "" {
		if executable(path) {
			return path, nil
		}
		return "", fmt.Errorf("links: $BULWARK_TOXIPROXY names %s, not a program: %w (run make toxiproxy)", path, localapi.ErrMissingProgram)
	}
	if exe, err := os.Executable(); err == nil {
		if path := filepath.Join(filepath.Dir(exe), "toxiproxy-server"); executable(path) {
			return path, nil
		}
	}
	if path, err := exec.LookPath("toxiproxy-server"); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("links: toxiproxy-server: %w (run make toxiproxy, which builds bin/toxiproxy-server)", localapi.ErrMissingProgram)
}

// PutLink creates or updates a link, starting its region's
// toxiproxy-server if it does not run. A link keeps the fault it has.
func (p *Plane) PutLink(ctx context.Context, spec localapi.LinkSpec) (localapi.Link, error) {
	if err := checkLinkSpec(spec); err != nil {
		return localapi.Link{}, err
	}
	region, err := p.regionOf(spec.ID().RegionID())
	if err != nil {
		return localapi.Link{}, err
	}
	upstream, err := p.regionOf(localapi.RegionID{Env: spec.Env, Region: spec.Upstream})
	if err != nil {
		return localapi.Link{}, fmt.Errorf("link %s: its upstream, the region %s of %s, does not exist: %w", spec.ID(), spec.Upstream, spec.Env, localapi.ErrNotFound)
	}
	bin, err := toxiproxyProgram()
	if err != nil {
		return localapi.Link{}, err
	}
	p.linkMu.Lock()
	defer p.linkMu.Unlock()
	l, _, err := register(p, p.links, p.state.Links, spec.ID(), spec, func() *linkRunner { return &linkRunner{} })
	if err != nil {
		return localapi.Link{}, err
	}
	p.mu.Lock()
	l.spec = spec
	srv, ok := p.linkServers[spec.ID().RegionID()]
	if !ok {
		srv = &linkServer{p: p, region: region}
		p.linkServers[spec.ID().RegionID()] = srv
	}
	p.mu.Unlock()
	p.refreshDegrade()
	if err := srv.ensure(ctx, bin, spec.ID().RegionID()); err != nil {
		return p.linkStatus(l), err
	}
	listen := net.JoinHostPort(region.LinkAddress(), strconv.Itoa(spec.Port))
	to := net.JoinHostPort(upstream.BalancerAddress(), strconv.Itoa(spec.Port))
	client := toxiproxy.NewClient(linkAPI(region))
	proxies, err := client.Proxies()
	if err != nil {
		return p.linkStatus(l), fmt.Errorf("link %s: %w", spec.ID(), err)
	}
	switch proxy, ok := proxies[spec.Callee]; {
	case !ok:
		if err := portFree(region.LinkAddress(), strconv.Itoa(spec.Port)); err != nil {
			return p.linkStatus(l), fmt.Errorf("link %s: %w", spec.ID(), err)
		}
		if _, err := client.CreateProxy(spec.Callee, listen, to); err != nil {
			return p.linkStatus(l), fmt.Errorf("link %s: %w", spec.ID(), err)
		}
	case proxy.Listen != listen || proxy.Upstream != to:
		proxy.Listen, proxy.Upstream = listen, to
		if err := proxy.Save(); err != nil {
			return p.linkStatus(l), fmt.Errorf("link %s: %w", spec.ID(), err)
		}
	}
	return p.linkStatus(l), nil
}

// ensure adopts the region's server or starts it, and waits for its API.
func (s *linkServer) ensure(ctx context.Context, bin string, rid localapi.RegionID) error {
	s.mu.Lock()
	s.adoptRecorded(s.p, s.p.linkServerName(rid), "toxiproxy", syscall.SIGTERM)
	if !s.proc.running() {
		dir := s.p.linkDir(rid)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			s.mu.Unlock()
			return err
		}
		if err := portFree(s.region.LinkAddress(), strconv.Itoa(localapi.LinkAPIPort)); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("links of %s: %w", rid, err)
		}
		cmd := exec.Command(bin, "-host", s.region.LinkAddress(), "-port", strconv.Itoa(localapi.LinkAPIPort))
		proc, err := spawn(cmd, filepath.Join(dir, "toxiproxy.log"), s.p.placement(rid.Env, rid.Region))
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("links of %s: %w", rid, err)
		}
		s.proc = proc
		s.p.setPID(s.p.linkServerName(rid), proc.PID)
	}
	s.mu.Unlock()
	hc := &http.Client{Timeout: time.Second}
	return waitFor(ctx, "links of "+rid.String(), func() (bool, error) {
		if _, running := s.pid(); !running {
			return false, fmt.Errorf("links of %s: toxiproxy-server exited at start; see %s", rid, filepath.Join(s.p.linkDir(rid), "toxiproxy.log"))
		}
		resp, err := hc.Get("http://" + linkAPI(s.region) + "/version")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// linkStatus is a link's status, its fault as the server has it.
func (p *Plane) linkStatus(l *linkRunner) localapi.Link {
	p.mu.Lock()
	spec, fault := l.spec, l.fault
	rid := spec.ID().RegionID()
	srv := p.linkServers[rid]
	region := p.state.Regions[rid]
	upstream, hasUpstream := p.state.Regions[localapi.RegionID{Env: spec.Env, Region: spec.Upstream}]
	p.mu.Unlock()
	st := localapi.Link{LinkSpec: spec, Fault: fault,
		Address: net.JoinHostPort(region.LinkAddress(), strconv.Itoa(spec.Port))}
	if hasUpstream {
		st.UpstreamAddress = net.JoinHostPort(upstream.BalancerAddress(), strconv.Itoa(spec.Port))
	}
	if srv == nil {
		return st
	}
	pid, running := srv.pid()
	st.PID = pid
	if !running {
		return st
	}
	proxy, err := toxiproxy.NewClient(linkAPI(region)).Proxy(spec.Callee)
	if err != nil {
		return st
	}
	st.Running = true
	st.Fault = faultOf(proxy)
	return st
}

// The latency toxics a fault sets, one each way.
const (
	latencyUp   = "bulwark_latency_upstream"
	latencyDown = "bulwark_latency_downstream"
)

// faultOf reads a proxy's fault back from its state and toxics.
func faultOf(proxy *toxiproxy.Proxy) localapi.LinkFault {
	f := localapi.LinkFault{Down: !proxy.Enabled}
	ms := func(v any) time.Duration {
		n, _ := v.(float64)
		return time.Duration(n) * time.Millisecond
	}
	for _, t := range proxy.ActiveToxics {
		if t.Name == latencyUp || t.Name == latencyDown {
			f.Latency += ms(t.Attributes["latency"])
			f.Jitter += ms(t.Attributes["jitter"])
		}
	}
	return f
}

// latencyToxic is one latency toxic a fault sets: its stream
// (upstream, the requests' way; downstream, the answers') and attributes.
type latencyToxic struct {
	stream string
	attrs  toxiproxy.Attributes
}

// latencyToxics are the toxics a fault's latency takes, by name: half of
// the latency and jitter on the request's way (upstream), the rest on the
// answer's (downstream), so that a request and its answer, one round
// trip, take Latency ± Jitter more in all, as a slow link between two
// regions adds its delay to each round trip.
func latencyToxics(f localapi.LinkFault) map[string]latencyToxic {
	out := map[string]latencyToxic{}
	if f.Latency <= 0 && f.Jitter <= 0 {
		return out
	}
	l, j := f.Latency.Milliseconds(), f.Jitter.Milliseconds()
	out[latencyUp] = latencyToxic{"upstream", toxiproxy.Attributes{"latency": l / 2, "jitter": j / 2}}
	out[latencyDown] = latencyToxic{"downstream", toxiproxy.Attributes{"latency": l - l/2, "jitter": j - j/2}}
	return out
}

// SetLinkFault cuts a link (Down: its proxy disabled, connections
// refused, those open closed), slows it (Latency ± Jitter more per round
// trip, see latencyToxics), or, with the zero fault, heals it. A changed
// latency (a ramp) updates the toxics in place.
func (p *Plane) SetLinkFault(_ context.Context, id localapi.ServiceID, fault localapi.LinkFault) (localapi.Link, error) {
	if fault.Latency < 0 || fault.Jitter < 0 {
		return localapi.Link{}, fmt.Errorf("%w: link %s: latency %s and jitter %s must not be negative", localapi.ErrBadRequest, id, fault.Latency, fault.Jitter)
	}
	p.linkMu.Lock()
	defer p.linkMu.Unlock()
	l, err := lookup(p, p.links, "link", id)
	if err != nil {
		return localapi.Link{}, err
	}
	p.mu.Lock()
	srv := p.linkServers[id.RegionID()]
	region := p.state.Regions[id.RegionID()]
	p.mu.Unlock()
	if srv == nil || !srvRunning(srv) {
		return localapi.Link{}, fmt.Errorf("link %s: its region's toxiproxy-server does not run: %w", id, localapi.ErrNotReady)
	}
	client := toxiproxy.NewClient(linkAPI(region))
	proxy, err := client.Proxy(id.Service)
	if err != nil {
		return localapi.Link{}, fmt.Errorf("link %s: %w", id, err)
	}
	if proxy.Enabled == fault.Down {
		proxy.Enabled = !fault.Down
		if err := proxy.Save(); err != nil {
			return localapi.Link{}, fmt.Errorf("link %s: %w", id, err)
		}
	}
	want := latencyToxics(fault)
	have := map[string]bool{}
	for _, t := range proxy.ActiveToxics {
		have[t.Name] = true
		if _, ok := want[t.Name]; !ok {
			if err := proxy.RemoveToxic(t.Name); err != nil {
				return localapi.Link{}, fmt.Errorf("link %s: %w", id, err)
			}
		}
	}
	for name, t := range want {
		if have[name] {
			_, err = proxy.UpdateToxic(name, 1, t.attrs)
		} else {
			_, err = proxy.AddToxic(name, "latency", t.stream, 1, t.attrs)
		}
		if err != nil {
			return localapi.Link{}, fmt.Errorf("link %s: %w", id, err)
		}
	}
	p.mu.Lock()
	l.fault = fault
	p.mu.Unlock()
	return p.linkStatus(l), nil
}

// GetLink returns a link's status: Running when its proxy exists on a
// running server, and the fault the server has.
func (p *Plane) GetLink(_ context.Context, id localapi.ServiceID) (localapi.Link, error) {
	l, err := lookup(p, p.links, "link", id)
	if err != nil {
		return localapi.Link{}, err
	}
	return p.linkStatus(l), nil
}

// DeleteLink removes a link's proxy, and stops its region's server with
// the region's last link.
func (p *Plane) DeleteLink(_ context.Context, id localapi.ServiceID) error {
	p.linkMu.Lock()
	defer p.linkMu.Unlock()
	_, _, ok, err := forget(p, p.links, p.state.Links, id)
	if !ok {
		return err
	}
	p.refreshDegrade()
	rid := id.RegionID()
	p.mu.Lock()
	srv := p.linkServers[rid]
	region := p.state.Regions[rid]
	last := true
	for other := range p.state.Links {
		if other.RegionID() == rid {
			last = false
		}
	}
	if last {
		delete(p.linkServers, rid)
	}
	p.mu.Unlock()
	if srv == nil {
		return err
	}
	if last {
		srv.stop(5 * time.Second)
		p.setPID(p.linkServerName(rid), 0)
		_ = os.RemoveAll(p.linkDir(rid))
		return err
	}
	if _, running := srv.pid(); running {
		if proxy, perr := toxiproxy.NewClient(linkAPI(region)).Proxy(id.Service); perr == nil {
			if derr := proxy.Delete(); derr != nil && err == nil {
				err = fmt.Errorf("link %s: %w", id, derr)
			}
		}
	}
	return err
}

// srvRunning reports whether a region's toxiproxy-server runs.
func srvRunning(s *linkServer) bool {
	_, running := s.pid()
	return running
}
