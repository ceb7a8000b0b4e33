package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// selfProvider says the running executable is also the local target's
// provider plugin (ProvideFromExecutable).
var selfProvider atomic.Bool

// ProvideFromExecutable declares that the running executable is also the
// local target's provider plugin: run under the plugin's name
// (ProviderName) it serves the provider, as the bulwark binary does. From
// then on FindProvider needs no plugin on disk, and New runs the plugin as
// this very file, so the CLI, the plugin and the control plane either of
// them starts are one build, however the executable was built (make build,
// go build, go install). The bulwark binary's main calls it once, before
// anything else; a test binary never does, and finds the plugin in bin/.
func ProvideFromExecutable() { selfProvider.Store(true) }

// provideFromExecutable points the local target's plugin folder at a link
// to the running executable, when it is its own plugin; other plugin
// folders, and environments of other targets, are left as they are.
func (cfg *Config) provideFromExecutable() error {
	if !selfProvider.Load() {
		return nil
	}
	i := slices.IndexFunc(cfg.PluginPaths, func(p workspace.PluginOptions) bool { return p.Name == ProviderPackage })
	if i < 0 {
		return nil
	}
	if cfg.Home == "" {
		return fmt.Errorf("%w: no engine home (Config.Home) to link the running executable into", ErrNoProvider)
	}
	dir, err := linkExecutable(filepath.Join(cfg.Home, "bulwark-provider"))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoProvider, err)
	}
	paths := slices.Clone(cfg.PluginPaths)
	paths[i].Path = dir
	cfg.PluginPaths = paths
	return nil
}

// linkExecutable makes the running executable the provider plugin in a
// folder below root, one per executable path: ProviderName there is a
// symbolic link to the executable, since the engine looks a plugin up by
// its name in a folder, and the plugin serves when run under that name.
// The link follows the file, so an executable rebuilt in place is linked
// by the same folder; a link that points elsewhere is replaced atomically,
// so runs of one executable side by side share the folder safely.
func linkExecutable(root string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("the running executable: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", fmt.Errorf("the running executable: %w", err)
	}
	sum := sha256.Sum256([]byte(exe))
	dir := filepath.Join(root, hex.EncodeToString(sum[:8]))
	link := filepath.Join(dir, ProviderName)
	if target, err := os.Readlink(link); err == nil && target == exe {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("link the provider plugin: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d", link, os.Getpid())
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("link the provider plugin: %w", err)
	}
	if err := os.Symlink(exe, tmp); err != nil {
		return "", fmt.Errorf("link the provider plugin: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("link the provider plugin: %w", err)
	}
	return dir, nil
}
