package engine

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// writeFile writes a file, its folder made.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// What a preview reads besides its program changes with each of its
// parts: a stack's state, the state of a stack it reads, a provider
// plugin rebuilt (a new file in its place), the engine's CLI rebuilt, the
// stack's settings, the engine's environment. A backend other than a file
// backend, or a stack without state, cannot be read without the engine.
func TestPreviewInputsChangeWithWhatThePreviewReads(t *testing.T) {
	dir := t.TempDir()
	backend := filepath.Join(dir, "backend")
	plugins := filepath.Join(dir, "plugins")
	r := &Runner{cfg: Config{
		Project: "p", Backend: "file://" + backend, PulumiRoot: dir, WorkDir: filepath.Join(dir, "work"),
		PluginPaths: []workspace.PluginOptions{{Name: ProviderPackage, Path: plugins}},
		Env:         map[string]string{"BULWARK_STATE_DIR": dir},
	}}
	state := func(stack string) string { return r.stateFile(backend, stack, ".json") }
	writeFile(t, state("e.east"), `{"version":3}`)
	writeFile(t, state("e.global"), `{"version":3,"a":1}`)
	writeFile(t, filepath.Join(dir, "bin", "pulumi"), "cli v1")
	writeFile(t, filepath.Join(plugins, ProviderName), "plugin v1")

	read := func() PreviewInputs {
		t.Helper()
		in, err := r.PreviewInputs("e.global", []string{"e.east"})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	same := func(a, b PreviewInputs) bool {
		return slices.Equal(a.Builds, b.Builds) && string(a.Settings) == string(b.Settings) &&
			len(a.States) == len(b.States) && a.States["e.east"] == b.States["e.east"] && a.States["e.global"] == b.States["e.global"]
	}
	before := read()
	if !same(before, read()) {
		t.Fatal("two reads of nothing changed differ")
	}
	changes := []struct {
		name string
		do   func()
	}{
		{"the stack's state", func() { writeFile(t, state("e.global"), `{"version":3,"a":2}`) }},
		{"the state of a stack it reads", func() { writeFile(t, state("e.east"), `{"version":3,"b":1}`) }},
		{"a rebuilt provider plugin", func() {
			p := filepath.Join(plugins, ProviderName)
			writeFile(t, p+".new", "plugin v2")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}},
		{"a rebuilt CLI", func() { writeFile(t, filepath.Join(dir, "bin", "pulumi"), "cli v2, longer") }},
		{"the stack's settings", func() {
			writeFile(t, filepath.Join(dir, "work", "p", "e.global", "Pulumi.e.global.yaml"), "config: {}\n")
		}},
		{"the engine's environment", func() { r.cfg.Env["GOGC"] = "50" }},
	}
	for _, c := range changes {
		prev := read()
		c.do()
		if same(prev, read()) {
			t.Errorf("after changing %s, the preview's inputs read the same", c.name)
		}
	}

	if _, err := r.PreviewInputs("e.west", nil); !errors.Is(err, ErrNoPreviewInputs) {
		t.Errorf("a stack without state: %v, want ErrNoPreviewInputs", err)
	}
	s3 := &Runner{cfg: Config{Project: "p", Backend: "s3://bucket/prefix"}}
	if _, err := s3.PreviewInputs("e.global", nil); !errors.Is(err, ErrNoPreviewInputs) {
		t.Errorf("an s3 backend: %v, want ErrNoPreviewInputs", err)
	}
}
