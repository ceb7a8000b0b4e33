package topology

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// depends_on and external blocks read as written, with the defaults.
func TestLoadDependencies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deps.hcl")
	src := `environment "dev" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
external "cardnet" {
  availability = "99.95%"
  regions      = ["east"]
}
service "payments" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 2
  }
  dns { zone = "payments.test" }
  depends_on "cardnet" {
    need    = "hard"
    timeout = "800ms"
    tries   = 2
    backoff = "100ms"
  }
}
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
  write_queue { paths = ["/orders"] }
  depends_on "payments" {
    need       = "soft"
    on_failure = "queue-writes"
  }
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	topo, err := (&Loader{Images: testImages}).LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Externals) != 1 || topo.Externals[0].Name != "cardnet" || topo.Externals[0].Availability != 0.9995 || len(topo.Externals[0].Regions) != 1 {
		t.Errorf("externals: %+v", topo.Externals)
	}
	pay := topo.Services[0].Dependencies
	if len(pay) != 1 || pay[0].On != "cardnet" || !pay[0].External || pay[0].Need != NeedHard || pay[0].Timeout != 800*time.Millisecond ||
		pay[0].Tries != 2 || pay[0].Backoff != 100*time.Millisecond || pay[0].OnFailure != FailRequest || pay[0].DeclRange.Start.Line != 22 {
		t.Errorf("payments' dependency: %+v", pay)
	}
	// 800ms × 2 + 100ms
	if b := pay[0].Budget(); b != 1700*time.Millisecond {
		t.Errorf("budget %s, want 1.7s", b)
	}
	shop := topo.Services[1].Dependencies
	if len(shop) != 1 || shop[0].On != "payments" || shop[0].External || shop[0].Need != NeedSoft || shop[0].Timeout != DefaultDependencyTimeout ||
		shop[0].Tries != 1 || shop[0].OnFailure != QueueWrites {
		t.Errorf("shop's dependency: %+v", shop)
	}
}
