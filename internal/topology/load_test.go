package topology

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

var testImages = ImageDir("testdata/images")

func load(t *testing.T, path string) *Topology {
	t.Helper()
	l := &Loader{Images: testImages}
	topo, err := l.LoadFile(path)
	if err != nil {
		var de *DiagnosticsError
		if errors.As(err, &de) {
			var buf bytes.Buffer
			_ = de.WriteText(&buf, 100, false)
			t.Fatalf("load %s:\n%s", path, buf.String())
		}
		t.Fatalf("load %s: %v", path, err)
	}
	return topo
}

func TestLoadFull(t *testing.T) {
	topo := load(t, "testdata/valid/full.hcl")
	env := topo.Environment
	if env.Name != "dev" || env.Target != TargetLocal || env.State != "file:///tmp/bulwark-state" || env.Secrets != "passphrase" {
		t.Errorf("environment = %+v", env)
	}
	zone, ok := env.Objective(DisruptionZone)
	if !ok || zone.RTO != 30*time.Second || zone.RPO != 0 {
		t.Errorf("zone objective = %+v, %v", zone, ok)
	}
	region, ok := env.Objective(DisruptionRegion)
	if !ok || region.RTO != 2*time.Minute || region.RPO != 5*time.Second {
		t.Errorf("region objective = %+v, %v", region, ok)
	}
	if _, ok := env.Objective(DisruptionInstance); ok {
		t.Errorf("instance objective declared, want none")
	}
	if got := topo.RegionNames(); !reflect.DeepEqual(got, []string{"east", "west"}) {
		t.Errorf("regions = %v", got)
	}
	if p := topo.Primary(); p.Name != "east" || p.Zones != 3 {
		t.Errorf("primary = %+v", p)
	}
	if w, _ := topo.Region("west"); w.Primary || w.Zones != DefaultZones {
		t.Errorf("west = %+v", w)
	}
	if len(topo.Services) != 1 {
		t.Fatalf("services = %d", len(topo.Services))
	}
	s := topo.Services[0]
	want := Service{
		Name: "shop", Mode: ActiveActive, Image: "shop", Port: 8080, Runtime: RuntimeVM, Regions: []string{"east", "west"},
		Capacity: Capacity{Min: 2, Desired: 3, Max: 6},
		Scaling:  Scaling{TargetCPU: 60, Cooldown: DefaultCooldown},
		Health:   Health{Path: "/healthz", Interval: time.Second, Timeout: time.Second, UnhealthyAfter: 2, HealthyAfter: DefaultHealthyAfter},
		DNS:      DNS{Zone: "shop.test", Name: "www", TTL: 5 * time.Second},
		Database: &Database{Engine: "postgres", Replication: Synchronous},
		Backup:   &Backup{Every: time.Hour, Keep: 35 * 24 * time.Hour, CopyTo: []string{"west"}},
		Rollout:  Rollout{Strategy: RolloutCanary, Canary: "west", Bake: 45 * time.Second, MaxErrorRate: 0.005},
		SLO:      &SLO{Availability: 0.9995, LatencyP99: 300 * time.Millisecond, Window: 30 * 24 * time.Hour},
		Usage:    DefaultUsage(),
	}
	if diff := compareIgnoringRanges(s, want); diff != "" {
		t.Errorf("service: %s", diff)
	}
	if s.DNS.FQDN() != "www.shop.test" {
		t.Errorf("fqdn = %q", s.DNS.FQDN())
	}
	if s.Capacity.DeclRange.Start.Line != 27 {
		t.Errorf("capacity declared at line %d, want 27", s.Capacity.DeclRange.Start.Line)
	}
}

func TestLoadDefaults(t *testing.T) {
	topo := load(t, "testdata/valid/minimal.hcl")
	if p := topo.Primary(); p.Name != "solo" {
		t.Errorf("a single region is the primary; got %+v", topo.Regions)
	}
	s := topo.Services[0]
	if s.Health.Path != DefaultHealthPath || s.Health.Interval != DefaultHealthInterval || s.Health.UnhealthyAfter != DefaultUnhealthyAfter {
		t.Errorf("health defaults = %+v", s.Health)
	}
	if s.DNS.Name != "@" || s.DNS.TTL != DefaultDNSTTL || s.DNS.FQDN() != "billing.test" {
		t.Errorf("dns defaults = %+v", s.DNS)
	}
	if s.Database != nil || s.Backup != nil {
		t.Errorf("database/backup should be absent: %+v %+v", s.Database, s.Backup)
	}
	if topo.Environment.Secrets != "passphrase" || topo.Environment.State != "" {
		t.Errorf("environment defaults = %+v", topo.Environment)
	}
}

func TestLoadAWSAndServiceRegions(t *testing.T) {
	topo := load(t, "testdata/valid/aws.hcl")
	if topo.Environment.Target != TargetAWS {
		t.Fatalf("target = %q", topo.Environment.Target)
	}
	// regions are listed in the environment's order, whatever the service's order.
	if got := topo.Services[0].Regions; !reflect.DeepEqual(got, []string{"us-east-1", "us-west-2"}) {
		t.Errorf("service regions = %v", got)
	}
	if got := len(topo.ServicesIn("us-west-2")); got != 1 {
		t.Errorf("services in us-west-2 = %d", got)
	}
	if r, _ := topo.Region("us-west-2"); r.Zones != 4 || r.NAT != NATSingle {
		t.Errorf("us-west-2 = %+v, want 4 zones and one NAT gateway", r)
	}
	if r, _ := topo.Region("us-east-1"); r.NAT != NATPerZone {
		t.Errorf("us-east-1 NAT = %q, want the default %q", r.NAT, NATPerZone)
	}
	s := topo.Services[0]
	if s.Runtime != RuntimeContainer {
		t.Errorf("runtime = %q", s.Runtime)
	}
	if s.HTTPS == nil || len(s.HTTPS.Certificates) != 2 || !strings.Contains(s.HTTPS.Certificates["us-west-2"], ":acm:us-west-2:") {
		t.Errorf("https = %+v", s.HTTPS)
	}
	if s.Database == nil || s.Database.Engine != EngineDynamoDB || s.Database.Replication != Asynchronous {
		t.Errorf("database = %+v", s.Database)
	}
}

// expectedErrors reads "# ERROR: <summary>" markers: line number -> summaries.
func expectedErrors(t *testing.T, path string) map[int][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[int][]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		parts := strings.Split(sc.Text(), "# ERROR: ")
		for _, p := range parts[1:] {
			want[line] = append(want[line], strings.TrimSpace(p))
		}
	}
	return want
}

func TestErrorFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/error-files/*.hcl")
	if len(files) == 0 {
		t.Fatal("no error files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := expectedErrors(t, path)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR: markers", path)
			}
			l := &Loader{Images: testImages}
			_, err := l.LoadFile(path)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var de *DiagnosticsError
			if !errors.As(err, &de) {
				t.Fatalf("err is %T, want *DiagnosticsError", err)
			}
			got := map[int][]string{}
			for _, d := range de.Diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a source range: %s", d.Summary)
					continue
				}
				if d.Subject.Filename != path {
					t.Errorf("diagnostic in %q, want %q", d.Subject.Filename, path)
				}
				got[d.Subject.Start.Line] = append(got[d.Subject.Start.Line], d.Summary)
			}
			for _, m := range []map[int][]string{want, got} {
				for _, v := range m {
					sort.Strings(v)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("diagnostics by line\n got: %v\nwant: %v\n%s", got, want, de.Diags.Error())
			}
			var buf bytes.Buffer
			if err := de.WriteText(&buf, 100, false); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "on "+path+" line ") {
				t.Errorf("text output lacks file:line or a snippet:\n%s", buf.String())
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "0s": 0, "1s": time.Second, "500ms": 500 * time.Millisecond, "2m30s": 150 * time.Second,
		"1h": time.Hour, "35d": 35 * 24 * time.Hour, "1.5d": 36 * time.Hour, "1d12h": 36 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "30", "-1s", "1x", "s", "1.2.3s", "99999999999999d", "1e3s"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

var zeroRange hcl.Range

// compareIgnoringRanges compares two values after zeroing every hcl.Range.
func compareIgnoringRanges(got, want Service) string {
	clear := func(s *Service) {
		s.DeclRange = zeroRange
		s.Capacity.DeclRange, s.Scaling.DeclRange, s.Health.DeclRange, s.DNS.DeclRange = zeroRange, zeroRange, zeroRange, zeroRange
		s.Rollout.DeclRange = zeroRange
		if s.Database != nil {
			db := *s.Database
			db.DeclRange = zeroRange
			s.Database = &db
		}
		if s.Backup != nil {
			b := *s.Backup
			b.DeclRange = zeroRange
			s.Backup = &b
		}
		if s.SLO != nil {
			o := *s.SLO
			o.DeclRange = zeroRange
			s.SLO = &o
		}
	}
	clear(&got)
	clear(&want)
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return fmt.Sprintf("\n got %+v\nwant %+v", got, want)
}

func TestParameters(t *testing.T) {
	src := func(value string) []byte {
		return []byte(`environment "p" {
  target = "local"
}
region "east" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  parameters = {
    LOG_LEVEL = "info"
    GREETING  = "` + value + `"
  }
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "shop.test" }
}
`)
	}
	l := &Loader{Images: testImages}
	topo, err := l.Load("p.hcl", src("hello"))
	if err != nil {
		t.Fatal(err)
	}
	s := topo.Services[0]
	if !reflect.DeepEqual(s.Parameters, map[string]string{"LOG_LEVEL": "info", "GREETING": "hello"}) {
		t.Fatalf("parameters = %v", s.Parameters)
	}
	if got := topo.ParameterPath(s); got != "/bulwark/p/shop/" {
		t.Errorf("path = %q", got)
	}
	again, err := l.Load("p.hcl", src("hello"))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := (&Loader{Images: testImages}).Load("p.hcl", src("hi")) // a loader caches files by name
	if err != nil {
		t.Fatal(err)
	}
	d := s.ParametersDigest()
	if d == "" || again.Services[0].ParametersDigest() != d || changed.Services[0].ParametersDigest() == d {
		t.Errorf("digests: %q, the same file %q, a changed value %q", d, again.Services[0].ParametersDigest(), changed.Services[0].ParametersDigest())
	}
	if (Service{}).ParametersDigest() != "" {
		t.Error("a service without parameters has a digest")
	}
}
