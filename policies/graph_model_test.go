package policies

import (
	"strings"
	"testing"
	"time"
)

// twoServices: checkout needs payments (which needs a card network
// reachable from east only) and reads recommendations softly.
const twoServices = `
environment "graph" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
external "cardnet" {
  availability = "99.9%"
  regions      = ["east"]
}
service "checkout" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    interval        = "1s"
    unhealthy_after = 1
  }
  dns {
    zone = "checkout.test"
    ttl  = 1
  }
  slo {
    availability = "99.99%"
  }
  depends_on "payments" {
    need    = "hard"
    timeout = "1s"
    tries   = 3
  }
  depends_on "recommendations" {
    need       = "soft"
    on_failure = "serve-cached"
  }
}
service "payments" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    interval        = "1s"
    unhealthy_after = 1
  }
  dns {
    zone = "payments.test"
    ttl  = 5
  }
  depends_on "cardnet" {
    need    = "hard"
    timeout = "2s"
    tries   = 2
  }
}
service "recommendations" {
  mode    = "active-active"
  image   = "shop"
  port    = 8082
  regions = ["east"]
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "recommendations.test"
    ttl  = 1
  }
}
`

// The graph policies report with the path and the line of the dependency
// that starts it.
func TestGraphPoliciesFindAndPointAtTheLine(t *testing.T) {
	m, cfg := model(t, "graph", twoServices)
	results := Evaluate(m, cfg)
	spof := findings(results, "hidden-single-point")
	var msgs []string
	for _, f := range spof {
		msgs = append(msgs, f.Location()+" "+f.Message)
	}
	all := strings.Join(msgs, "\n")
	// checkout → payments → cardnet, declared at checkout's depends_on
	// "payments" (line 33); payments → cardnet at line 60
	for _, want := range []string{
		"graph.hcl:33 checkout needs cardnet (checkout → payments → cardnet), which cannot be reached from west",
		"graph.hcl:60 payments needs cardnet (payments → cardnet), which cannot be reached from west",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("hidden single points lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "recommendations") {
		t.Errorf("a soft dependency was flagged:\n%s", all)
	}
	// checkout waits 1s for payments, whose calls to cardnet may take 2 × 2s
	storms := findings(results, "retry-storm")
	if len(storms) != 1 || !strings.Contains(storms[0].Message, "checkout → payments → cardnet: checkout waits 1s for payments, whose own calls to cardnet may take 4s") ||
		storms[0].Location() != "../environments/graph.hcl:60" {
		t.Errorf("retry storms: %+v", storms)
	}
	// 99.99% promised; cardnet alone is 99.9%
	slo := findings(results, "slo-achievable")
	if len(slo) != 1 || slo[0].Service != "checkout" || !strings.Contains(slo[0].Message, "below its slo's 99.990%") || !strings.Contains(slo[0].Message, "cardnet 99.900%") {
		t.Errorf("slo-achievable: %+v", slo)
	}
}

// A service is back when what it needs is: checkout's region loss waits
// for payments', whose clients keep a 5 s answer (0.5 s to the next check
// + 2.5 s, half the TTL) against checkout's own 0.5 s + 0.5 s.
func TestRecoveryWaitsForWhatIsNeeded(t *testing.T) {
	m, _ := model(t, "graph", twoServices)
	a := Assess(m)
	checkout, ok := a.For("checkout", ScenarioRegionLoss, "west")
	if !ok {
		t.Fatal("no estimate of checkout's region loss of west")
	}
	if checkout.RTO != 3*time.Second || !strings.Contains(checkout.RTOHow, "needs payments (checkout → payments)") {
		t.Errorf("checkout's region loss: %s, %s", checkout.RTO, checkout.RTOHow)
	}
	// recommendations is soft: its loss of east (it runs nowhere else) is
	// unrecoverable, and checkout does not wait for it
	if e, _ := a.For("checkout", ScenarioRegionLoss, "east"); e.Unrecoverable {
		t.Errorf("checkout's region loss of east unrecoverable through a soft dependency: %s", e.RTOHow)
	}
}
