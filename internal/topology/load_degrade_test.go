package topology

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// degradeEnv is an environment whose shop declares a write queue and a
// cache; «queue» and «cache» stand for the blocks' bodies.
const degradeEnv = `environment "dev" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 2
  }
  dns { zone = "shop.test" }
  database { engine = "postgres" }
  write_queue {
    «queue»
  }
  cache {
    «cache»
  }
}
service "billing" {
  mode  = "active-active"
  image = "billing"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 2
  }
  dns { zone = "billing.test" }
}
`

func loadDegrade(t *testing.T, queue, cache string) (*Topology, error) {
	t.Helper()
	src := strings.NewReplacer("«queue»", queue, "«cache»", cache).Replace(degradeEnv)
	return (&Loader{Images: testImages}).Load("degrade.hcl", []byte(src))
}

// The example environment loads with both blocks as written, and its
// soft dependency as the brief of dev-degrade says.
func TestLoadDevDegrade(t *testing.T) {
	topo, err := (&Loader{Images: ImageDir("../../images")}).LoadFile("../../environments/dev-degrade.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if got := topo.RegionNames(); !reflect.DeepEqual(got, []string{"east", "west"}) {
		t.Errorf("regions %v, want east and west", got)
	}
	shop, reviews := topo.Services[0], topo.Services[1]
	if shop.Name != "shop" || shop.Port != 8090 || shop.Database == nil || shop.Database.Replication != Synchronous {
		t.Errorf("shop: %+v", shop)
	}
	if q := shop.WriteQueue; q == nil || !reflect.DeepEqual(q.Paths, []string{"/writes"}) || q.MaxAge != time.Minute || q.Keep != 24*time.Hour ||
		q.MaxReceives != DefaultQueueMaxReceives || q.DeclRange.Start.Line == 0 {
		t.Errorf("shop's write queue: %+v", q)
	}
	if c := shop.Cache; c == nil || !reflect.DeepEqual(c.Paths, []string{"/catalog"}) || c.TTL != 2*time.Second || c.StaleFor != time.Hour || c.DeclRange.Start.Line == 0 {
		t.Errorf("shop's cache: %+v", c)
	}
	if deps := shop.Dependencies; len(deps) != 1 || deps[0].On != "reviews" || deps[0].Need != NeedSoft || deps[0].Timeout != 300*time.Millisecond ||
		deps[0].Tries != 2 || deps[0].Backoff != 50*time.Millisecond || deps[0].OnFailure != ServeCached {
		t.Errorf("shop's dependencies: %+v", deps)
	}
	if reviews.Name != "reviews" || reviews.Port != 8091 || reviews.WriteQueue != nil || reviews.Cache != nil {
		t.Errorf("reviews: %+v", reviews)
	}
}

// A block that names only its paths takes the defaults; a service
// without the blocks has neither.
func TestDegradeDefaults(t *testing.T) {
	topo, err := loadDegrade(t, `paths = ["/orders"]`, `paths = ["/catalog"]`)
	if err != nil {
		t.Fatal(err)
	}
	want := WriteQueue{Paths: []string{"/orders"}, MaxAge: DefaultQueueMaxAge, Keep: DefaultQueueKeep, MaxReceives: DefaultQueueMaxReceives}
	if q := topo.Services[0].WriteQueue; q == nil || q.DeclRange.Start.Line != 19 {
		t.Fatalf("write queue %+v, want one declared at line 19", q)
	} else if q.DeclRange = want.DeclRange; !reflect.DeepEqual(*q, want) {
		t.Errorf("write queue %+v, want %+v", *q, want)
	}
	wantCache := Cache{Paths: []string{"/catalog"}, TTL: DefaultCacheTTL, StaleFor: DefaultCacheStaleFor}
	if c := topo.Services[0].Cache; c == nil || c.DeclRange.Start.Line != 22 {
		t.Fatalf("cache %+v, want one declared at line 22", c)
	} else if c.DeclRange = wantCache.DeclRange; !reflect.DeepEqual(*c, wantCache) {
		t.Errorf("cache %+v, want %+v", *c, wantCache)
	}
	if b := topo.Services[1]; b.WriteQueue != nil || b.Cache != nil {
		t.Errorf("billing declares neither, got %+v and %+v", b.WriteQueue, b.Cache)
	}
}

// Every value reads back as written, at the limits too.
func TestDegradeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, queue, cache string
		wantQueue          WriteQueue
		wantCache          Cache
	}{
		{
			name:      "longest",
			queue:     "paths = [\"/orders\", \"/Carts/%7Euser\", \"/a-b_c.d~e/\"]\n    max_age = \"13d23h59m59s\"\n    keep = \"14d\"\n    max_receives = 1000",
			cache:     "paths = [\"/catalog\", \"/img/\"]\n    ttl = \"365d\"\n    stale_for = \"365d\"",
			wantQueue: WriteQueue{Paths: []string{"/orders", "/Carts/%7Euser", "/a-b_c.d~e/"}, MaxAge: 14*24*time.Hour - time.Second, Keep: MaxQueueKeep, MaxReceives: MaxQueueMaxReceives},
			wantCache: Cache{Paths: []string{"/catalog", "/img/"}, TTL: MaxCacheAge, StaleFor: MaxCacheAge},
		},
		{
			name:      "shortest",
			queue:     "paths = [\"/w\"]\n    max_age = 1\n    keep = \"1m\"\n    max_receives = 1",
			cache:     "paths = [\"/c\"]\n    ttl = 1\n    stale_for = \"0s\"",
			wantQueue: WriteQueue{Paths: []string{"/w"}, MaxAge: time.Second, Keep: MinQueueKeep, MaxReceives: 1},
			wantCache: Cache{Paths: []string{"/c"}, TTL: time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topo, err := loadDegrade(t, tc.queue, tc.cache)
			if err != nil {
				t.Fatal(err)
			}
			q, c := *topo.Services[0].WriteQueue, *topo.Services[0].Cache
			q.DeclRange, c.DeclRange = tc.wantQueue.DeclRange, tc.wantCache.DeclRange
			if !reflect.DeepEqual(q, tc.wantQueue) {
				t.Errorf("write queue %+v, want %+v", q, tc.wantQueue)
			}
			if !reflect.DeepEqual(c, tc.wantCache) {
				t.Errorf("cache %+v, want %+v", c, tc.wantCache)
			}
		})
	}
}

// The diagnostics that compare two paths name both, at the cached path's
// own line; the error files check every other diagnostic's line.
func TestDegradeDiagnosticsNamePaths(t *testing.T) {
	for _, tc := range []struct {
		name, queue, cache string
		summary            string
		line               int
		names              []string
	}{
		{"cache covers a write path", `paths = ["/shop/orders"]`, "paths = [\n      \"/img\",\n      \"/shop\",\n    ]",
			"Cache on a write path", 25, []string{`"/shop"`, `"/shop/orders"`}},
		{"write path covers a cached path", `paths = ["/"]`, `paths = ["/catalog"]`,
			"Cache on a write path", 23, []string{`"/catalog"`, `"/"`}},
		{"cache covers the health check", `paths = ["/orders"]`, `paths = ["/"]`,
			"Cache on the health check", 23, []string{`"/"`, `"/healthz"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadDegrade(t, tc.queue, tc.cache)
			var de *DiagnosticsError
			if !errors.As(err, &de) {
				t.Fatalf("err %v, want diagnostics", err)
			}
			i := slices.IndexFunc(de.Diags, func(d *hcl.Diagnostic) bool { return d.Summary == tc.summary })
			if i < 0 {
				t.Fatalf("no %q among:\n%s", tc.summary, de.Diags.Error())
			}
			d := de.Diags[i]
			if d.Subject == nil || d.Subject.Filename != "degrade.hcl" || d.Subject.Start.Line != tc.line {
				t.Errorf("%q at %v, want at degrade.hcl:%d", d.Summary, d.Subject, tc.line)
			}
			for _, n := range tc.names {
				if !strings.Contains(d.Detail, n) {
					t.Errorf("detail %q does not name %s", d.Detail, n)
				}
			}
		})
	}
	t.Run("write queue without a database", func(t *testing.T) {
		src := strings.Replace(strings.NewReplacer("«queue»", `paths = ["/orders"]`, "«cache»", `paths = ["/catalog"]`).Replace(degradeEnv),
			"  database { engine = \"postgres\" }\n", "", 1)
		_, err := (&Loader{Images: testImages}).Load("degrade.hcl", []byte(src))
		var de *DiagnosticsError
		if !errors.As(err, &de) || len(de.Diags) != 1 {
			t.Fatalf("err %v, want one diagnostic", err)
		}
		if d := de.Diags[0]; d.Summary != "Write queue without a database" || d.Subject.Start.Line != 18 || !strings.Contains(d.Detail, `service "shop" has none`) {
			t.Errorf("got %q at %v: %s", d.Summary, d.Subject, d.Detail)
		}
	})
}

func TestFileDuration(t *testing.T) {
	for v, want := range map[time.Duration]string{
		0: "0s", time.Second: "1s", 500 * time.Millisecond: "500ms", 90 * time.Second: "1m30s",
		MaxQueueKeep: "14d", MaxCacheAge: "365d", 25*time.Hour + time.Millisecond: "1d1h1ms", time.Microsecond: "1µs",
	} {
		if got := fileDuration(v); got != want {
			t.Errorf("fileDuration(%s) = %q, want %q", v, got, want)
		}
		if got, err := ParseDuration(want); err != nil || got != v {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", want, got, err, v)
		}
	}
}
