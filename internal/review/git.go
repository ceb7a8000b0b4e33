package review

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// ErrGit is wrapped when a git command fails.
var ErrGit = errors.New("git failed")

// Git runs git in a repository.
type Git struct{ Dir string }

func (g Git) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.Dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: git %s: %v: %s", ErrGit, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// Root is the top folder of the repository holding dir.
func Root(ctx context.Context, dir string) (Git, error) {
	top, err := Git{Dir: dir}.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return Git{}, err
	}
	return Git{Dir: top}, nil
}

// Label names a revision for people: the ref as given and its short hash.
func (g Git) Label(ctx context.Context, ref string) (string, error) {
	short, err := g.run(ctx, "rev-parse", "--short", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("revision %q is not a commit here: %w", ref, err)
	}
	if strings.HasPrefix(short, ref) {
		return short, nil
	}
	return fmt.Sprintf("%s (%s)", ref, short), nil
}

// Checkout puts a revision into a temporary worktree, detached, and
// returns its folder and the function that removes it.
func (g Git) Checkout(ctx context.Context, ref string) (string, func(), error) {
	if _, err := g.run(ctx, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return "", func() {}, fmt.Errorf("revision %q: %w", ref, err)
	}
	parent, err := os.MkdirTemp("", "bulwark-review-")
	if err != nil {
		return "", func() {}, err
	}
	dir := filepath.Join(parent, "tree")
	cleanup := func() {
		_, _ = g.run(context.WithoutCancel(ctx), "worktree", "remove", "--force", dir)
		_ = os.RemoveAll(parent)
		_, _ = g.run(context.WithoutCancel(ctx), "worktree", "prune")
	}
	if _, err := g.run(ctx, "worktree", "add", "--detach", "--quiet", dir, ref); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return dir, cleanup, nil
}

// Changed lists the files that differ between base and head (the working
// tree, untracked files included, when head is empty), relative to the
// repository's top.
func (g Git) Changed(ctx context.Context, base, head string) ([]string, error) {
	args := []string{"diff", "--name-only", base}
	if head != "" {
		args = append(args, head)
	}
	out, err := g.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	files := strings.Fields(out)
	if head == "" {
		untracked, err := g.run(ctx, "ls-files", "--others", "--exclude-standard")
		if err != nil {
			return nil, err
		}
		files = append(files, strings.Fields(untracked)...)
	}
	return files, nil
}

// CodeFingerprint hashes what decides a plan besides the environment
// files and image manifests: the project's Go code, go.mod and go.sum and
// the policies' configuration. Two folders with one fingerprint plan an
// environment file alike.
func CodeFingerprint(root string) (string, error) {
	h := sha256.New()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || slices.Contains([]string{"testdata", "environments", "images", "bin", "node_modules"}, d.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") || slices.Contains([]string{"go.mod", "go.sum", "Pulumi.yaml"}, rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint the code in %s: %w", root, err)
	}
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TouchedEnvironments names the environments a change touches: those whose
// file changed when only environment files changed, else every one.
func TouchedEnvironments(changed []string, projectPrefix string, all []string) []string {
	var touched []string
	for _, f := range changed {
		rel, ok := strings.CutPrefix(f, projectPrefix)
		if !ok {
			continue // outside the project
		}
		name, isEnv := strings.CutPrefix(rel, "environments/")
		if !isEnv || !strings.HasSuffix(name, ".hcl") || strings.Contains(name, "/") {
			if strings.HasSuffix(rel, ".md") || strings.HasPrefix(rel, ".github/") {
				continue // documentation and workflows change no plan
			}
			return all
		}
		env := strings.TrimSuffix(name, ".hcl")
		if !slices.Contains(touched, env) {
			touched = append(touched, env)
		}
	}
	slices.Sort(touched)
	return touched
}
