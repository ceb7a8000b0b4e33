package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

func writeProject(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte("name: shopco\nruntime: go\n"), 0o644))
	must(os.MkdirAll(filepath.Join(root, "environments"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "images", "shop"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "deep", "er"), 0o755))
	env := "environment \"dev\" {\n  target = \"local\"\n}\nregion \"east\" {}\nservice \"s\" {\n  mode = \"active-active\"\n  image = \"%s\"\n  port = 1\n  capacity {\n    min = 1\n    desired = 1\n    max = 1\n  }\n  dns { zone = \"s.test\" }\n}\n"
	must(os.WriteFile(filepath.Join(root, "environments", "dev.hcl"), []byte(strings.ReplaceAll(env, "%s", "shop")), 0o644))
	must(os.WriteFile(filepath.Join(root, "environments", "bad.hcl"), []byte(strings.ReplaceAll(env, "%s", "ghost")), 0o644))
	return root
}

func TestFindWalksUp(t *testing.T) {
	root := writeProject(t)
	p, err := Find(filepath.Join(root, "deep", "er"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Root != root || p.Name != "shopco" {
		t.Errorf("project = %+v", p)
	}
	if _, err := Find(t.TempDir()); !errors.Is(err, ErrNoProject) {
		t.Errorf("err = %v, want ErrNoProject", err)
	}
}

func TestEnvironmentPath(t *testing.T) {
	root := writeProject(t)
	p, _ := Find(root)
	if got, err := p.EnvironmentPath("dev"); err != nil || got != filepath.Join(root, "environments", "dev.hcl") {
		t.Errorf("by name: %q, %v", got, err)
	}
	byPath := filepath.Join(root, "environments", "dev.hcl")
	if got, err := p.EnvironmentPath(byPath); err != nil || got != byPath {
		t.Errorf("by path: %q, %v", got, err)
	}
	if _, err := p.EnvironmentPath("prod"); !errors.Is(err, ErrNoEnvironment) {
		t.Errorf("missing: %v", err)
	}
	if _, err := p.LoadEnvironment("dev"); err != nil {
		t.Errorf("load dev: %v", err)
	}
	if _, err := p.LoadEnvironment("bad"); !errors.Is(err, topology.ErrInvalid) {
		t.Errorf("load bad (unknown image): %v", err)
	}
}

func TestStateDir(t *testing.T) {
	t.Setenv("BULWARK_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if d, _ := StateDir(); d != "/x/state/bulwark" {
		t.Errorf("XDG: %q", d)
	}
	t.Setenv("BULWARK_STATE_DIR", "/y")
	if d, _ := StateDir(); d != "/y" {
		t.Errorf("override: %q", d)
	}
	t.Setenv("BULWARK_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/z")
	if d, _ := StateDir(); d != "/home/z/.local/state/bulwark" {
		t.Errorf("default: %q", d)
	}
}
