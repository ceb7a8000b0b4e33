package ladder

import (
	"context"
	"encoding/xml"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func loadProd(t *testing.T) *topology.Topology {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir("../../images"), Root: "../.."}
	topo, err := l.LoadFile("../../environments/prod.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func serviceOf(t *testing.T, v Variant) topology.Service {
	t.Helper()
	for _, s := range v.Topology.Services {
		if s.Name == v.Service {
			return s
		}
	}
	t.Fatalf("%s: no service %s", v.Kind, v.Service)
	return topology.Service{}
}

// TestProdShopVariants: prod's shop (active-active in us-east-1, us-west-2,
// eu-west-1; capacity 3/4/12; backups copied to both others) takes every
// step, each changed as worked out here by hand; payments and the file's
// topology are left as declared.
func TestProdShopVariants(t *testing.T) {
	prod := loadProd(t)
	variants, skipped, err := Variants(prod, "shop")
	if err != nil || len(skipped) != 0 {
		t.Fatalf("variants: %v, skipped %+v", err, skipped)
	}
	type want struct {
		regions []string
		mode    topology.Mode
		copyTo  []string
		standby *topology.Capacity
		scaleUp bool
		restore string
	}
	wants := map[Kind]want{
		OneRegion:     {[]string{"us-east-1"}, topology.ActiveActive, nil, nil, false, ""},
		BackupRestore: {[]string{"us-east-1"}, topology.ActiveActive, []string{"us-west-2"}, nil, false, "us-west-2"},
		PilotLight:    {[]string{"us-east-1", "us-west-2"}, topology.HotStandby, []string{"us-west-2"}, &topology.Capacity{Min: 0, Desired: 0, Max: 12}, true, ""},
		WarmStandby:   {[]string{"us-east-1", "us-west-2"}, topology.HotStandby, []string{"us-west-2"}, &topology.Capacity{Min: 2, Desired: 2, Max: 12}, false, ""},
		ActiveActive:  {[]string{"us-east-1", "us-west-2", "eu-west-1"}, topology.ActiveActive, []string{"us-west-2", "eu-west-1"}, nil, false, ""},
		Declared:      {[]string{"us-east-1", "us-west-2", "eu-west-1"}, topology.ActiveActive, []string{"us-west-2", "eu-west-1"}, nil, false, ""},
	}
	var kinds []Kind
	for _, v := range variants {
		kinds = append(kinds, v.Kind)
		w := wants[v.Kind]
		s := serviceOf(t, v)
		if !slices.Equal(s.Regions, w.regions) || s.Mode != w.mode || s.Backup == nil || !slices.Equal(s.Backup.CopyTo, w.copyTo) {
			t.Errorf("%s: regions %v mode %s copy_to %v; want %v %s %v", v.Kind, s.Regions, s.Mode, s.Backup.CopyTo, w.regions, w.mode, w.copyTo)
		}
		if s.Capacity.Min != 3 || s.Capacity.Desired != 4 || s.Capacity.Max != 12 {
			t.Errorf("%s: the service's own capacity changed: %+v", v.Kind, s.Capacity)
		}
		if (v.Standby == nil) != (w.standby == nil) || v.Standby != nil && (v.Standby.Min != w.standby.Min || v.Standby.Desired != w.standby.Desired || v.Standby.Max != w.standby.Max) {
			t.Errorf("%s: standby %+v, want %+v", v.Kind, v.Standby, w.standby)
		}
		if v.Standby != nil && !slices.Equal(v.StandbyRegions, []string{"us-west-2"}) {
			t.Errorf("%s: standby regions %v", v.Kind, v.StandbyRegions)
		}
		if v.ScaleUp != w.scaleUp || v.RestoreIn != w.restore {
			t.Errorf("%s: scale-up %t restore in %q", v.Kind, v.ScaleUp, v.RestoreIn)
		}
		if len(v.Changes) == 0 {
			t.Errorf("%s says nothing of what it changes", v.Kind)
		}
		// what the loader checks of a service's regions and mode
		if s.Mode == topology.HotStandby && len(s.Regions) < 2 {
			t.Errorf("%s: a hot standby in one region", v.Kind)
		}
		for _, r := range append(slices.Clone(s.Regions), s.Backup.CopyTo...) {
			if _, ok := v.Topology.Region(r); !ok {
				t.Errorf("%s: region %s is not the environment's", v.Kind, r)
			}
		}
		if p := serviceOf(t, Variant{Service: "payments", Topology: v.Topology}); len(p.Regions) != 3 || p.Mode != topology.ActiveActive {
			t.Errorf("%s changed payments: %v %s", v.Kind, p.Regions, p.Mode)
		}
	}
	if !slices.Equal(kinds, Kinds) {
		t.Errorf("steps %v, want %v", kinds, Kinds)
	}
	if s := prod.Services[0]; len(s.Regions) != 3 || len(s.Backup.CopyTo) != 2 {
		t.Errorf("the loaded topology was written: %v %v", s.Regions, s.Backup.CopyTo)
	}
}

// The fake catalog's bill of prod's shop, worked out by hand from what
// modules/aws plans per region the service runs in: an Auto Scaling group
// at its desired capacity, an Aurora instance per zone (3), a load
// balancer, a backup vault where it runs and in every copy_to region
// (backup and restore's second region holds only its vault); a Route 53
// health check per region; a copy action per copy_to region.
const (
	shopRegion = 4*50 + 3*200 + 20 + 5 // 825: a serving region
	// the standby regions: the pilot light's group at 0, the warm
	// standby's at 2
	pilotRegion = 0*50 + 3*200 + 20 + 5 // 625
	warmRegion  = 2*50 + 3*200 + 20 + 5 // 725

	shopOneRegion = shopRegion + 1                     // 826
	shopBackup    = shopRegion + 1 + fakeCopyPrice + 5 // 839: the copy region's vault
	shopPilot     = shopRegion + pilotRegion + 2 + 8   // 1460
	shopWarm      = shopRegion + warmRegion + 2 + 8    // 1560
	shopActive    = 3*shopRegion + 3 + 2*fakeCopyPrice // 2494
	payments      = 3*(3*50+3*200+20+5) + 3 + 2*8      // 2344, as declared
	nat           = 3 * 3 * 30                         // a NAT gateway per zone of the 3 regions
	declaredTotal = shopActive + payments + nat        // 5108
)

// TestProdShopLadderFigures: the ladder's bills are the hand-worked ones,
// cost grows from one region to active-active, the declared step is
// prod's own, and the estimates are those of the steps' terms.
func TestProdShopLadderFigures(t *testing.T) {
	l, err := Build(context.Background(), loadProd(t), fakeCosting{}, Options{Services: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Services) != 1 || l.Services[0].Service != "shop" || l.RegionTarget == nil || l.RegionTarget.RTO != 2*time.Minute {
		t.Fatalf("ladder %+v", l)
	}
	steps := l.Services[0].Steps
	service := map[Kind]float64{OneRegion: shopOneRegion, BackupRestore: shopBackup, PilotLight: shopPilot, WarmStandby: shopWarm, ActiveActive: shopActive, Declared: shopActive}
	var prev float64
	for i, s := range steps {
		if s.Service != service[s.Kind] {
			t.Errorf("%s: service cost %.2f, want %d by hand", s.Kind, s.Service, int(service[s.Kind]))
		}
		if want := service[s.Kind] + payments + nat; s.Cost != want {
			t.Errorf("%s: bill %.2f, want %.2f", s.Kind, s.Cost, want)
		}
		if want := s.Cost - declaredTotal; s.Delta != want {
			t.Errorf("%s: Δ %.2f, want %.2f", s.Kind, s.Delta, want)
		}
		if i > 0 && s.Kind != Declared && s.Cost <= prev {
			t.Errorf("%s costs %.2f, no more than the step below (%.2f)", s.Kind, s.Cost, prev)
		}
		prev = s.Cost
	}
	by := map[Kind]Step{}
	for _, s := range steps {
		by[s.Kind] = s
	}
	// region loss: one region never recovers; a restore elsewhere is the
	// runbook (50ms) + AWS Backup's restore (30m) + reconnect (30s) +
	// half the 30s TTL, losing half the hourly backup; the pilot light's
	// scale-up is the runbook + an instance's launch (5m); warm standby
	// and active-active promote the replica (hung write 200ms + 1m +
	// 30s), losing the replication lag (1s)
	region := map[Kind][2]time.Duration{
		BackupRestore: {50*time.Millisecond + 30*time.Minute + 30*time.Second + 15*time.Second, 30 * time.Minute},
		PilotLight:    {50*time.Millisecond + 5*time.Minute, time.Second},
		WarmStandby:   {200*time.Millisecond + 90*time.Second, time.Second},
		ActiveActive:  {200*time.Millisecond + 90*time.Second, time.Second},
		Declared:      {200*time.Millisecond + 90*time.Second, time.Second},
	}
	if r := by[OneRegion].Region; !r.Unrecoverable || r.Met == nil || *r.Met {
		t.Errorf("one region, region loss: %+v", r)
	}
	for k, want := range region {
		r := by[k].Region
		if r.Unrecoverable || r.RTO != want[0] || r.RPO != want[1] {
			t.Errorf("%s, region loss: %s/%s (%s), want %s/%s", k, r.RTO, r.RPO, r.How, want[0], want[1])
		}
		met := want[0] <= 2*time.Minute && want[1] <= 5*time.Second
		if r.Met == nil || *r.Met != met {
			t.Errorf("%s, region loss: met %v, want %t", k, r.Met, met)
		}
	}
	for _, s := range steps {
		if s.Zone.Unrecoverable || s.Zone.RTO != 25*time.Second || s.Zone.Met == nil || !*s.Zone.Met {
			t.Errorf("%s, zone loss: %+v", s.Kind, s.Zone)
		}
		if s.Availability <= 0 || s.Availability > s.Own || s.AvailabilityMet == nil {
			t.Errorf("%s: availability %v own %v", s.Kind, s.Availability, s.Own)
		}
	}
	// more redundancy, more of its own availability; a restore elsewhere
	// is one nine more than one region alone, a second region another
	if !(by[OneRegion].Own < by[BackupRestore].Own && by[BackupRestore].Own < by[PilotLight].Own && by[PilotLight].Own < by[WarmStandby].Own) {
		t.Errorf("own availability does not climb: %v %v %v %v", by[OneRegion].Own, by[BackupRestore].Own, by[PilotLight].Own, by[WarmStandby].Own)
	}
	if n := by[OneRegion].NextNine; n == nil || n.Kind != BackupRestore || n.Delta != shopBackup-shopOneRegion || n.Nines != 4 {
		t.Errorf("one region's next nine: %+v", n)
	}
	if n := by[BackupRestore].NextNine; n == nil || n.Kind != PilotLight || n.Delta != shopPilot-shopBackup {
		t.Errorf("backup and restore's next nine: %+v", n)
	}

	var text strings.Builder
	l.WriteText(&text)
	for _, want := range []string{"shop (SLO 99.950%)", "* as declared", "$5,108.00 ($2,494.00)", "-$1,668.00", "never MISSED", "30m45s/30m MISSED", "5m/1s MISSED", "1m30s/1s met", "+$13.00 (backup and restore, 4 nines)", "instance group of 0 instances"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

// TestStepsLeftOut: a service in one region takes only the one-region
// step; one with no database takes no backup-and-restore nor pilot light;
// each left out says why. A local environment's bills are priced as on
// aws, the mapping said.
func TestStepsLeftOut(t *testing.T) {
	src := `
environment "dev" {
  target = "local"
  targets {
    region {
      rto = "1m"
      rpo = "0s"
    }
  }
}
region "east" {
  primary = true
}
region "west" {}
service "api" {
  mode    = "active-active"
  image   = "shop"
  port    = 8080
  regions = ["east"]
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  dns {
    zone = "api.test"
  }
  database {
    engine = "postgres"
  }
}
service "web" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "web.test"
  }
  rollout {
    strategy = "canary"
  }
}
`
	topo, err := (&topology.Loader{}).Load("dev.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	left := func(service string) (kinds []Kind, skipped map[Kind]string) {
		vs, sk, err := Variants(topo, service)
		if err != nil {
			t.Fatal(err)
		}
		skipped = map[Kind]string{}
		for _, v := range vs {
			kinds = append(kinds, v.Kind)
		}
		for _, s := range sk {
			skipped[s.Kind] = s.Why
		}
		return kinds, skipped
	}
	kinds, skipped := left("api")
	if !slices.Equal(kinds, []Kind{OneRegion, Declared}) || len(skipped) != 4 {
		t.Fatalf("api: %v, left out %v", kinds, skipped)
	}
	for k, why := range skipped {
		if !strings.Contains(why, "runs in one region (east)") {
			t.Errorf("api, %s left out: %q", k, why)
		}
	}
	kinds, skipped = left("web")
	if !slices.Equal(kinds, []Kind{OneRegion, WarmStandby, ActiveActive, Declared}) || len(skipped) != 2 ||
		!strings.Contains(skipped[BackupRestore], "keeps no data") || !strings.Contains(skipped[PilotLight], "keeps no data") {
		t.Fatalf("web: %v, left out %v", kinds, skipped)
	}
	vs, _, _ := Variants(topo, "web")
	if s := serviceOf(t, vs[0]); s.Rollout.Strategy != topology.RolloutRolling || s.Mode != topology.ActiveActive {
		t.Errorf("web in one region: rollout %s, mode %s (a canary and a standby need two regions)", s.Rollout.Strategy, s.Mode)
	}
	if _, _, err := Variants(topo, "nope"); err == nil {
		t.Error("no error for an unknown service")
	}

	l, err := Build(context.Background(), topo, fakeCosting{}, Options{Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Mapping["east"] != "us-east-1" || len(l.Services) != 1 || len(l.Services[0].Skipped) != 2 {
		t.Fatalf("ladder of dev: mapping %v, %+v", l.Mapping, l.Services)
	}
	var text strings.Builder
	l.WriteText(&text)
	for _, want := range []string{"priced as on aws, regions mapped: east → us-east-1, west → us-west-2", "left out: pilot light: service web keeps no data"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

// TestReduceStandbyPlansTheStandbyGroup: the plans the bill prices have
// the pilot light's standby group at 0 instances and the warm standby's
// at 2, the primary's as declared (4).
func TestReduceStandbyPlansTheStandbyGroup(t *testing.T) {
	var seen []map[string][2]float64
	_, err := Build(context.Background(), loadProd(t), recordingCosting{seen: &seen}, Options{Services: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(Kinds) {
		t.Fatalf("%d plans priced", len(seen))
	}
	want := map[Kind]map[string][2]float64{
		OneRegion:   {"prod.us-east-1": {3, 4}},
		PilotLight:  {"prod.us-east-1": {3, 4}, "prod.us-west-2": {0, 0}},
		WarmStandby: {"prod.us-east-1": {3, 4}, "prod.us-west-2": {2, 2}},
		Declared:    {"prod.us-east-1": {3, 4}, "prod.us-west-2": {3, 4}, "prod.eu-west-1": {3, 4}},
	}
	for i, k := range Kinds {
		if w, ok := want[k]; ok && !maps.Equal(seen[i], w) {
			t.Errorf("%s: shop's groups (min, desired) %v, want %v", k, seen[i], w)
		}
	}
}

// recordingCosting records each plan's shop groups (min, desired) per
// stack as it prices them.
type recordingCosting struct {
	fakeCosting
	seen *[]map[string][2]float64
}

func (r recordingCosting) Estimate(t *topology.Topology, p *plan.Plan) (Bill, error) {
	groups := map[string][2]float64{}
	for _, s := range p.Stacks {
		for _, res := range s.Resources {
			if res.Type == "aws:autoscaling/group:Group" && res.Name == "shop" {
				groups[s.Stack] = [2]float64{res.Inputs["minSize"].(float64), res.Inputs["desiredCapacity"].(float64)}
			}
		}
	}
	*r.seen = append(*r.seen, groups)
	return r.fakeCosting.Estimate(t, p)
}

// TestSVGHoldsAPointPerStep: the picture parses as XML, holds one point
// per step of each service, rings the declared one and draws the target.
func TestSVGHoldsAPointPerStep(t *testing.T) {
	l, err := Build(context.Background(), loadProd(t), fakeCosting{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	svg := l.SVG("prod")
	dec := xml.NewDecoder(strings.NewReader(svg))
	points := map[string][]string{}
	service, targets := "", 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range el.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch {
		case el.Name.Local == "g" && attr["class"] == "service":
			service = attr["data-service"]
		case el.Name.Local == "circle" && attr["class"] == "point":
			points[service] = append(points[service], attr["data-variant"])
		case el.Name.Local == "line" && attr["class"] == "target":
			targets++
		}
	}
	for _, sl := range l.Services {
		var want []string
		for _, s := range sl.Steps {
			want = append(want, string(s.Kind))
		}
		if !slices.Equal(points[sl.Service], want) {
			t.Errorf("%s: points %v, want %v", sl.Service, points[sl.Service], want)
		}
	}
	if targets != len(l.Services) || !strings.Contains(svg, "log scale") || !strings.Contains(svg, "as declared · 1m30s") {
		t.Errorf("targets drawn %d, want %d; or no log scale, or no declared label", targets, len(l.Services))
	}
}
