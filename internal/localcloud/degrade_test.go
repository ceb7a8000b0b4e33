package localcloud

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/slo"
)

func needProgram(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := lookProgram(name, name, pkg); err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatalf("%v (make test installs it)", err)
	}
}

// needToxiproxy sets BULWARK_TOXIPROXY, building toxiproxy-server (the
// module's tool) into the test's folder when make did not hand one over.
func needToxiproxy(t *testing.T) {
	t.Helper()
	if os.Getenv("BULWARK_TOXIPROXY") != "" {
		return
	}
	out := filepath.Join(t.TempDir(), "toxiproxy-server")
	if b, err := exec.Command("go", "build", "-o", out, "github.com/Shopify/toxiproxy/v2/cmd/server").CombinedOutput(); err != nil {
		t.Fatalf("build toxiproxy-server: %v\n%s", err, b)
	}
	t.Setenv("BULWARK_TOXIPROXY", out)
}

// listening is where pid's process listens for TCP connections (IPv4 and
// IPv6), read from /proc.
func listening(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var addrs []string
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			hostPort := strings.Split(f[1], ":")
			raw, _ := hex.DecodeString(hostPort[0])
			ip := make(net.IP, len(raw))
			for i := 0; i < len(raw); i += 4 { // each 32-bit word in host order
				ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
			}
			port, _ := strconv.ParseUint(hostPort[1], 16, 16)
			addrs = append(addrs, net.JoinHostPort(ip.String(), strconv.Itoa(int(port))))
		}
	}
	return addrs
}

// onlyListensOn checks that pid listens at want and nowhere else.
func onlyListensOn(t *testing.T, what string, pid int, want ...string) {
	t.Helper()
	got := listening(t, pid)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s (pid %d) listens on %v, want %v only", what, pid, got, want)
	}
}

// A write queue keeps a published write across a restart of its
// nats-server, reports it in its stats until the consumer acknowledges
// it, and is removed with its data.
func TestQueueKeepsWritesAcrossARestart(t *testing.T) {
	needProgram(t, "nats-server", "nats-server")
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	spec := localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 18222,
		Stream: contract.QueueStreamName("t", "shop"), Keep: time.Hour, MaxReceives: 3}
	q, err := p.PutQueue(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(region.QueueAddress(), "18222")
	if !q.Running || q.URL != "nats://"+addr || q.PID == 0 {
		t.Fatalf("queue = %+v", q)
	}
	onlyListensOn(t, "nats-server", q.PID, addr)
	if again, err := p.PutQueue(ctx, spec); err != nil || again.PID != q.PID {
		t.Fatalf("an unchanged queue was restarted: %+v, %v", again, err)
	}

	nc, err := nats.Connect(q.URL)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same write id twice: taken once
		if _, err := js.Publish(ctx, spec.Stream, []byte(`{"id":"w1"}`), jetstream.WithMsgID("w1")); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	stats, err := p.QueueStats(ctx, spec.ID())
	if err != nil || stats.Messages != 1 || stats.Delivered != 0 || stats.Acked != 0 {
		t.Fatalf("stats after one write: %+v, %v", stats, err)
	}

	// the server stops (as a lost region's would) and comes back
	qr, _ := lookup(p, p.queues, "write queue", spec.ID())
	qr.stop(10 * time.Second)
	if st, _ := p.GetQueue(ctx, spec.ID()); st.Running {
		t.Fatalf("queue still running after its stop: %+v", st)
	}
	if _, err := p.QueueStats(ctx, spec.ID()); !errors.Is(err, localapi.ErrNotReady) {
		t.Errorf("stats of a stopped queue: %v, want ErrNotReady", err)
	}
	time.Sleep(50 * time.Millisecond)
	q2, err := p.PutQueue(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if q2.PID == q.PID || !q2.Running {
		t.Fatalf("queue not restarted: %+v", q2)
	}
	stats, err = p.QueueStats(ctx, spec.ID())
	if err != nil || stats.Messages != 1 || stats.OldestAge <= 0 {
		t.Fatalf("stats after the restart: %+v, %v", stats, err)
	}
	// the control plane's exporter shows it to Prometheus (the queue age
	// alert's series), labelled with its region and service
	reg := prometheus.NewRegistry()
	reg.MustRegister(planeCollector{p: p, env: "t"})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["region"] == "east" && labels["service"] == "shop" {
				exported[f.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	if exported[slo.MetricQueueMessages] != 1 || exported[slo.MetricQueueOldestAge] <= 0 {
		t.Errorf("exported %v, want 1 write queued and its age", exported)
	}

	// an instance drains it through the shared consumer
	nc, err = nats.Connect(q2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = jetstream.New(nc)
	c, err := js.Consumer(ctx, spec.Stream, contract.QueueConsumer)
	if err != nil {
		t.Fatal(err)
	}
	if ci, err := c.Info(ctx); err != nil || ci.Config.MaxDeliver != 3 || ci.Config.AckPolicy != jetstream.AckExplicitPolicy {
		t.Fatalf("consumer = %+v, %v", ci, err)
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if string(m.Data()) != `{"id":"w1"}` {
			t.Errorf("queued write = %q", m.Data())
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d writes drained, want 1", n)
	}
	stats, err = p.QueueStats(ctx, spec.ID())
	if err != nil || stats.Messages != 0 || stats.OldestAge != 0 || stats.Delivered != 1 || stats.Acked != 1 {
		t.Fatalf("stats after the drain: %+v, %v", stats, err)
	}
	if st := p.Status(); len(st.Queues) != 1 || st.Queues[0].PID != q2.PID {
		t.Errorf("status queues = %+v", st.Queues)
	}

	pid := q2.PID
	if err := p.DeleteQueue(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("nats-server %d still runs after the delete", pid)
	}
	if _, err := os.Stat(p.queueDir(spec)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the queue's data is left: %v", err)
	}
}

// origin serves as a region's balancer would: /static/ pages cacheable for
// a second (a counter in the body), /dynamic not.
func origin(t *testing.T, addr string, hits *atomic.Int64) *http.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/static/") {
			w.Header().Set("Cache-Control", contract.CacheControlValue(time.Second, time.Hour))
		}
		fmt.Fprintf(w, "%s %d", r.URL.Path, n)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return srv
}

func getCache(t *testing.T, url string) (int, string, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Cache-Status"), string(b)
}

// A cache answers its cached paths from the origin, then from what it
// holds, and, once its origin is gone, stale; other paths pass through.
func TestCacheServesStaleWhileItsOriginIsDown(t *testing.T) {
	needProgram(t, "nginx", "nginx-light")
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	srv := origin(t, net.JoinHostPort(region.BalancerAddress(), "18380"), &hits)
	spec := localapi.CacheSpec{Env: "t", Region: "east", Service: "shop", Port: 18380, Paths: []string{"/static"},
		TTL: time.Second, StaleFor: time.Hour, Origins: []string{"east"}}
	if _, err := p.PutCache(ctx, localapi.CacheSpec{Env: "t", Region: "east", Service: "shop", Port: 18380, Paths: []string{"/static"},
		TTL: time.Second, Origins: []string{"nowhere"}}); !errors.Is(err, localapi.ErrNotFound) || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("a cache of a region that does not exist: %v, want ErrNotFound naming it", err)
	}
	c, err := p.PutCache(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(region.CacheAddress(), "18380")
	if !c.Running || c.Address != addr || !slices.Equal(c.OriginAddresses, []string{region.BalancerAddress() + ":18380"}) {
		t.Fatalf("cache = %+v", c)
	}
	onlyListensOn(t, "nginx", c.PID, addr)
	base := "http://" + addr
	if code, status, body := getCache(t, base+"/static/page"); code != 200 || status != "MISS" || body != "/static/page 1" {
		t.Fatalf("first read: %d %s %q", code, status, body)
	}
	if code, status, body := getCache(t, base+"/static/page"); code != 200 || status != "HIT" || body != "/static/page 1" {
		t.Fatalf("second read: %d %s %q", code, status, body)
	}
	if code, status, _ := getCache(t, base+"/dynamic"); code != 200 || status != "" {
		t.Fatalf("an uncached path: %d %q", code, status)
	}
	if code, status, _ := getCache(t, base+"/staticky"); code != 200 || status != "" {
		t.Fatalf("a path beside the cached prefix: %d %q", code, status)
	}

	// the origin goes; the page expires; the cache answers stale
	srv.Close()
	// (nginx counts a page's age in whole seconds: it expires within 2 s)
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, status, body := getCache(t, base+"/static/page")
		if code != 200 || body != "/static/page 1" || (status != "HIT" && status != "STALE") {
			t.Fatalf("while the page expires with the origin down: %d %s %q", code, status, body)
		}
		if status == "STALE" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 3 {
		if code, status, body := getCache(t, base+"/static/page"); code != 200 || status != "STALE" || body != "/static/page 1" {
			t.Fatalf("with the origin down: %d %s %q", code, status, body)
		}
	}
	if code, _, _ := getCache(t, base+"/dynamic"); code != http.StatusBadGateway {
		t.Errorf("an uncached path with the origin down: %d, want 502", code)
	}
	// nginx wrote nothing outside the cache's folder
	for _, f := range []string{"nginx.conf", "nginx.pid", "error.log", "cache", "temp/proxy"} {
		if _, err := os.Stat(filepath.Join(p.cacheDir(spec), f)); err != nil {
			t.Errorf("the cache's folder: %v", err)
		}
	}

	// a changed spec reloads the same nginx
	spec.Paths = []string{"/static", "/img/"}
	c2, err := p.PutCache(ctx, spec)
	if err != nil || c2.PID != c.PID {
		t.Fatalf("a changed cache: %+v, %v; want pid %d reloaded", c2, err, c.PID)
	}
	err = waitFor(ctx, "the reload", func() (bool, error) {
		_, status, _ := getCache(t, base+"/img/x")
		return status != "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteCache(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
	if alive(c.PID) {
		t.Errorf("nginx %d still runs after the delete", c.PID)
	}
}

func TestCacheConfig(t *testing.T) {
	spec := localapi.CacheSpec{Env: "t", Region: "east", Service: "shop", Port: 8080, Paths: []string{"/static", "/img/"},
		TTL: 1500 * time.Millisecond, StaleFor: time.Hour, Origins: []string{"east", "west"}}
	cfg, err := nginxConfig(spec, "127.0.1.6:8080", []string{"127.0.1.1:8080", "127.0.2.1:8080"}, true)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(cfg, "\n")
	for _, want := range []string{
		"daemon off;", "user root;", "pid nginx.pid;",
		"        server 127.0.1.1:8080 max_fails=1 fail_timeout=2s; # east",
		"        server 127.0.2.1:8080 max_fails=1 fail_timeout=2s backup; # west",
		"        listen 127.0.1.6:8080;",
		"        location / {", "        location = /static {", "        location /static/ {", "        location = /img {", "        location /img/ {",
		"            proxy_cache_valid 200 2s;",
		"            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
		"            add_header X-Cache-Status $upstream_cache_status always;",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("nginx.conf lacks %q:\n%s", want, cfg)
		}
	}
	if !strings.Contains(cfg, "inactive=3602s") || strings.Contains(cfg, "/var/") {
		t.Errorf("nginx.conf:\n%s", cfg)
	}
	if cfg, _ := nginxConfig(spec, "127.0.1.6:8080", []string{"127.0.1.1:8080", "127.0.2.1:8080"}, false); strings.Contains(cfg, "user ") {
		t.Errorf("a user directive for a plane that is not root:\n%s", cfg)
	}
	spec.Paths = []string{"/"}
	cfg, _ = nginxConfig(spec, "127.0.1.6:8080", []string{"127.0.1.1:8080", "127.0.2.1:8080"}, true)
	if strings.Count(cfg, "location / {") != 1 || !strings.Contains(cfg, "proxy_cache cache;") {
		t.Errorf("everything cached:\n%s", cfg)
	}
	for _, bad := range []localapi.CacheSpec{
		{Env: "t", Region: "east", Service: "shop", Port: 8080, Paths: []string{"/a", "/a/"}, TTL: time.Second, Origins: []string{"east"}},
		{Env: "t", Region: "east", Service: "shop", Port: 8080, Paths: []string{"/a"}, TTL: 0, Origins: []string{"east"}},
		{Env: "t", Region: "east", Service: "shop", Port: 8080, Paths: []string{"/a"}, TTL: time.Second},
	} {
		if err := checkCacheSpec(bad); !errors.Is(err, localapi.ErrBadRequest) {
			t.Errorf("%+v: %v, want ErrBadRequest", bad, err)
		}
	}
}

// roundTrip times one request through addr on a new connection.
func roundTrip(addr string) (time.Duration, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	resp, err := c.Get("http://" + addr + "/ping")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// A link reaches its callee's balancer in its upstream region; a latency
// fault delays a round trip by the latency, Down refuses connections, the
// zero fault heals it; a new control plane adopts the links' server and
// re-creates a proxy it lost.
func TestLinkFaults(t *testing.T) {
	needToxiproxy(t)
	bin := os.Getenv("BULWARK_TOXIPROXY")
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	east, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	west, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "west"})
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	origin(t, net.JoinHostPort(west.BalancerAddress(), "18480"), &hits)
	spec := localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 18480, Upstream: "west"}
	if _, err := p.PutLink(ctx, localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 18480, Upstream: "north"}); !errors.Is(err, localapi.ErrNotFound) || !strings.Contains(err.Error(), "north") {
		t.Errorf("a link to a region that does not exist: %v, want ErrNotFound naming it", err)
	}
	t.Setenv("BULWARK_TOXIPROXY", filepath.Join(t.TempDir(), "none"))
	if _, err := p.PutLink(ctx, spec); !errors.Is(err, localapi.ErrMissingProgram) || !strings.Contains(err.Error(), "make toxiproxy") {
		t.Errorf("without toxiproxy-server: %v, want ErrMissingProgram naming make toxiproxy", err)
	}
	t.Setenv("BULWARK_TOXIPROXY", bin)
	l, err := p.PutLink(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(east.LinkAddress(), "18480")
	if !l.Running || l.Address != addr || l.UpstreamAddress != net.JoinHostPort(west.BalancerAddress(), "18480") || l.Fault != (localapi.LinkFault{}) {
		t.Fatalf("link = %+v", l)
	}
	onlyListensOn(t, "toxiproxy-server", l.PID, addr, net.JoinHostPort(east.LinkAddress(), strconv.Itoa(localapi.LinkAPIPort)))
	base, err := roundTrip(addr)
	if err != nil {
		t.Fatal(err)
	}

	latency := 300 * time.Millisecond
	l, err = p.SetLinkFault(ctx, spec.ID(), localapi.LinkFault{Latency: latency})
	if err != nil || l.Fault != (localapi.LinkFault{Latency: latency}) {
		t.Fatalf("latency fault: %+v, %v", l, err)
	}
	for range 3 {
		d, err := roundTrip(addr)
		if err != nil || d < latency {
			t.Fatalf("a round trip with %s latency: %s, %v (%s without)", latency, d, err, base)
		}
	}
	if l, err = p.SetLinkFault(ctx, spec.ID(), localapi.LinkFault{Latency: latency / 2, Jitter: 10 * time.Millisecond}); err != nil || l.Fault.Latency != latency/2 || l.Fault.Jitter != 10*time.Millisecond {
		t.Fatalf("a ramp: %+v, %v", l, err)
	}

	l, err = p.SetLinkFault(ctx, spec.ID(), localapi.LinkFault{Down: true})
	if err != nil || !l.Fault.Down || l.Fault.Latency != 0 {
		t.Fatalf("down: %+v, %v", l, err)
	}
	if _, err := roundTrip(addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a round trip through a link that is down: %v, want connection refused", err)
	}

	l, err = p.SetLinkFault(ctx, spec.ID(), localapi.LinkFault{})
	if err != nil || l.Fault != (localapi.LinkFault{}) {
		t.Fatalf("healed: %+v, %v", l, err)
	}
	if d, err := roundTrip(addr); err != nil || d >= latency {
		t.Fatalf("a round trip through the healed link: %s, %v", d, err)
	}

	// a new control plane adopts the server and re-creates a lost proxy
	if proxy, err := toxiproxy.NewClient(linkAPI(east)).Proxy("pricing"); err != nil || proxy.Delete() != nil {
		t.Fatalf("drop the proxy: %v", err)
	}
	p2, err := NewPlane(p.dir, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	p2.Start()
	t.Cleanup(p2.Shutdown)
	l2, err := p2.GetLink(ctx, spec.ID())
	if err != nil || l2.PID != l.PID || !l2.Running {
		t.Fatalf("the new plane's link: %+v, %v; want pid %d adopted", l2, err, l.PID)
	}
	if _, err := roundTrip(addr); err != nil {
		t.Fatalf("through the re-created proxy: %v", err)
	}

	// the region's last link stops its server
	if err := p2.DeleteLink(ctx, spec.ID()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(l.PID) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(l.PID) {
		t.Errorf("toxiproxy-server %d still runs after the region's last link went", l.PID)
	}
}

// Instances get their region's write queue and links in their
// environment, and a group rolls when they change.
func TestDegradeEnvironment(t *testing.T) {
	p, err := NewPlane(t.TempDir(), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	east := localapi.Region{RegionSpec: localapi.RegionSpec{Env: "t", Name: "east"}, Index: 7}
	p.state.Regions[east.ID()] = east
	deps := []contract.Dependency{
		{Name: "pricing", Need: "soft", TimeoutMS: 300, Tries: 2, BackoffMS: 50, OnFailure: "degrade"},
		{Name: "payments-api", Need: "hard", TimeoutMS: 1000, Tries: 1, OnFailure: "fail"},
	}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", WriteQueue: true, Dependencies: deps}
	if env := p.degrade.Load().env(spec); len(env) != 1 || !strings.HasPrefix(env[0], contract.Dependencies+"=") {
		t.Fatalf("without a queue or links: %q", env)
	}
	before := p.rolloutKey(spec)
	p.state.Queues[spec.ID()] = localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 8080, Stream: "bulwark-t-shop-writes"}
	p.state.Links[localapi.ServiceID{Env: "t", Region: "east", Service: "pricing"}] = localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 8081, Upstream: "east"}
	g := &groupRunner{p: p, spec: spec, kick: make(chan struct{}, 1)}
	p.groups[spec.ID()] = g
	p.refreshDegrade()
	env := p.degrade.Load().env(spec)
	want := []string{contract.QueueEngine + "=nats", contract.QueueURL + "=nats://127.0.7.5:8080", contract.QueueName + "=bulwark-t-shop-writes"}
	if len(env) != 4 || !slices.Equal(env[:3], want) {
		t.Fatalf("env = %q", env)
	}
	got, err := contract.DecodeDependencies(strings.TrimPrefix(env[3], contract.Dependencies+"="))
	if err != nil || len(got) != 2 || got[0].URL != "http://127.0.7.7:8081" || got[1].URL != "" || got[0].Tries != 2 {
		t.Errorf("dependencies = %+v, %v", got, err)
	}
	if p.rolloutKey(spec) == before {
		t.Error("the rollout key did not change with the instances' environment")
	}
	if g.rollout == nil || g.rollout.State != localapi.RolloutRolling || g.rollout.key != p.rolloutKey(spec) || len(g.kick) != 1 {
		t.Errorf("the group does not roll: %+v", g.rollout)
	}
	spec.WriteQueue, spec.Dependencies = false, nil
	if env := p.degrade.Load().env(spec); len(env) != 0 {
		t.Errorf("a group that declares neither: %q", env)
	}
}

func TestBalancerHonoursCallerTimeout(t *testing.T) {
	spec := ordinaryBalancer()
	render := func() []string {
		cfg, err := haproxyConfig(spec, "127.0.1.1:18097", "127.0.1.4:18097", []string{"127.0.1.100:8080"}, "/tmp/admin.sock")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(cfg, "\n")
	}
	lines := render()
	for _, want := range []string{"    timeout server 30s", "    retries 3", "    retry-on conn-failure empty-response response-timeout"} {
		if !slices.Contains(lines, want) {
			t.Errorf("without callers: no %q", want)
		}
	}
	spec.CallerTimeout = 1500 * time.Millisecond
	lines = render()
	for _, want := range []string{"    timeout server 1500ms", "    retries 1", "    retry-on conn-failure"} {
		if !slices.Contains(lines, want) {
			t.Errorf("with a caller timeout: no %q in\n%s", want, strings.Join(lines, "\n"))
		}
	}
	spec.CallerTimeout = -time.Second
	if err := checkBalancerSpec(spec); !errors.Is(err, localapi.ErrBadRequest) {
		t.Errorf("a negative caller timeout: %v", err)
	}
}

// envServer is the source of an instance that answers its health checks
// and, at /env, its environment.
const envServer = `package main

import (
	"net/http"
	"os"
	"strings"
)

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Join(os.Environ(), "\n")))
	})
	panic(http.ListenAndServe(os.Getenv("` + contract.Listen + `"), nil))
}
`

// instanceEnv reads every instance's environment, by its /env.
func instanceEnv(t *testing.T, g localapi.Group) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, in := range g.Instances {
		code, body := get(t, "http://"+in.Address+"/env")
		if code != 200 {
			return nil
		}
		env := map[string]string{}
		for _, line := range strings.Split(body, "\n") {
			k, v, _ := strings.Cut(line, "=")
			env[k] = v
		}
		out = append(out, env)
	}
	return out
}

// A group's instances get the write queue and the links the plane holds
// for them, and roll, one at a time, when a queue or link comes.
func TestInstancesGetTheirQueueAndLinks(t *testing.T) {
	needProgram(t, "nats-server", "nats-server")
	needToxiproxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	region, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("testdata", "envserver-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	src, _ := filepath.Abs(filepath.Join(tmp, "envserver"))
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(envServer), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := p.BuildImage(ctx, localapi.ImageSpec{Name: "envserver", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	deps := []contract.Dependency{{Name: "pricing", Need: "soft", TimeoutMS: 300, Tries: 2, OnFailure: "degrade"}}
	spec := localapi.GroupSpec{Env: "t", Region: "east", Service: "shop", ImagePath: img.Path, Digest: img.Digest,
		Port: 18580, Min: 1, Desired: 2, Max: 2, Zones: 1, Health: testHealth(), WriteQueue: true, Dependencies: deps}
	g, err := p.PutGroup(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range instanceEnv(t, g) {
		if _, ok := env[contract.QueueURL]; ok || env[contract.Dependencies] != contract.EncodeDependencies(deps) {
			t.Fatalf("without a queue or link: %v", env)
		}
	}
	// rolled is the instances' environment once every one has want
	rolled := func(key, want string) []map[string]string {
		t.Helper()
		var envs []map[string]string
		err := waitFor(ctx, "the group's rollout", func() (bool, error) {
			g, err := p.GetGroup(ctx, spec.ID())
			if err != nil || g.Healthy() != 2 {
				return false, err
			}
			envs = instanceEnv(t, g)
			for _, env := range envs {
				if !strings.Contains(env[key], want) {
					return false, nil
				}
			}
			return len(envs) == 2, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return envs
	}

	if _, err := p.PutQueue(ctx, localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 18581, Stream: "bulwark-t-shop-writes"}); err != nil {
		t.Fatal(err)
	}
	for _, env := range rolled(contract.QueueURL, "nats://"+region.QueueAddress()+":18581") {
		if env[contract.QueueEngine] != "nats" || env[contract.QueueName] != "bulwark-t-shop-writes" {
			t.Errorf("queue keys: %v", env)
		}
	}

	if _, err := p.PutLink(ctx, localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 18582, Upstream: "east"}); err != nil {
		t.Fatal(err)
	}
	for _, env := range rolled(contract.Dependencies, `"url":"http://`+region.LinkAddress()+`:18582"`) {
		got, err := contract.DecodeDependencies(env[contract.Dependencies])
		if err != nil || len(got) != 1 || got[0].Tries != 2 || got[0].TimeoutMS != 300 {
			t.Errorf("dependencies: %+v, %v", got, err)
		}
	}
	err = waitFor(ctx, "the rollout's end", func() (bool, error) {
		g, err := p.GetGroup(ctx, spec.ID())
		return err == nil && g.Rollout != nil && g.Rollout.State == localapi.RolloutDone, err
	})
	if g, _ := p.GetGroup(ctx, spec.ID()); err != nil || g.Replaced != 0 {
		t.Errorf("group after the rollouts: replaced %d, rollout %+v: %v", g.Replaced, g.Rollout, err)
	}
}

// A suspended region's queue, cache and links' server are killed with the
// rest of it, and come back with it; an abandoned region's are removed,
// the queue's writes kept aside.
func TestSuspendResumeAndAbandonTheDegradationParts(t *testing.T) {
	needProgram(t, "nats-server", "nats-server")
	needProgram(t, "nginx", "nginx-light")
	needToxiproxy(t)
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rid := localapi.RegionID{Env: "t", Region: "east"}
	if _, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"}); err != nil {
		t.Fatal(err)
	}
	q, err := p.PutQueue(ctx, localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 18680, Stream: "bulwark-t-shop-writes"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.PutCache(ctx, localapi.CacheSpec{Env: "t", Region: "east", Service: "shop", Port: 18680, Paths: []string{"/static"}, TTL: time.Second, Origins: []string{"east"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := p.PutLink(ctx, localapi.LinkSpec{Env: "t", Region: "east", Callee: "pricing", Port: 18681, Upstream: "east"})
	if err != nil {
		t.Fatal(err)
	}
	killed, err := p.SuspendRegion(rid)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("write queue t/east/shop (pid %d)", q.PID), fmt.Sprintf("cache t/east/shop (pid %d)", c.PID), fmt.Sprintf("links of t/east (pid %d)", l.PID)} {
		if !slices.Contains(killed, want) {
			t.Errorf("suspend killed %q, not %q", killed, want)
		}
	}
	err = waitFor(ctx, "the kills", func() (bool, error) { return !alive(q.PID) && !alive(c.PID) && !alive(l.PID), nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ResumeRegion(ctx, rid); err != nil {
		t.Fatal(err)
	}
	st := p.Status()
	if len(st.Queues) != 1 || !st.Queues[0].Running || len(st.Caches) != 1 || !st.Caches[0].Running || len(st.Links) != 1 || !st.Links[0].Running {
		t.Fatalf("after the resume: queues %+v caches %+v links %+v", st.Queues, st.Caches, st.Links)
	}
	if err := p.DeleteRegion(ctx, rid); err == nil || !strings.Contains(err.Error(), "still has") {
		t.Errorf("a region with a queue, a cache and a link was deleted: %v", err)
	}
	notes, err := p.AbandonRegion(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Status(); len(st.Queues)+len(st.Caches)+len(st.Links) != 0 {
		t.Errorf("after the abandon: %+v %+v %+v", st.Queues, st.Caches, st.Links)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "writes it held are kept in") }) {
		t.Errorf("abandon notes %q", notes)
	}
	for _, pid := range []int{st.Queues[0].PID, st.Caches[0].PID, st.Links[0].PID} {
		if alive(pid) {
			t.Errorf("pid %d survives the abandon", pid)
		}
	}
	if err := p.DeleteRegion(ctx, rid); err != nil {
		t.Error(err)
	}
}

// A change the stream cannot take is reported at once, not retried.
func TestQueueReportsARefusedStreamChange(t *testing.T) {
	needProgram(t, "nats-server", "nats-server")
	p := newTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.PutRegion(ctx, localapi.RegionSpec{Env: "t", Name: "east"}); err != nil {
		t.Fatal(err)
	}
	spec := localapi.QueueSpec{Env: "t", Region: "east", Service: "shop", Port: 18780, Stream: "writes", Keep: time.Hour}
	q, err := p.PutQueue(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// the stream made by hand with another retention, which no update changes
	nc, err := nats.Connect(q.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(ctx, "writes"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "writes", Subjects: []string{"writes"}, Retention: jetstream.LimitsPolicy}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.PutQueue(ctx, spec)
	t.Logf("refused: %v", err)
	if err == nil || errors.Is(err, localapi.ErrNotReady) || time.Since(start) > 10*time.Second {
		t.Errorf("a stream that cannot be changed: %v after %s, want the server's refusal at once", err, time.Since(start))
	}
}
