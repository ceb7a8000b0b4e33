package envgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Size is an environment's shape.
type Size struct {
	Regions  int
	Services int
}

func (s Size) String() string { return fmt.Sprintf("%dx%d", s.Regions, s.Services) }

// Name is the environment's name for a size: gen-3x20.
func (s Size) Name() string { return "gen-" + s.String() }

// Source returns the HCL of a local environment of that size: regions r1..rN
// (r1 primary), services s1..sM in every region, every third with a database.
func Source(s Size) string {
	var b strings.Builder
	fmt.Fprintf(&b, "environment %q {\n  target = \"local\"\n}\n", s.Name())
	for r := 1; r <= s.Regions; r++ {
		fmt.Fprintf(&b, "region \"r%d\" {\n  primary = %v\n}\n", r, r == 1)
	}
	for i := 1; i <= s.Services; i++ {
		mode := "active-active"
		if s.Regions > 1 && i%2 == 0 {
			mode = "hot-standby"
		}
		fmt.Fprintf(&b, "service \"s%d\" {\n  mode  = %q\n  image = \"shop\"\n  port  = %d\n", i, mode, 20000+i)
		b.WriteString("  capacity {\n    min     = 2\n    desired = 2\n    max     = 4\n  }\n")
		fmt.Fprintf(&b, "  dns {\n    zone = \"s%d.test\"\n  }\n", i)
		if i%3 == 0 {
			b.WriteString("  database {\n    engine = \"postgres\"\n  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// WriteProject writes a scratch project into dir (Pulumi.yaml, images/shop,
// one environment per size) and returns each environment's path.
func WriteProject(dir string, sizes ...Size) ([]string, error) {
	for _, d := range []string{"environments", filepath.Join("images", "shop")} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: bench\nruntime: go\n"), 0o644); err != nil {
		return nil, err
	}
	var paths []string
	for _, s := range sizes {
		p := filepath.Join(dir, "environments", s.Name()+".hcl")
		if err := os.WriteFile(p, []byte(Source(s)), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
