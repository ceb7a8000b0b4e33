package local_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

const env = `
environment "m" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
region "north" {}
service "aa" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 1
    desired = 2
    max     = 3
  }
  health {
    path     = "/up"
    interval = "2s"
  }
  scaling {
    target_requests = 50
    cooldown        = "10s"
  }
  dns {
    zone = "aa.test"
    ttl  = 7
  }
  database {
    engine      = "postgres"
    replication = "sync"
  }
  backup {
    every   = "30m"
    keep    = "7d"
    copy_to = ["west", "north"]
  }
}
service "hs" {
  mode    = "hot-standby"
  image   = "shop"
  port    = 9090
  regions = ["west", "east"]
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns {
    zone = "hs.test"
    name = "api"
  }
  rollout {
    strategy = "blue-green"
    bake     = "20s"
  }
  parameters = {
    LOG_LEVEL = "debug"
    GREETING  = "hello"
  }
}
`

// graph plans the environment (under Pulumi mocks) and indexes resources by stack, type and name.
func graph(t *testing.T) map[string]plan.Resource {
	t.Helper()
	l := &topology.Loader{}
	topo, err := l.Load("../../environments/m.hcl", []byte(env)) // its project is the repository
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]plan.Resource{}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			out[fmt.Sprintf("%s %s %s", s.Stack, r.Type, r.Name)] = r
		}
	}
	return out
}

func TestRegionResources(t *testing.T) {
	g := graph(t)
	group := g["m.east bulwark:local:InstanceGroup aa"]
	if group.Inputs["desired"] != float64(2) || group.Inputs["port"] != float64(8080) || group.Inputs["zones"] != float64(3) {
		t.Errorf("group inputs = %v", group.Inputs)
	}
	health, _ := group.Inputs["health"].(map[string]any)
	if health["path"] != "/up" || health["intervalMs"] != float64(2000) || health["unhealthyAfter"] != float64(topology.DefaultUnhealthyAfter) {
		t.Errorf("health = %v", health)
	}
	if group.Inputs["targetRequests"] != float64(50) || group.Inputs["cooldownMs"] != float64(10000) {
		t.Errorf("scaling inputs = %v", group.Inputs)
	}
	if got := group.Inputs["databaseRegions"]; !reflect.DeepEqual(got, []any{"east", "west", "north"}) {
		t.Errorf("databaseRegions = %v, want the primary first", got)
	}
	for _, region := range []string{"east", "west", "north"} {
		db, ok := g["m."+region+" bulwark:local:Database aa"]
		if !ok {
			t.Fatalf("no database member in %s", region)
		}
		if db.Inputs["primary"] != "east" || db.Inputs["replication"] != "sync" {
			t.Errorf("%s database = %v", region, db.Inputs)
		}
		if !reflect.DeepEqual(db.Inputs["replicas"], []any{"west", "north"}) {
			t.Errorf("%s replicas = %v", region, db.Inputs["replicas"])
		}
	}
	plan, ok := g["m.east bulwark:local:BackupPlan aa"]
	if !ok || plan.Inputs["everySeconds"] != float64(1800) || plan.Inputs["keepSeconds"] != float64(7*86400) ||
		!reflect.DeepEqual(plan.Inputs["vaults"], []any{"west", "north"}) || plan.Inputs["primary"] != "east" {
		t.Errorf("backup plan in the primary region = %v (%v)", plan.Inputs, ok)
	}
	if _, ok := g["m.west bulwark:local:BackupPlan aa"]; ok {
		t.Error("a backup plan outside the primary region")
	}
	if _, ok := g["m.north bulwark:local:InstanceGroup hs"]; ok {
		t.Error("hs runs in north, which it does not name")
	}
	if _, ok := g["m.west bulwark:local:Database hs"]; ok {
		t.Error("hs has no database block, yet has a database")
	}
	// a region's databases each listen at their service's port
	if db := g["m.east bulwark:local:Database aa"]; db.Inputs["port"] != float64(8080) || group.Inputs["databasePort"] != float64(8080) {
		t.Errorf("database port %v, the group's %v; want the service's 8080", db.Inputs["port"], group.Inputs["databasePort"])
	}
	// parameters: in the store of each region of the service, the group
	// carrying their digest so a change replaces its instances
	for _, region := range []string{"east", "west"} {
		for name, value := range map[string]string{"LOG_LEVEL": "debug", "GREETING": "hello"} {
			p, ok := g["m."+region+" bulwark:local:Parameter hs-"+name]
			if !ok || p.Inputs["value"] != value || p.Inputs["service"] != "hs" || p.Inputs["region"] != region || p.Inputs["name"] != name {
				t.Errorf("parameter %s in %s = %v (%v)", name, region, p.Inputs, ok)
			}
		}
		vars, _ := g["m."+region+" bulwark:local:InstanceGroup hs"].Inputs["vars"].(map[string]any)
		if d, _ := vars["BULWARK_PARAMETERS_DIGEST"].(string); len(d) != 16 {
			t.Errorf("hs's group in %s carries vars %v, want the parameters' digest", region, vars)
		}
	}
	if _, ok := g["m.north bulwark:local:Parameter hs-GREETING"]; ok {
		t.Error("a parameter in north, where hs does not run")
	}
	if _, ok := group.Inputs["vars"]; ok {
		t.Errorf("aa has no parameters, yet its group has vars %v", group.Inputs["vars"])
	}
	img := g["m.west bulwark:local:Image hs"]
	if d, _ := img.Inputs["sourceDigest"].(string); len(d) != len("sha256:")+64 {
		t.Errorf("image source digest = %q", d)
	}
}

func TestGlobalDNS(t *testing.T) {
	g := graph(t)
	if _, ok := g["m.global bulwark:local:DnsServer m"]; !ok {
		t.Fatal("no DNS server in the global stack")
	}
	aa := g["m.global bulwark:local:DnsRecord aa"]
	if aa.Inputs["zone"] != "aa.test" || aa.Inputs["name"] != "@" || aa.Inputs["ttl"] != float64(7) || aa.Inputs["healthPath"] != "/up" || aa.Inputs["port"] != float64(8080) {
		t.Errorf("aa record = %v", aa.Inputs)
	}
	// under mocks the regions' endpoints are unknown; the shape still shows:
	// one set of every region for active-active, one set per region, primary first, for hot-standby
	if sets, _ := aa.Inputs["targets"].([]any); len(sets) != 1 || len(sets[0].([]any)) != 3 {
		t.Errorf("active-active targets = %v", aa.Inputs["targets"])
	}
	hs := g["m.global bulwark:local:DnsRecord hs"]
	if sets, _ := hs.Inputs["targets"].([]any); len(sets) != 2 || len(sets[0].([]any)) != 1 {
		t.Errorf("hot-standby targets = %v", hs.Inputs["targets"])
	}
}

// A blue-green service's groups switch whole sets, and their load balancers
// balance both slot ranges; others roll instance by instance.
func TestBlueGreenInputs(t *testing.T) {
	g := graph(t)
	hs, hsLB := g["m.west bulwark:local:InstanceGroup hs"], g["m.west bulwark:local:LoadBalancer hs"]
	if hs.Inputs["blueGreen"] != true || hs.Inputs["bakeMs"] != float64(20000) || hsLB.Inputs["blueGreen"] != true {
		t.Errorf("blue-green group %v, balancer %v", hs.Inputs, hsLB.Inputs)
	}
	aa, aaLB := g["m.east bulwark:local:InstanceGroup aa"], g["m.east bulwark:local:LoadBalancer aa"]
	if _, ok := aa.Inputs["blueGreen"]; ok || aaLB.Inputs["blueGreen"] != nil {
		t.Errorf("a rolling group has blue-green inputs: %v %v", aa.Inputs, aaLB.Inputs)
	}
}
