package imagemanifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
)

var (
	// ErrNoImage is returned when a region has no image in the manifest.
	ErrNoImage = errors.New("no image for the region")
	// ErrNoContainer is returned when the manifest has no container image.
	ErrNoContainer = errors.New("no container image")
)

// FileName is the manifest's name in an image's folder.
const FileName = "manifest.json"

// Manifest is one build of an image and its copy in every region.
type Manifest struct {
	Image string `json:"image"`
	// Build identifies the build (the Packer build's tag); every region's
	// copy carries it.
	Build string `json:"build"`
	// SourceRegion and SourceImage are where the build was made.
	SourceRegion string `json:"source_region"`
	SourceImage  string `json:"source_image"`
	// Regions maps a region to its copy's image ID.
	Regions map[string]string `json:"regions"`
	// Container is the container image, pinned by digest (repo@sha256:...).
	Container string `json:"container,omitempty"`
}

var (
	amiID       = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)
	pinnedImage = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)
	// ecrHost is an ECR registry's host; the group is its region.
	ecrHost = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/`)
)

// Path is the manifest of the image in imagesDir.
func Path(imagesDir, image string) string { return filepath.Join(imagesDir, image, FileName) }

// Load reads and checks an image's manifest.
func Load(imagesDir, image string) (*Manifest, error) {
	path := Path(imagesDir, image)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", image, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Check reports a malformed manifest.
func (m *Manifest) Check() error {
	var errs []error
	if m.Image == "" || m.Build == "" {
		errs = append(errs, errors.New("image and build are required"))
	}
	if m.SourceImage != "" && !amiID.MatchString(m.SourceImage) {
		errs = append(errs, fmt.Errorf("source_image %q is not an AMI ID", m.SourceImage))
	}
	for _, r := range m.RegionNames() {
		if !amiID.MatchString(m.Regions[r]) {
			errs = append(errs, fmt.Errorf("region %s: %q is not an AMI ID", r, m.Regions[r]))
		}
	}
	if m.Container != "" && !pinnedImage.MatchString(m.Container) {
		errs = append(errs, fmt.Errorf("container %q is not pinned by digest (repo@sha256:<64 hex>)", m.Container))
	}
	return errors.Join(errs...)
}

// RegionNames are the manifest's regions, sorted.
func (m *Manifest) RegionNames() []string {
	names := make([]string, 0, len(m.Regions))
	for r := range m.Regions {
		names = append(names, r)
	}
	sort.Strings(names)
	return names
}

// AMI is the image ID of region.
func (m *Manifest) AMI(region string) (string, error) {
	id, ok := m.Regions[region]
	if !ok {
		return "", fmt.Errorf("image %s (build %s): %w %s (it has %v); promote it: bulwark images promote", m.Image, m.Build, ErrNoImage, region, m.RegionNames())
	}
	return id, nil
}

// ContainerImage is the container image for region, pinned by digest. An
// image in an ECR registry is pulled from region's own registry (ECR
// replication copies it, digest and all), so that a region never needs
// another region's registry to start a task; any other registry is used as
// it is.
func (m *Manifest) ContainerImage(region string) (string, error) {
	if m.Container == "" {
		return "", fmt.Errorf("image %s (build %s): %w: set \"container\" to repo@sha256:<digest>", m.Image, m.Build, ErrNoContainer)
	}
	if g := ecrHost.FindStringSubmatchIndex(m.Container); g != nil {
		return m.Container[:g[2]] + region + m.Container[g[3]:], nil
	}
	return m.Container, nil
}

// Missing returns the regions of want that the manifest lacks.
func (m *Manifest) Missing(want []string) []string {
	var out []string
	for _, r := range want {
		if _, ok := m.Regions[r]; !ok {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// Save writes the manifest, indented, with a final newline (it is reviewed
// in pull requests).
func (m *Manifest) Save(imagesDir string) error {
	if err := m.Check(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(Path(imagesDir, m.Image), append(b, '\n'), 0o644)
}
