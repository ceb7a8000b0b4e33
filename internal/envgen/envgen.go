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
	// Parameters each service has (P1..Pn).
	Parameters int
	// Light environments run one instance per service and no database:
	// their weight is their resources, not the programs those start.
	Light bool
}

// String is 3x20, 3x20p20 with parameters, 3x20p20-light when light.
func (s Size) String() string {
	out := fmt.Sprintf("%dx%d", s.Regions, s.Services)
	if s.Parameters > 0 {
		out += fmt.Sprintf("p%d", s.Parameters)
	}
	if s.Light {
		out += "-light"
	}
	return out
}

// Name is the environment's name for a size: gen-3x20.
func (s Size) Name() string { return "gen-" + s.String() }

// Source returns the HCL of a local environment of that size: regions r1..rN
// (r1 primary), services s1..sM in every region, every third with a
// database unless the size is light.
func Source(s Size) string {
	var b strings.Builder
	fmt.Fprintf(&b, "environment %q {\n  target = \"local\"\n}\n", s.Name())
	if s.Light {
		// one instance per service is what makes it light: said so, for the
		// policies that would refuse it
		b.WriteString("policy \"min-capacity\" {\n  enforcement = \"advisory\"\n}\npolicy \"zone-spread\" {\n  enforcement = \"advisory\"\n}\n")
	}
	for r := 1; r <= s.Regions; r++ {
		fmt.Fprintf(&b, "region \"r%d\" {\n  primary = %v\n}\n", r, r == 1)
	}
	for i := 1; i <= s.Services; i++ {
		mode := "active-active"
		if s.Regions > 1 && i%2 == 0 {
			mode = "hot-standby"
		}
		fmt.Fprintf(&b, "service \"s%d\" {\n  mode  = %q\n  image = \"shop\"\n  port  = %d\n", i, mode, 20000+i)
		if s.Light {
			b.WriteString("  capacity {\n    min     = 1\n    desired = 1\n    max     = 2\n  }\n")
		} else {
			b.WriteString("  capacity {\n    min     = 2\n    desired = 2\n    max     = 4\n  }\n")
		}
		fmt.Fprintf(&b, "  dns {\n    zone = \"s%d.test\"\n  }\n", i)
		if s.Parameters > 0 {
			b.WriteString("  parameters = {\n")
			for p := 1; p <= s.Parameters; p++ {
				fmt.Fprintf(&b, "    P%d = \"v1\"\n", p)
			}
			b.WriteString("  }\n")
		}
		if i%3 == 0 && !s.Light {
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
