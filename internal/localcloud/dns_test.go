package localcloud

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// resolve asks the environment's DNS server directly, as the drill's probe does.
func resolve(server, name string) ([]string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", server)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	sort.Strings(addrs)
	return addrs, err
}

// healthServer serves /healthz on addr until closed.
func healthServer(t *testing.T, addr string) *http.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(404)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return srv
}

func waitResolve(t *testing.T, server, name, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got []string
	var err error
	for time.Now().Before(deadline) {
		got, err = resolve(server, name)
		if err == nil && strings.Join(got, ",") == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s resolves to %v (%v), want %s", name, got, err, want)
}

// newDNSTestPlane is a test plane, with PowerDNS installed.
func newDNSTestPlane(t *testing.T) *Plane {
	t.Helper()
	if _, err := exec.LookPath("pdns_server"); err != nil {
		if testing.Short() {
			t.Skip("pdns_server not installed")
		}
		t.Fatal("pdns_server not installed (make test installs it)")
	}
	return newTestPlane(t)
}

func TestHealthCheckedDNS(t *testing.T) {
	p := newDNSTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	east, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "d", Name: "east"})
	west, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "d", Name: "west"})
	eastSrv := healthServer(t, east.BalancerAddress()+":18090")
	healthServer(t, west.BalancerAddress()+":18090")

	srv, err := p.PutDNSServer(ctx, localapi.DNSServerSpec{Env: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(srv.Address, ":10053") || !srv.Running {
		t.Fatalf("dns server = %+v", srv)
	}
	both := []string{east.BalancerAddress(), west.BalancerAddress()}
	sort.Strings(both)
	rec := localapi.DNSRecordSpec{Env: "d", Zone: "shop.test", Name: "www", TTL: 1, Port: 18090, HealthPath: "/healthz",
		Targets: [][]string{{east.BalancerAddress(), west.BalancerAddress()}}}
	if _, err := p.PutDNSRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// active-active: every healthy region
	waitResolve(t, srv.Address, "www.shop.test", strings.Join(both, ","))
	// hot standby: the primary only, while it is healthy
	standby := localapi.DNSRecordSpec{Env: "d", Zone: "shop.test", Name: "api", TTL: 1, Port: 18090, HealthPath: "/healthz",
		Targets: [][]string{{east.BalancerAddress()}, {west.BalancerAddress()}}}
	if _, err := p.PutDNSRecord(ctx, standby); err != nil {
		t.Fatal(err)
	}
	waitResolve(t, srv.Address, "api.shop.test", east.BalancerAddress())

	// east dies: it leaves the active-active answer, and the standby takes over
	start := time.Now()
	eastSrv.Close()
	waitResolve(t, srv.Address, "www.shop.test", west.BalancerAddress())
	waitResolve(t, srv.Address, "api.shop.test", west.BalancerAddress())
	t.Logf("DNS failover after %s", time.Since(start).Round(100*time.Millisecond))

	if err := p.DeleteDNSServer(ctx, "d"); err == nil {
		t.Fatal("deleted a DNS server that still serves records")
	}
	for _, id := range []localapi.RecordID{rec.ID(), standby.ID()} {
		if err := p.DeleteDNSRecord(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.DeleteDNSServer(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if alive(srv.PID) {
		t.Errorf("pdns_server %d alive after delete", srv.PID)
	}
}

// Records of many zones put at once, as a global stack's concurrent steps
// do: every put succeeds and every zone answers with its own record, none
// lost to another put's older view of the records.
func TestConcurrentDNSRecords(t *testing.T) {
	p := newDNSTestPlane(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	east, _ := p.PutRegion(ctx, localapi.RegionSpec{Env: "many", Name: "east"})
	healthServer(t, east.BalancerAddress()+":18091")
	srv, err := p.PutDNSServer(ctx, localapi.DNSServerSpec{Env: "many"})
	if err != nil {
		t.Fatal(err)
	}
	const zones = 40
	errs := make(chan error, zones)
	for i := range zones {
		go func() {
			_, err := p.PutDNSRecord(ctx, localapi.DNSRecordSpec{Env: "many", Zone: fmt.Sprintf("z%d.test", i), Name: "@", TTL: 5,
				Targets: [][]string{{east.BalancerAddress()}}, Port: 18091, HealthPath: "/healthz"})
			errs <- err
		}()
	}
	for range zones {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range zones {
		waitResolve(t, srv.Address, fmt.Sprintf("z%d.test", i), east.BalancerAddress())
	}
}
