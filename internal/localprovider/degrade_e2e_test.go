package localprovider

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func stringArray(values ...string) property.Value {
	out := make([]property.Value, len(values))
	for i, v := range values {
		out[i] = property.New(v)
	}
	return property.New(property.NewArray(out))
}

// lifecycle creates a resource, reads it back, diffs and applies an
// update, checks a replacement's diff, deletes it and reads it gone. It
// returns the created resource's properties.
type lifecycle struct {
	ty, name     string
	in, updated  property.Map
	updateKey    string       // the input the update changes
	replaced     property.Map // inputs whose diff is a replacement
	replaceKey   string
	checkCreated func(t *testing.T, out property.Map)
}

func (l lifecycle) run(t *testing.T, s integration.Server) {
	t.Helper()
	c, err := s.Create(p.CreateRequest{Urn: urn(l.ty, l.name), Properties: l.in})
	if err != nil {
		t.Fatalf("%s create: %v", l.ty, err)
	}
	if !c.Properties.Get("running").AsBool() {
		t.Errorf("%s does not run after its create: %v", l.ty, c.Properties)
	}
	l.checkCreated(t, c.Properties)
	r, err := s.Read(p.ReadRequest{ID: c.ID, Urn: urn(l.ty, l.name), Properties: c.Properties, Inputs: l.in})
	if err != nil || r.ID != c.ID {
		t.Fatalf("%s read = %+v %v", l.ty, r, err)
	}
	if d, err := s.Diff(p.DiffRequest{ID: c.ID, Urn: urn(l.ty, l.name), State: r.Properties, Inputs: l.in}); err != nil || d.HasChanges {
		t.Errorf("%s: after a read, the unchanged inputs diff as %+v %v (drift that is none)", l.ty, d, err)
	}
	d, err := s.Diff(p.DiffRequest{ID: c.ID, Urn: urn(l.ty, l.name), State: r.Properties, Inputs: l.updated})
	if err != nil || !d.HasChanges || d.DetailedDiff[l.updateKey].Kind != p.Update {
		t.Fatalf("%s diff changing %s = %+v %v, want an update", l.ty, l.updateKey, d, err)
	}
	u, err := s.Update(p.UpdateRequest{ID: c.ID, Urn: urn(l.ty, l.name), State: r.Properties, Inputs: l.updated})
	if err != nil || !u.Properties.Get(l.updateKey).Equals(l.updated.Get(l.updateKey)) || !u.Properties.Get("running").AsBool() {
		t.Fatalf("%s update = %v %v", l.ty, u.Properties, err)
	}
	r, err = s.Read(p.ReadRequest{ID: c.ID, Urn: urn(l.ty, l.name), Properties: u.Properties, Inputs: l.updated})
	if err != nil || !r.Inputs.Get(l.updateKey).Equals(l.updated.Get(l.updateKey)) {
		t.Errorf("%s read after the update: %s = %v (%v), want %v", l.ty, l.updateKey, r.Inputs.Get(l.updateKey), err, l.updated.Get(l.updateKey))
	}
	d, err = s.Diff(p.DiffRequest{ID: c.ID, Urn: urn(l.ty, l.name), State: u.Properties, Inputs: l.replaced})
	if err != nil || d.DetailedDiff[l.replaceKey].Kind != p.UpdateReplace {
		t.Errorf("%s diff changing %s = %+v %v, want a replacement", l.ty, l.replaceKey, d, err)
	}
	if err := s.Delete(p.DeleteRequest{ID: c.ID, Urn: urn(l.ty, l.name), Properties: u.Properties}); err != nil {
		t.Fatalf("%s delete: %v", l.ty, err)
	}
	if gone, err := s.Read(p.ReadRequest{ID: c.ID, Urn: urn(l.ty, l.name), Properties: u.Properties, Inputs: l.updated}); err != nil || gone.ID != "" {
		t.Errorf("%s read after delete = %+v %v, want an empty ID", l.ty, gone, err)
	}
}

// The write queue (nats-server), the cache (nginx) and the link
// (toxiproxy-server) through the provider against a real control plane:
// each listens at its own address of the region at its port, updates in
// place and is gone after its delete.
func TestDegradationPartsLifecycle(t *testing.T) {
	s := server(t)
	regions := map[string]property.Map{}
	for _, name := range []string{"east", "west"} {
		r, err := s.Create(p.CreateRequest{Urn: urn("Region", name), Properties: props(map[string]any{"env": "dg", "name": name})})
		if err != nil {
			t.Fatal(err)
		}
		regions[name] = r.Properties
	}
	// 127.0.R. of east
	eastNet := strings.TrimSuffix(str(regions["east"], "cidr"), "0/24")

	t.Run("WriteQueue", func(t *testing.T) {
		if _, err := exec.LookPath("nats-server"); err != nil && !executable("/usr/sbin/nats-server") {
			t.Skip("no nats-server (apt-get install nats-server)")
		}
		in := props(map[string]any{"env": "dg", "region": "east", "service": "shop", "port": 18291,
			"stream": "bulwark-dg-shop-writes", "keepSeconds": 3600, "maxReceives": 5})
		lifecycle{ty: "WriteQueue", name: "shop", in: in,
			updated: in.Set("keepSeconds", property.New(7200.0)), updateKey: "keepSeconds",
			replaced: in.Set("stream", property.New("other")), replaceKey: "stream",
			checkCreated: func(t *testing.T, out property.Map) {
				if got, want := str(out, "url"), "nats://"+eastNet+"5:18291"; got != want {
					t.Errorf("queue url %q, want %q", got, want)
				}
			}}.run(t, s)
	})
	t.Run("Cache", func(t *testing.T) {
		if _, err := exec.LookPath("nginx"); err != nil && !executable("/usr/sbin/nginx") {
			t.Skip("no nginx (apt-get install nginx-light)")
		}
		in := props(map[string]any{"env": "dg", "region": "east", "service": "shop", "port": 18292, "ttlMs": 2000, "staleForMs": 60000}).
			Set("paths", stringArray("/catalog")).Set("origins", stringArray("east", "west"))
		lifecycle{ty: "Cache", name: "shop", in: in,
			updated: in.Set("paths", stringArray("/catalog", "/static")), updateKey: "paths",
			replaced: in.Set("port", property.New(18293.0)), replaceKey: "port",
			checkCreated: func(t *testing.T, out property.Map) {
				if got, want := str(out, "address"), eastNet+"6:18292"; got != want {
					t.Errorf("cache address %q, want %q", got, want)
				}
			}}.run(t, s)
	})
	t.Run("Link", func(t *testing.T) {
		if os.Getenv("BULWARK_TOXIPROXY") == "" {
			_, file, _, _ := runtime.Caller(0)
			if bin := filepath.Join(filepath.Dir(file), "..", "..", "bin", "toxiproxy-server"); executable(bin) {
				t.Setenv("BULWARK_TOXIPROXY", bin)
			} else if _, err := exec.LookPath("toxiproxy-server"); err != nil {
				t.Skip("no toxiproxy-server (make toxiproxy)")
			}
		}
		in := props(map[string]any{"env": "dg", "region": "east", "callee": "reviews", "port": 18294, "upstream": "east"})
		lifecycle{ty: "Link", name: "reviews", in: in,
			updated: in.Set("upstream", property.New("west")), updateKey: "upstream",
			replaced: in.Set("port", property.New(18295.0)), replaceKey: "port",
			checkCreated: func(t *testing.T, out property.Map) {
				if got, want := str(out, "address"), eastNet+"7:18294"; got != want {
					t.Errorf("link address %q, want %q", got, want)
				}
			}}.run(t, s)
	})
	for name, r := range regions {
		if err := s.Delete(p.DeleteRequest{ID: "dg/" + name, Urn: urn("Region", name), Properties: r}); err != nil {
			t.Errorf("delete region %s: %v", name, err)
		}
	}
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
