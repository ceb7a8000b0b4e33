package engine

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// ErrNoPreviewInputs is returned by PreviewInputs when a preview's inputs
// cannot all be read without the engine: the backend is not a file
// backend, a stack has no state yet (or a compressed one), or a build
// cannot be identified.
var ErrNoPreviewInputs = errors.New("a preview's inputs cannot be read without the engine")

// PreviewInputs is what an engine preview of a stack reads besides its
// program's requests, as read now: a preview compares the program's
// requests with the stack's state through the provider, with the engine's
// settings, so when none of these and none of the requests changed, a
// preview finds what it found before.
type PreviewInputs struct {
	// Builds identify the programs that take part: the running executable
	// (the inline program, and the local target's provider plugin, which
	// is that same file), the engine's CLI, and each provider plugin the
	// engine is pointed at. Each is the file's path, device, inode, size,
	// modification and change times: a rebuilt or replaced file changes
	// its inode or change time, which no tool sets back.
	Builds []string
	// States are the SHA-256 of each stack's state file the preview reads:
	// the stack's own and those whose outputs its program reads.
	States map[string][sha256.Size]byte
	// Settings are the engine's settings for the stack: the project, the
	// backend, the secrets provider, the extra environment, and the
	// stack's settings file (its configuration and encryption salt).
	Settings []byte
	// Passphrase decrypts the stack's secrets; a receipt takes it in
	// through a key derivation as costly as the engine's, never as is.
	Passphrase string
}

// PreviewInputs reads what a preview of stack reads besides its program's
// requests (see PreviewInputs), reads naming the stacks whose outputs its
// program reads. It fails with ErrNoPreviewInputs when they cannot all be
// read without the engine.
func (r *Runner) PreviewInputs(stack string, reads []string) (PreviewInputs, error) {
	root, ok := r.fileBackend()
	if !ok {
		return PreviewInputs{}, fmt.Errorf("%w: the backend %s is not a file backend", ErrNoPreviewInputs, r.cfg.Backend)
	}
	in := PreviewInputs{States: map[string][sha256.Size]byte{}, Passphrase: r.cfg.Passphrase}
	for _, s := range append([]string{stack}, reads...) {
		sum, err := fileSum(r.stateFile(root, s, ".json"))
		if err != nil {
			return PreviewInputs{}, fmt.Errorf("%w: the state of stack %s: %w", ErrNoPreviewInputs, s, err)
		}
		in.States[s] = sum
	}
	files := []string{filepath.Join(r.cfg.PulumiRoot, "bin", "pulumi")}
	if exe, err := os.Executable(); err == nil {
		files = append(files, exe)
	}
	for _, p := range r.cfg.PluginPaths {
		files = append(files, filepath.Join(p.Path, "pulumi-resource-"+p.Name))
	}
	for _, f := range files {
		id, err := buildIdentity(f)
		if err != nil {
			return PreviewInputs{}, fmt.Errorf("%w: %w", ErrNoPreviewInputs, err)
		}
		in.Builds = append(in.Builds, id)
	}
	var settings strings.Builder
	fmt.Fprintf(&settings, "project %s\nbackend %s\nsecrets %s\nversion %s\n", r.cfg.Project, r.cfg.Backend, r.cfg.SecretsProvider, PulumiVersion)
	for _, k := range slices.Sorted(maps.Keys(r.cfg.Env)) {
		fmt.Fprintf(&settings, "env %s=%s\n", k, r.cfg.Env[k])
	}
	work := filepath.Join(r.cfg.WorkDir, r.cfg.Project, stack)
	for _, name := range []string{"Pulumi." + stack + ".yaml", "Pulumi." + stack + ".yml", "Pulumi." + stack + ".json"} {
		b, err := os.ReadFile(filepath.Join(work, name))
		if err == nil {
			fmt.Fprintf(&settings, "stack settings %s %d\n%s\n", name, len(b), b)
		} else if !errors.Is(err, os.ErrNotExist) {
			return PreviewInputs{}, fmt.Errorf("%w: the settings of stack %s: %w", ErrNoPreviewInputs, stack, err)
		}
	}
	in.Settings = []byte(settings.String())
	return in, nil
}

// fileSum is the SHA-256 of a file's bytes.
func fileSum(path string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// buildIdentity names one build of an executable, following links: its
// path, device, inode, size, and modification and change times.
func buildIdentity(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("the build at %s: %w", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("the build at %s: %w", path, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("the build at %s: no inode to identify it by", path)
	}
	return fmt.Sprintf("%s dev %d ino %d size %d mtime %d ctime %d.%d", real, st.Dev, st.Ino, fi.Size(), fi.ModTime().UnixNano(), st.Ctim.Sec, st.Ctim.Nsec), nil
}
