package policies

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// env builds a topology: regions with their zones, services with their
// regions and dependencies, externals.
type env struct {
	regions   map[string]int
	services  []topology.Service
	externals []topology.External
}

func (e env) topology() *topology.Topology {
	t := &topology.Topology{Environment: topology.Environment{Name: "test", Target: topology.TargetAWS}, Externals: e.externals}
	for _, name := range []string{"east", "west", "south"} {
		if z, ok := e.regions[name]; ok {
			t.Regions = append(t.Regions, topology.Region{Name: name, Zones: z, Primary: name == "east"})
		}
	}
	t.Services = e.services
	return t
}

func svc(name string, regions []string, deps ...topology.Dependency) topology.Service {
	return topology.Service{Name: name, Regions: regions, Dependencies: deps}
}

func hard(on string) topology.Dependency {
	return topology.Dependency{On: on, Need: topology.NeedHard, Timeout: time.Second, Tries: 1}
}

func soft(on string) topology.Dependency {
	return topology.Dependency{On: on, Need: topology.NeedSoft, Timeout: time.Second, Tries: 1, OnFailure: topology.ServeCached}
}

func calls(on string, timeout time.Duration, tries int, backoff time.Duration) topology.Dependency {
	return topology.Dependency{On: on, Need: topology.NeedHard, Timeout: timeout, Tries: tries, Backoff: backoff}
}

func external(d topology.Dependency) topology.Dependency { d.External = true; return d }

var (
	both  = []string{"east", "west"}
	three = []string{"east", "west", "south"}
	east  = []string{"east"}
)

// Every hidden single point of a table of environments, by its path, and
// none where there is none.
func TestSinglePoints(t *testing.T) {
	cases := []struct {
		name string
		env  env
		want []string // "service needs on (path) lost-regions zones"
	}{
		{"redundant chain", env{regions: map[string]int{"east": 3, "west": 3},
			services: []topology.Service{svc("checkout", both, hard("payments")), svc("payments", both, hard("ledger")), svc("ledger", both)}}, nil},
		{"a chain of three ending in one region", env{regions: map[string]int{"east": 3, "west": 3},
			services: []topology.Service{svc("checkout", both, hard("payments")), svc("payments", both, hard("ledger")), svc("ledger", east)}},
			[]string{"checkout ledger checkout → payments → ledger [west]", "payments ledger payments → ledger [west]"}},
		{"a soft dependency is no single point", env{regions: map[string]int{"east": 3, "west": 3},
			services: []topology.Service{svc("checkout", both, soft("recommendations")), svc("recommendations", east)}}, nil},
		{"hard behind soft is not needed", env{regions: map[string]int{"east": 3, "west": 3},
			services: []topology.Service{svc("checkout", both, soft("search")), svc("search", both, hard("index")), svc("index", east)}},
			[]string{"search index search → index [west]"}},
		{"mixed regions: the dependency covers two of three", env{regions: map[string]int{"east": 3, "west": 3, "south": 3},
			services: []topology.Service{svc("api", three, hard("db")), svc("db", both)}},
			[]string{"api db api → db [south]"}},
		{"fewer zones", env{regions: map[string]int{"east": 3, "west": 1},
			services: []topology.Service{svc("api", east, hard("cache")), svc("cache", []string{"west"})}},
			[]string{"api cache api → cache [east] 1<3"}},
		{"an external reachable from one region", env{regions: map[string]int{"east": 3, "west": 3},
			externals: []topology.External{{Name: "cardnet", Availability: 0.9995, Regions: east}},
			services:  []topology.Service{svc("payments", both, external(hard("cardnet")))}},
			[]string{"payments cardnet payments → cardnet [west]"}},
		{"a global external", env{regions: map[string]int{"east": 3, "west": 3},
			externals: []topology.External{{Name: "cardnet", Availability: 0.9995}},
			services:  []topology.Service{svc("payments", both, external(hard("cardnet")))}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, sp := range NewGraph(c.env.topology()).SinglePoints() {
				s := sp.Service + " " + sp.On + " " + sp.Path.String() + " [" + strings.Join(sp.Lost, ",") + "]"
				if sp.Zones[0] > 0 {
					s = sp.Service + " " + sp.On + " " + sp.Path.String() + " [" + strings.Join(sp.Lost, ",") + "] " + itoa(sp.Zones[0]) + "<" + itoa(sp.Zones[1])
				}
				got = append(got, s)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("single points\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// A caller that gives up before its callee's budget on its own callee is
// a retry storm; the worst amplification is the product of tries.
func TestRetryStorms(t *testing.T) {
	topo := env{regions: map[string]int{"east": 3, "west": 3}, services: []topology.Service{
		// edge waits 1s per try on api; api tries the db 3 × 500ms with
		// 100ms, then 200ms of backoff: 1.8s > 1s
		svc("edge", both, calls("api", time.Second, 2, 0)),
		svc("api", both, calls("db", 500*time.Millisecond, 3, 100*time.Millisecond)),
		svc("db", both),
		// shrinking timeouts: 4s > 1s × 2 + 200ms
		svc("web", both, calls("search", 4*time.Second, 3, 0)),
		svc("search", both, calls("index", time.Second, 2, 200*time.Millisecond)),
		svc("index", both),
	}}.topology()
	g := NewGraph(topo)
	storms := g.RetryStorms()
	if len(storms) != 1 || storms[0].Path.String() != "edge → api → db" || storms[0].CallerTimeout != time.Second || storms[0].CalleeBudget != 1800*time.Millisecond {
		t.Errorf("storms: %+v", storms)
	}
	amp := map[string]int{}
	for _, a := range g.WorstAmplification() {
		amp[a.Path.String()] = a.Attempts
	}
	want := map[string]int{"edge → api → db": 6, "api → db": 3, "web → search → index": 6, "search → index": 2}
	if len(amp) != len(want) {
		t.Errorf("amplifications %v, want %v", amp, want)
	}
	for p, n := range want {
		if amp[p] != n {
			t.Errorf("amplification of %s: %d, want %d (all: %v)", p, amp[p], n, amp)
		}
	}
}

// The availability arithmetic, worked by hand.
func TestAvailabilityArithmetic(t *testing.T) {
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-12 }
	// series: 0.99 × 0.98 = 0.9702; parallel: 1 - 0.01 × 0.02 = 0.9998
	if s, p := Series(0.99, 0.98), Parallel(0.99, 0.98); !near(s, 0.9702) || !near(p, 0.9998) {
		t.Errorf("series %v parallel %v", s, p)
	}
	// nested: two regions of (0.999 region × parallel of two 0.99 zones)
	// = 0.999 × 0.9999 = 0.9989001 each; both: 1 - 0.0010999² = 0.99999879022
	rel := Reliability{
		Instance: Outages{PerYear: 0, Repair: 0},
		Zone:     Outages{PerYear: 87.6, Repair: time.Hour}, // 1 - 87.6/8760 = 0.99
		Region:   Outages{PerYear: 8.76, Repair: time.Hour}, // 0.999
	}
	in := rel.InRegion(RegionShare{Region: "east", Zones: 2, InstancesPerZone: 1})
	if !near(in, 0.9989001) {
		t.Errorf("in a region: %.10f, want 0.9989001", in)
	}
	over := rel.OverRegions([]float64{in, in}, 0)
	if !near(over, 1-0.0010999*0.0010999) {
		t.Errorf("over two regions: %.12f, want %.12f", over, 1-0.0010999*0.0010999)
	}
	// failover: 2 regions × 8.76 a year × 1 h / 8760 h = 0.002 off
	if f := rel.OverRegions([]float64{in, in}, time.Hour); !near(f, 1-0.0010999*0.0010999-0.002) {
		t.Errorf("with failover: %.12f", f)
	}
}
