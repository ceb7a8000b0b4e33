package topology

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

const usageEnv = `environment "u" {
  target = "local"
  prices = "my/prices"
  usage {
    requests_per_month = 5000000
    lcu                = 2.5
  }
}
region "east" {}
service "a" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  dns {
    zone = "a.test"
  }
  usage {
    lcu         = 4
    database_gb = 100
  }
}
service "b" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  dns {
    zone = "b.test"
  }
}
`

func TestUsage(t *testing.T) {
	topo, err := (&Loader{Root: "/proj"}).Load("u.hcl", []byte(usageEnv))
	if err != nil {
		t.Fatal(err)
	}
	if topo.Environment.Prices != filepath.Join("/proj", "my", "prices") || topo.Environment.PricesRange == nil || topo.Environment.PricesRange.Start.Line != 3 {
		t.Errorf("prices = %q at %v", topo.Environment.Prices, topo.Environment.PricesRange)
	}
	a, b := topo.Services[0].Usage, topo.Services[1].Usage
	// a: its own lcu and database_gb, the environment's requests, the default backup_gb (40)
	if a.LCU != 4 || a.DatabaseGB != 100 || a.RequestsPerMonth != 5e6 || a.BackupGB != 40 ||
		a.Source("lcu") != UsageService || a.Source("requests_per_month") != UsageEnvironment || a.Source("backup_gb") != UsageDefault {
		t.Errorf("a's usage = %+v", a)
	}
	// b: the environment's lcu 2.5 and requests, the default database_gb (20)
	if b.LCU != 2.5 || b.DatabaseGB != 20 || b.RequestsPerMonth != 5e6 || b.Source("lcu") != UsageEnvironment || b.Source("database_gb") != UsageDefault {
		t.Errorf("b's usage = %+v", b)
	}
	if topo.Environment.Usage.LCU != 2.5 {
		t.Errorf("environment usage = %+v", topo.Environment.Usage)
	}

	// no usage, no prices: the defaults, the project's pricing/aws
	bare := strings.NewReplacer("  prices = \"my/prices\"\n", "", "    requests_per_month = 5000000\n    lcu                = 2.5\n", "").Replace(usageEnv)
	topo, err = (&Loader{Root: "/proj"}).Load("u.hcl", []byte(bare))
	if err != nil {
		t.Fatal(err)
	}
	if topo.Environment.Prices != filepath.Join("/proj", "pricing", "aws") || topo.Environment.PricesRange != nil ||
		topo.Services[1].Usage.RequestsPerMonth != 10e6 || topo.Services[1].Usage.Source("requests_per_month") != UsageDefault {
		t.Errorf("defaults: prices %q, usage %+v", topo.Environment.Prices, topo.Services[1].Usage)
	}
}

// TestUsageDiagnostics: a bad figure is an error at its line.
func TestUsageDiagnostics(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"lcu         = 4", "lcu         = -1", "lcu must be a number of LCU, at least 0"},
		{"lcu         = 4", `lcu         = "lots"`, "lcu must be a number"},
		{"lcu         = 4", "lcu         = 1e20", "lcu must be at most"},
		{"lcu         = 4", "lcus        = 4", "Unsupported argument"},
		{"requests_per_month = 5000000", "requests_per_month = -5", "requests_per_month must be a number of requests, at least 0"},
		{`prices = "my/prices"`, `prices = ""`, "prices must name a folder"},
	} {
		src := strings.Replace(usageEnv, c.from, c.to, 1)
		_, err := (&Loader{Root: "/proj"}).Load("u.hcl", []byte(src))
		var de *DiagnosticsError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.to, err, c.want)
			continue
		}
		line := 0
		for i, l := range strings.Split(src, "\n") {
			if strings.Contains(l, c.to) {
				line = i + 1
			}
		}
		if got := de.Diags[0].Subject.Start.Line; got != line {
			t.Errorf("%s: at line %d, want %d", c.to, got, line)
		}
	}
}
