package localprovider

import (
	"context"
	"io"
	"log"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/pgbin"
)

// server runs the provider in-process against a control plane served by
// the test itself (the provider would otherwise start one by re-running its
// own executable, which here is the test binary).
func server(t *testing.T) integration.Server {
	t.Helper()
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- localcloud.Serve(ctx, localcloud.Dir(state), log.New(io.Discard, "", 0)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	for i := 0; localcloud.Running(localcloud.Dir(state)) == 0; i++ {
		if i > 100 {
			t.Fatal("control plane did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	prov, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse("0.1.0"), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func urn(ty, name string) presource.URN {
	return presource.NewURN("test", "bulwark", "", tokens.Type("bulwark:local:"+ty), name)
}

func props(m map[string]any) property.Map {
	out := map[string]property.Value{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = property.New(v)
		case int:
			out[k] = property.New(float64(v))
		case bool:
			out[k] = property.New(v)
		case property.Map:
			out[k] = property.New(v)
		}
	}
	return property.NewMap(out)
}

func str(m property.Map, k string) string { v := m.Get(k); return v.AsString() }

func TestProviderLifecycle(t *testing.T) {
	s := server(t)
	// Region: create, read, and read after delete says it is gone
	region := props(map[string]any{"env": "u", "name": "east"})
	rc, err := s.Create(p.CreateRequest{Urn: urn("Region", "east"), Properties: region})
	if err != nil {
		t.Fatal(err)
	}
	if rc.ID != "u/east" || !strings.HasPrefix(str(rc.Properties, "cidr"), "127.0.") || !strings.HasSuffix(str(rc.Properties, "balancerAddress"), ".1") {
		t.Fatalf("region = %s %v", rc.ID, rc.Properties)
	}
	rr, err := s.Read(p.ReadRequest{ID: rc.ID, Urn: urn("Region", "east"), Properties: rc.Properties, Inputs: region})
	if err != nil || rr.ID != rc.ID || str(rr.Properties, "cidr") != str(rc.Properties, "cidr") {
		t.Fatalf("region read = %+v %v", rr, err)
	}

	// Image: built once, content-addressed
	_, file, _, _ := runtime.Caller(0)
	source := filepath.Join(filepath.Dir(file), "..", "..", "images", "shop")
	ic, err := s.Create(p.CreateRequest{Urn: urn("Image", "shop"), Properties: props(map[string]any{"name": "shop", "source": source, "sourceDigest": "sha256:x"})})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ic.ID, "sha256:") || ic.ID != str(ic.Properties, "digest") {
		t.Fatalf("image = %s %v", ic.ID, ic.Properties)
	}

	// InstanceGroup: create, update capacity in place, read
	health := props(map[string]any{"path": "/healthz", "intervalMs": 200, "timeoutMs": 200, "unhealthyAfter": 2, "healthyAfter": 1})
	group := func(desired int) property.Map {
		return props(map[string]any{"env": "u", "region": "east", "service": "shop", "imageDigest": ic.ID,
			"imagePath": str(ic.Properties, "path"), "port": 18097, "min": 1, "desired": desired, "max": 3, "zones": 3, "health": health})
	}
	gc, err := s.Create(p.CreateRequest{Urn: urn("InstanceGroup", "shop"), Properties: group(1)})
	if err != nil {
		t.Fatal(err)
	}
	if addrs := gc.Properties.Get("addresses"); addrs.AsArray().Len() != 1 {
		t.Fatalf("group addresses = %v", addrs)
	}
	gd, err := s.Diff(p.DiffRequest{ID: gc.ID, Urn: urn("InstanceGroup", "shop"), State: gc.Properties, Inputs: group(2)})
	if err != nil || !gd.HasChanges || gd.DetailedDiff["desired"].Kind != p.Update {
		t.Fatalf("group diff desired 1 -> 2 = %+v %v (want an update, not a replacement)", gd, err)
	}
	gu, err := s.Update(p.UpdateRequest{ID: gc.ID, Urn: urn("InstanceGroup", "shop"), State: gc.Properties, Inputs: group(2)})
	if err != nil || gu.Properties.Get("addresses").AsArray().Len() != 2 {
		t.Fatalf("group update = %v %v", gu.Properties, err)
	}
	other := group(2).Set("region", property.New("west"))
	if gd, err = s.Diff(p.DiffRequest{ID: gc.ID, Urn: urn("InstanceGroup", "shop"), State: gu.Properties, Inputs: other}); err != nil || !gd.HasChanges || gd.DetailedDiff["region"].Kind != p.UpdateReplace {
		t.Fatalf("group diff to another region = %+v %v (want a replacement)", gd, err)
	}

	// LoadBalancer: create; killed by hand, Read reports it and Diff wants an update, which restores it
	lbIn := props(map[string]any{"env": "u", "region": "east", "service": "shop", "port": 18097, "health": health})
	lc, err := s.Create(p.CreateRequest{Urn: urn("LoadBalancer", "shop"), Properties: lbIn})
	if err != nil || !lc.Properties.Get("running").AsBool() {
		t.Fatalf("balancer = %v %v", lc.Properties, err)
	}
	st, err := localapi.Get(context.Background(), clientFor(t), localapi.Balancers, mustServiceID(t, lc.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var lr p.ReadResponse
	for i := 0; i < 50; i++ {
		if lr, err = s.Read(p.ReadRequest{ID: lc.ID, Urn: urn("LoadBalancer", "shop"), Properties: lc.Properties, Inputs: lbIn}); err == nil && !lr.Properties.Get("running").AsBool() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lr.Properties.Get("running").AsBool() {
		t.Fatal("read still reports a killed balancer running")
	}
	ld, err := s.Diff(p.DiffRequest{ID: lc.ID, Urn: urn("LoadBalancer", "shop"), State: lr.Properties, Inputs: lbIn})
	if err != nil || !ld.HasChanges {
		t.Fatalf("diff of a dead balancer = %+v %v", ld, err)
	}
	lu, err := s.Update(p.UpdateRequest{ID: lc.ID, Urn: urn("LoadBalancer", "shop"), State: lr.Properties, Inputs: lbIn})
	if err != nil || !lu.Properties.Get("running").AsBool() {
		t.Fatalf("update of a dead balancer = %v %v", lu.Properties, err)
	}

	// Delete everything; reads then say gone
	for _, d := range []struct {
		ty    string
		id    string
		props property.Map
	}{{"LoadBalancer", lc.ID, lu.Properties}, {"InstanceGroup", gc.ID, gu.Properties}, {"Image", ic.ID, ic.Properties}, {"Region", rc.ID, rc.Properties}} {
		if err := s.Delete(p.DeleteRequest{ID: d.id, Urn: urn(d.ty, "x"), Properties: d.props}); err != nil {
			t.Fatalf("delete %s: %v", d.ty, err)
		}
	}
	gone, err := s.Read(p.ReadRequest{ID: gc.ID, Urn: urn("InstanceGroup", "shop"), Properties: gu.Properties, Inputs: group(2)})
	if err != nil || gone.ID != "" {
		t.Errorf("read after delete = %+v %v, want an empty ID", gone, err)
	}
}

func clientFor(t *testing.T) *localapi.Client {
	t.Helper()
	c, err := client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustServiceID(t *testing.T, id string) localapi.ServiceID {
	t.Helper()
	sid, err := localapi.ParseServiceID(id)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// The application role's password is generated at create, a secret output
// (encrypted in the engine's state, never in clear in an export), the same
// after an update, and the same in every region's member: the control
// plane answers a second member's create with the database's first
// password, the one the instances are given.
func TestDatabasePasswordIsASecret(t *testing.T) {
	if _, err := pgbin.Dir(); err != nil {
		t.Skip(err)
	}
	s := server(t)
	member := func(region string, protect bool) property.Map {
		m := props(map[string]any{"env": "pw", "region": region, "service": "shop", "primary": "east",
			"replication": "async", "deletionProtection": protect, "port": 18191})
		return m.Set("replicas", property.New(property.NewArray([]property.Value{property.New("west")})))
	}
	secret := func(what string, m property.Map) string {
		t.Helper()
		v := m.Get("password")
		if !v.Secret() || !v.IsString() || len(v.AsString()) < contract.DatabasePasswordMin {
			t.Fatalf("%s: password output secret %v, a string of %d characters; want a secret password", what, v.Secret(), len(v.AsString()))
		}
		return v.AsString()
	}
	preview, err := s.Create(p.CreateRequest{Urn: urn("Database", "shop"), Properties: member("east", false), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := preview.Properties.Get("password"); v.IsString() && v.AsString() != "" {
		t.Errorf("a preview of the create shows a password")
	}
	east, err := s.Create(p.CreateRequest{Urn: urn("Database", "shop"), Properties: member("east", false)})
	if err != nil {
		t.Fatal(err)
	}
	password := secret("create", east.Properties)
	if d, err := s.Diff(p.DiffRequest{ID: east.ID, Urn: urn("Database", "shop"), State: east.Properties, Inputs: member("east", false)}); err != nil || d.HasChanges {
		t.Errorf("diff with nothing changed = %+v %v, want none", d, err)
	}
	// a member from before the database had credentials is updated to one
	if d, err := s.Diff(p.DiffRequest{ID: east.ID, Urn: urn("Database", "shop"), State: east.Properties.Delete("password"), Inputs: member("east", false)}); err != nil || d.DetailedDiff["password"].Kind != p.Update {
		t.Errorf("diff of a state without a password = %+v %v, want an update", d, err)
	}
	updated, err := s.Update(p.UpdateRequest{ID: east.ID, Urn: urn("Database", "shop"), State: east.Properties, Inputs: member("east", true)})
	if err != nil {
		t.Fatal(err)
	}
	if secret("update", updated.Properties) != password || !updated.Properties.Get("deletionProtection").AsBool() {
		t.Errorf("the update changed the password, or did not apply")
	}
	read, err := s.Read(p.ReadRequest{ID: east.ID, Urn: urn("Database", "shop"), Properties: updated.Properties, Inputs: member("east", true)})
	if err != nil || secret("read", read.Properties) != password {
		t.Errorf("a read lost or changed the password: %v", err)
	}
	west, err := s.Create(p.CreateRequest{Urn: urn("Database", "shop-west"), Properties: member("west", false)})
	if err != nil {
		t.Fatal(err)
	}
	if secret("west's create", west.Properties) != password {
		t.Errorf("west's member holds another password than east's")
	}
	if _, err := s.Update(p.UpdateRequest{ID: east.ID, Urn: urn("Database", "shop"), State: updated.Properties, Inputs: member("east", false)}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []p.CreateResponse{west, east} {
		if err := s.Delete(p.DeleteRequest{ID: m.ID, Urn: urn("Database", "x"), Properties: m.Properties}); err != nil {
			t.Fatal(err)
		}
	}
}
