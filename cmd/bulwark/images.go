package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func imagesUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: bulwark images <promote|verify|check> --env <env> [flags]

  promote  copy an AMI from the region it was built in to every region of the
           environment that runs it (EC2 CopyImage), wait until each copy is
           available, and record the build in images/<image>/manifest.json
  verify   check with EC2 that every region has an available image of the
           manifest's build, copied from its source image (and run check)
  check    offline: the Packer template of every image covers the environment
`)
}

func runImages(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		imagesUsage(errOut)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	switch args[0] {
	case "promote":
		return runImagesPromote(ctx, args[1:], out, errOut)
	case "verify":
		return runImagesVerify(ctx, args[1:], out, errOut, true)
	case "check":
		return runImagesVerify(ctx, args[1:], out, errOut, false)
	}
	fmt.Fprintf(errOut, "bulwark images: unknown subcommand %q\n\n", args[0])
	imagesUsage(errOut)
	return exitBadInput
}

// imageRegions maps each golden image (runtime "vm") of the environment to
// the regions its services run in, in the environment's order.
func imageRegions(t *topology.Topology) map[string][]string {
	want := map[string]map[string]bool{}
	for _, s := range t.Services {
		if s.Runtime == topology.RuntimeContainer {
			continue
		}
		if want[s.Image] == nil {
			want[s.Image] = map[string]bool{}
		}
		for _, r := range s.Regions {
			want[s.Image][r] = true
		}
	}
	out := map[string][]string{}
	for img, regions := range want {
		for _, r := range t.RegionNames() {
			if regions[r] {
				out[img] = append(out[img], r)
			}
		}
	}
	return out
}

// loadForImages loads an environment without its release check.
func loadForImages(fs *flag.FlagSet, args []string, f *envFlags, errOut io.Writer) (*project.Project, *topology.Topology, int) {
	if code, ok := parse(fs, args, f, errOut); !ok {
		return nil, nil, code
	}
	p, t, code := loadWith(f.Env, errOut, (*project.Project).LoadEnvironmentBeforeRelease)
	if t == nil {
		return nil, nil, code
	}
	return p, t, exitOK
}

// imagesOf is the environment's image releaser (nil and an exit code for
// a target without golden images).
func imagesOf(ctx context.Context, name string, p *project.Project, t *topology.Topology, endpoint string, errOut io.Writer) (target.Images, int) {
	tgt, err := targetOf(p, t, endpoint)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return nil, exitFailed
	}
	images, err := tgt.Images(ctx)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		if errors.Is(err, target.ErrUnsupported) {
			return nil, exitBadInput
		}
		return nil, exitFailed
	}
	return images, exitOK
}

func runImagesPromote(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	flags := newFlagSet("images promote", errOut, &f)
	image := flags.String("image", "", "the image's name (a folder under images/)")
	ami := flags.String("ami", "", "the AMI to promote (ami-...), built by the image's Packer template")
	from := flags.String("from", "", "the region the AMI was built in")
	maxWait := flags.Duration("max-wait", 0, "longest wait for each region's copy to become available (0: the target's default, 45m on aws)")
	endpoint := flags.String("endpoint-url", "", "EC2 endpoint to use instead of the regional ones")
	p, t, code := loadForImages(flags, args, &f, errOut)
	if t == nil {
		return code
	}
	images, code := imagesOf(ctx, flags.Name(), p, t, *endpoint, errOut)
	if images == nil {
		return code
	}
	if *image == "" || *ami == "" || *from == "" {
		fmt.Fprintf(errOut, "%s: --image, --ami and --from are required\n", flags.Name())
		return exitBadInput
	}
	regions, ok := imageRegions(t)[*image]
	if !ok {
		fmt.Fprintf(errOut, "%s: no service of %s runs image %q on instances\n", flags.Name(), t.Environment.Name, *image)
		return exitBadInput
	}
	old, err := imagemanifest.Load(p.ImagesDir(), *image)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(errOut, "bulwark images promote: the current manifest: %v (it will be replaced)\n", err)
		old = nil
	}
	m, err := images.Promote(ctx, target.Promotion{
		Image: *image, SourceImage: *ami, SourceRegion: *from, Regions: regions, MaxWait: *maxWait, Old: old, Progress: errOut,
	})
	if err != nil {
		fmt.Fprintf(errOut, "bulwark images promote: %v\nThe manifest is unchanged.\n", err)
		return exitFailed
	}
	if err := m.Save(p.ImagesDir()); err != nil {
		fmt.Fprintf(errOut, "bulwark images promote: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(out, "%s: build %s in %s; review and commit it\n", project.RelativeIfInside(imagemanifest.Path(p.ImagesDir(), *image)), m.Build, strings.Join(m.RegionNames(), ", "))
	return exitOK
}

func runImagesVerify(ctx context.Context, args []string, out, errOut io.Writer, online bool) int {
	var f envFlags
	name := map[bool]string{true: "images verify", false: "images check"}[online]
	flags := newFlagSet(name, errOut, &f)
	endpoint := flags.String("endpoint-url", "", "EC2 endpoint to use instead of the regional ones (verify)")
	maxTime := flags.Duration("timeout", 2*time.Minute, "longest time verify may take")
	p, t, code := loadForImages(flags, args, &f, errOut)
	if t == nil {
		return code
	}
	images, code := imagesOf(ctx, flags.Name(), p, t, *endpoint, errOut)
	if images == nil {
		return code
	}
	byImage := imageRegions(t)
	names := slices.Sorted(maps.Keys(byImage))
	if len(names) == 0 {
		fmt.Fprintf(out, "%s: no service runs a golden image (containers are pinned by digest in their manifests)\n", t.Environment.Name)
		return exitOK
	}
	// offline first: the Packer templates
	var diags hcl.Diagnostics
	files := map[string]*hcl.File{}
	for _, img := range names {
		d, fl := images.CheckTemplate(p.ImagesDir(), img, byImage[img])
		diags = append(diags, d...)
		for k, v := range fl {
			files[k] = v
		}
	}
	if diags.HasErrors() {
		writeDiagnostics(errOut, &topology.DiagnosticsError{Diags: diags, Files: files}, t.Environment.Name)
		return exitBadInput
	}
	for _, img := range names {
		fmt.Fprintf(out, "%s: Packer template covers %s\n", img, strings.Join(byImage[img], ", "))
	}
	if !online {
		return exitOK
	}
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	failed := false
	for _, img := range names {
		m, err := imagemanifest.Load(p.ImagesDir(), img)
		if err == nil {
			err = images.Verify(ctx, m, byImage[img])
		}
		if err != nil {
			failed = true
			fmt.Fprintf(errOut, "%s: %v\n", img, err)
			continue
		}
		fmt.Fprintf(out, "%s: build %s available in %s\n", img, m.Build, strings.Join(byImage[img], ", "))
	}
	if failed {
		return exitFailed
	}
	return exitOK
}
