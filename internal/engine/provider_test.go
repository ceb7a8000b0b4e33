package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// A binary that is its own provider plugin gets the local target's plugin
// folder pointed at a link to itself below the engine's home, whatever
// folder was found; other plugins and other targets are left alone.
func TestProvideFromExecutable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	other := workspace.PluginOptions{Name: "other", Path: "/other"}
	found := []workspace.PluginOptions{other, {Name: ProviderPackage, Path: "/found/bin"}}

	home := t.TempDir()
	cfg := Config{Home: home, PluginPaths: found}
	if err := cfg.provideFromExecutable(); err != nil {
		t.Fatal(err)
	}
	if cfg.PluginPaths[1].Path != "/found/bin" {
		t.Fatalf("without ProvideFromExecutable the found folder was replaced: %v", cfg.PluginPaths)
	}

	selfProvider.Store(true)
	t.Cleanup(func() { selfProvider.Store(false) })
	if dir, err := FindProvider(t.TempDir()); err != nil || dir != filepath.Dir(exe) {
		t.Errorf("FindProvider = %q, %v; want the executable's folder %s", dir, err, filepath.Dir(exe))
	}
	if err := cfg.provideFromExecutable(); err != nil {
		t.Fatal(err)
	}
	dir := cfg.PluginPaths[1].Path
	if rel, err := filepath.Rel(home, dir); err != nil || !filepath.IsLocal(rel) {
		t.Fatalf("the plugin folder %s is not below the engine's home %s", dir, home)
	}
	if target, err := os.Readlink(filepath.Join(dir, ProviderName)); err != nil || target != exe {
		t.Fatalf("%s -> %q (%v), want the running executable %s", ProviderName, target, err, exe)
	}
	if cfg.PluginPaths[0] != other || found[1].Path != "/found/bin" {
		t.Errorf("other plugins, or the caller's slice, changed: %v, %v", cfg.PluginPaths, found)
	}

	// a link left pointing elsewhere (another file once at that path) is
	// replaced; a second runner reuses the folder
	link := filepath.Join(dir, ProviderName)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/elsewhere", link); err != nil {
		t.Fatal(err)
	}
	again := Config{Home: home, PluginPaths: found}
	if err := again.provideFromExecutable(); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(link); again.PluginPaths[1].Path != dir || target != exe {
		t.Errorf("second runner: folder %s, link -> %q; want %s -> %s", again.PluginPaths[1].Path, target, dir, exe)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the plugin folder holds %d entries, want the link alone", len(entries))
	}

	// an environment of another target has no local plugin folder
	aws := Config{Home: home, PluginPaths: []workspace.PluginOptions{other}}
	if err := aws.provideFromExecutable(); err != nil || len(aws.PluginPaths) != 1 || aws.PluginPaths[0] != other {
		t.Errorf("another target's plugins: %v, %v", aws.PluginPaths, err)
	}
}
