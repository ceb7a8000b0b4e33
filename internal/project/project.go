package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// ErrNoProject is returned when no Pulumi.yaml is found above a folder.
var ErrNoProject = errors.New("not inside a bulwark project (no Pulumi.yaml found)")

// ErrNoEnvironment is returned when --env names no environment file.
var ErrNoEnvironment = errors.New("environment not found")

// Project is a bulwark project: a folder with Pulumi.yaml, environments/ and images/.
type Project struct {
	Root string
	// Name is the Pulumi project name from Pulumi.yaml; stacks live under it.
	Name string
	// Pulumi is the project as Pulumi.yaml declares it.
	Pulumi *workspace.Project
}

// Find walks up from dir to the first folder holding Pulumi.yaml.
func Find(dir string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("find project: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		path := filepath.Join(d, "Pulumi.yaml")
		if _, err := os.Stat(path); err == nil {
			p, err := workspace.LoadProject(path)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", path, err)
			}
			return &Project{Root: d, Name: p.Name.String(), Pulumi: p}, nil
		}
		if filepath.Dir(d) == d {
			return nil, fmt.Errorf("%w above %s", ErrNoProject, abs)
		}
	}
}

// EnvironmentsDir is where environment files live.
func (p *Project) EnvironmentsDir() string { return filepath.Join(p.Root, "environments") }

// ImagesDir is where image definitions live, one folder per image.
func (p *Project) ImagesDir() string { return filepath.Join(p.Root, "images") }

// EnvironmentPath resolves an --env value: a name (dev) is
// environments/dev.hcl; anything with a slash or ending in .hcl is a path.
func (p *Project) EnvironmentPath(env string) (string, error) {
	if env == "" {
		return "", fmt.Errorf("%w: --env is required (a name from environments/, or a path to an .hcl file)", ErrNoEnvironment)
	}
	var path string
	if strings.ContainsRune(env, os.PathSeparator) || strings.HasSuffix(env, ".hcl") {
		path = env
	} else {
		path = filepath.Join(p.EnvironmentsDir(), env+".hcl")
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w: %s: %v (have: %s)", ErrNoEnvironment, env, err, strings.Join(p.Environments(), ", "))
	}
	return path, nil
}

// Environments lists the environment names in environments/.
func (p *Project) Environments() []string {
	files, _ := filepath.Glob(filepath.Join(p.EnvironmentsDir(), "*.hcl"))
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".hcl"))
	}
	return names
}

// LoadEnvironment resolves and loads an environment, checking its images
// against the project's images/ folder.
func (p *Project) LoadEnvironment(env string) (*topology.Topology, error) {
	return p.loadEnvironment(env, topology.ImageDir(RelativeIfInside(p.ImagesDir())))
}

// LoadEnvironmentBeforeRelease loads an environment without checking that
// its images were promoted to its regions: what promoting them needs.
func (p *Project) LoadEnvironmentBeforeRelease(env string) (*topology.Topology, error) {
	return p.loadEnvironment(env, imageFolders{topology.ImageDir(p.ImagesDir())})
}

// imageFolders is an image catalog that knows the folders, not the manifests.
type imageFolders struct{ dir topology.ImageDir }

func (f imageFolders) HasImage(name string) bool { return f.dir.HasImage(name) }

func (p *Project) loadEnvironment(env string, images topology.ImageCatalog) (*topology.Topology, error) {
	path, err := p.EnvironmentPath(env)
	if err != nil {
		return nil, err
	}
	l := &topology.Loader{Images: images, Root: p.Root}
	return l.LoadFile(RelativeIfInside(path))
}

// RelativeIfInside shortens a path to one relative to the working directory
// when it lies below it, so diagnostics read environments/dev.hcl:3.
func RelativeIfInside(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// StateDir is the user's bulwark state directory: $BULWARK_STATE_DIR, else
// $XDG_STATE_HOME/bulwark, else ~/.local/state/bulwark.
func StateDir() (string, error) {
	if d := os.Getenv("BULWARK_STATE_DIR"); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "bulwark"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state directory: set BULWARK_STATE_DIR: %w", err)
	}
	return filepath.Join(home, ".local", "state", "bulwark"), nil
}
