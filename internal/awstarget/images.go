package awstarget

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/imagerelease"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
)

// Images releases the AMIs the services boot: their Packer templates
// checked offline, a build copied to every region and verified there
// (internal/imagerelease, through EC2). Its clients are made on the first
// call that needs AWS.
func (t *Target) Images(context.Context) (target.Images, error) {
	return &images{endpoint: t.opts.Endpoint}, nil
}

type images struct {
	endpoint string
	clients  imagerelease.Clients
}

func (i *images) ec2(ctx context.Context) (imagerelease.Clients, error) {
	if i.clients == nil {
		c, err := imagerelease.NewClients(ctx, i.endpoint)
		if err != nil {
			return nil, err
		}
		i.clients = c
	}
	return i.clients, nil
}

// CheckTemplate checks the image's Packer template (images/<name>/<name>.pkr.hcl).
func (*images) CheckTemplate(imagesDir, image string, regions []string) (hcl.Diagnostics, map[string]*hcl.File) {
	return imagerelease.CheckTemplate(project.RelativeIfInside(imagerelease.TemplatePath(imagesDir, image)), regions)
}

// Promote copies the AMI to every region that lacks a copy of its build
// and merges the result with the manifest before.
func (i *images) Promote(ctx context.Context, req target.Promotion) (*imagemanifest.Manifest, error) {
	clients, err := i.ec2(ctx)
	if err != nil {
		return nil, err
	}
	wait := req.MaxWait
	if wait <= 0 {
		wait = imagerelease.DefaultMaxWait
	}
	promoted, err := imagerelease.Promote(ctx, clients, imagerelease.PromoteOptions{
		Image: req.Image, SourceImage: req.SourceImage, SourceRegion: req.SourceRegion, Regions: req.Regions, MaxWait: wait, Progress: req.Progress,
	})
	if err != nil {
		return nil, err
	}
	return imagerelease.Merge(req.Old, promoted), nil
}

// Verify checks each region's AMI of the manifest is available.
func (i *images) Verify(ctx context.Context, m *imagemanifest.Manifest, regions []string) error {
	clients, err := i.ec2(ctx)
	if err != nil {
		return err
	}
	return imagerelease.Verify(ctx, clients, m, regions)
}
