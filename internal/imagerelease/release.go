package imagerelease

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
)

var (
	// ErrSourceImage is returned when the image to promote is missing, not
	// available, or carries no build tag.
	ErrSourceImage = errors.New("source image unusable")
	// ErrCopyFailed is returned when a copy ends failed or does not become
	// available within the time allowed.
	ErrCopyFailed = errors.New("image copy failed")
	// ErrMismatch is returned by Verify when a region's image is missing or
	// from another build.
	ErrMismatch = errors.New("images differ between regions")
	// ErrThrottled is wrapped when EC2 kept refusing requests for their rate
	// (RequestLimitExceeded) past the SDK's retries: nothing is known to be
	// wrong with the images; run it again later.
	ErrThrottled = errors.New("EC2 throttled the requests")
)

// throttled tells EC2's throttling (RequestLimitExceeded, which the SDK's
// retryer retries and then returns) from other errors, by the SDK's own
// list of throttling codes.
func throttled(err error) bool {
	return retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}.IsErrorThrottle(err) == aws.TrueTernary
}

// classed wraps err in ErrThrottled when EC2 throttled it, else in kind.
func classed(kind, err error) error {
	if throttled(err) {
		kind = ErrThrottled
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// EC2 is the part of the EC2 API that promoting and verifying use.
type EC2 interface {
	ec2.DescribeImagesAPIClient
	CopyImage(ctx context.Context, in *ec2.CopyImageInput, opts ...func(*ec2.Options)) (*ec2.CopyImageOutput, error)
}

// Clients returns the EC2 client of a region.
type Clients func(region string) (EC2, error)

// NewClients returns clients from the default AWS configuration (the
// environment, shared files, SSO, instance roles). A non-empty endpoint
// replaces the regional endpoints (a VPC endpoint, or a test's fake).
func NewClients(ctx context.Context, endpoint string) (Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	return func(region string) (EC2, error) {
		return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
			o.Region = region
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		}), nil
	}, nil
}

// PromoteOptions say what to copy where.
type PromoteOptions struct {
	Image        string // the image's name (images/<name>/)
	SourceImage  string // ami-...
	SourceRegion string
	// Regions are where the image must be; the source region among them or not.
	Regions []string
	// MaxWait bounds the wait for each copy; PollMin and PollMax bound the
	// waiter's delay between polls (the SDK's defaults when zero).
	MaxWait          time.Duration
	PollMin, PollMax time.Duration
	// Progress, when set, receives a line per step.
	Progress io.Writer
}

// DefaultMaxWait is how long a copy may take by default.
const DefaultMaxWait = 45 * time.Minute

// Promote copies the source image to every region that lacks a copy of its
// build, waits until every copy is available, and returns the manifest of
// the build. It is safe to rerun: a region that already holds a copy of the
// build (found by its tags) keeps it, and a retried copy reuses its client
// token.
func Promote(ctx context.Context, clients Clients, o PromoteOptions) (*imagemanifest.Manifest, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	src, err := clients(o.SourceRegion)
	if err != nil {
		return nil, err
	}
	source, err := describe(ctx, src, o.SourceImage)
	if err != nil {
		return nil, classed(ErrSourceImage, fmt.Errorf("%s in %s: %w", o.SourceImage, o.SourceRegion, err))
	}
	if source.State != types.ImageStateAvailable {
		return nil, fmt.Errorf("%w: %s in %s is %s, not available", ErrSourceImage, o.SourceImage, o.SourceRegion, source.State)
	}
	build := tag(source.Tags, contract.TagBuild)
	if build == "" {
		return nil, fmt.Errorf("%w: %s in %s has no %s tag (build it with images/%s/%s.pkr.hcl, which sets it)",
			ErrSourceImage, o.SourceImage, o.SourceRegion, contract.TagBuild, o.Image, o.Image)
	}
	m := &imagemanifest.Manifest{Image: o.Image, Build: build, SourceRegion: o.SourceRegion, SourceImage: o.SourceImage,
		Regions: map[string]string{o.SourceRegion: o.SourceImage}}
	fmt.Fprintf(progress, "image %s build %s from %s %s\n", o.Image, build, o.SourceRegion, o.SourceImage)

	type copying struct {
		region, id string
		client     EC2
	}
	var started []copying
	for _, region := range o.Regions {
		if region == o.SourceRegion {
			continue
		}
		c, err := clients(region)
		if err != nil {
			return nil, err
		}
		id, err := existingCopy(ctx, c, build, o.SourceImage)
		if err != nil {
			return nil, classed(ErrCopyFailed, fmt.Errorf("%s: look for a copy: %w", region, err))
		}
		if id != "" {
			fmt.Fprintf(progress, "  %s: %s already holds this build\n", region, id)
		} else {
			out, err := c.CopyImage(ctx, &ec2.CopyImageInput{
				SourceImageId: aws.String(o.SourceImage), SourceRegion: aws.String(o.SourceRegion),
				Name: source.Name, Description: aws.String(fmt.Sprintf("%s build %s, copied from %s %s", o.Image, build, o.SourceRegion, o.SourceImage)),
				Encrypted: aws.Bool(true), CopyImageTags: aws.Bool(true),
				ClientToken: aws.String(clientToken(o.SourceImage, region)),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{
					{Key: aws.String(contract.TagBuild), Value: aws.String(build)}, {Key: aws.String(contract.TagSourceImage), Value: aws.String(o.SourceImage)},
				}}},
			})
			if err != nil {
				return nil, classed(ErrCopyFailed, fmt.Errorf("copy to %s: %w", region, err))
			}
			id = aws.ToString(out.ImageId)
			fmt.Fprintf(progress, "  %s: copying as %s\n", region, id)
		}
		started = append(started, copying{region, id, c})
	}
	// the copies run at once; wait for each in turn
	for _, c := range started {
		waiter := ec2.NewImageAvailableWaiter(c.client, func(w *ec2.ImageAvailableWaiterOptions) {
			if o.PollMin > 0 {
				w.MinDelay = o.PollMin
			}
			if o.PollMax > 0 {
				w.MaxDelay = o.PollMax
			}
		})
		began := time.Now()
		if err := waiter.Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{c.id}}, o.MaxWait); err != nil {
			return nil, classed(ErrCopyFailed, fmt.Errorf("%s in %s: %w", c.id, c.region, err))
		}
		fmt.Fprintf(progress, "  %s: %s available (%s)\n", c.region, c.id, time.Since(began).Round(time.Second))
		m.Regions[c.region] = c.id
	}
	return m, m.Check()
}

// Merge keeps the regions of an existing manifest of the same build that
// this promotion did not touch (another environment's regions); a manifest
// of another build is replaced whole.
func Merge(old, promoted *imagemanifest.Manifest) *imagemanifest.Manifest {
	if old == nil || old.Build != promoted.Build || old.SourceImage != promoted.SourceImage {
		return promoted
	}
	out := *promoted
	out.Regions = map[string]string{}
	for r, id := range old.Regions {
		out.Regions[r] = id
	}
	for r, id := range promoted.Regions {
		out.Regions[r] = id
	}
	if out.Container == "" {
		out.Container = old.Container
	}
	return &out
}

// Verify checks that every region holds an available image of the
// manifest's build: the manifest's ID, carrying its build tag, copied from
// its source image. Every problem is reported; all wrap ErrMismatch. An
// EC2 that keeps throttling proves nothing either way: Verify stops with
// ErrThrottled.
func Verify(ctx context.Context, clients Clients, m *imagemanifest.Manifest, regions []string) error {
	var problems []error
	for _, region := range regions {
		id, ok := m.Regions[region]
		if !ok {
			problems = append(problems, fmt.Errorf("%w: %s: the manifest of %s has no image for it", ErrMismatch, region, m.Image))
			continue
		}
		c, err := clients(region)
		if err != nil {
			return err
		}
		img, err := describe(ctx, c, id)
		if throttled(err) {
			return fmt.Errorf("%w: %s: %s: %w", ErrThrottled, region, id, err)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%w: %s: %s: %w", ErrMismatch, region, id, err))
			continue
		}
		if img.State != types.ImageStateAvailable {
			problems = append(problems, fmt.Errorf("%w: %s: %s is %s", ErrMismatch, region, id, img.State))
		}
		if b := tag(img.Tags, contract.TagBuild); b != m.Build {
			problems = append(problems, fmt.Errorf("%w: %s: %s is build %q, the manifest says %q", ErrMismatch, region, id, b, m.Build))
		}
		from := aws.ToString(img.SourceImageId)
		if from == "" {
			from = tag(img.Tags, contract.TagSourceImage)
		}
		switch {
		case region == m.SourceRegion && id != m.SourceImage:
			problems = append(problems, fmt.Errorf("%w: %s: %s is not the source image %s", ErrMismatch, region, id, m.SourceImage))
		case region != m.SourceRegion && from != m.SourceImage:
			problems = append(problems, fmt.Errorf("%w: %s: %s was copied from %q, not the source image %s", ErrMismatch, region, id, from, m.SourceImage))
		}
	}
	return errors.Join(problems...)
}

func describe(ctx context.Context, c EC2, id string) (types.Image, error) {
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		return types.Image{}, err
	}
	if len(out.Images) != 1 {
		return types.Image{}, fmt.Errorf("%s: %d images answered", id, len(out.Images))
	}
	return out.Images[0], nil
}

// existingCopy finds this account's copy of the build in a region, pending
// or available: one bulwark copied (tagged with its source) or one Packer
// copied while building (ami_regions; EC2 records the source). It reads
// every page: EC2 pages DescribeImages when asked to, and recommends it
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination).
func existingCopy(ctx context.Context, c EC2, build, source string) (string, error) {
	p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{
		Owners:     []string{"self"},
		Filters:    []types.Filter{{Name: aws.String("tag:" + contract.TagBuild), Values: []string{build}}},
		MaxResults: aws.Int32(1000),
	})
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return "", fmt.Errorf("images of build %s: still more after %d pages", build, page)
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, img := range out.Images {
			from := aws.ToString(img.SourceImageId)
			if from == "" {
				from = tag(img.Tags, contract.TagSourceImage)
			}
			if from == source && slices.Contains([]types.ImageState{types.ImageStateAvailable, types.ImageStatePending}, img.State) {
				return aws.ToString(img.ImageId), nil
			}
		}
	}
	return "", nil
}

// maxPages bounds the pages of one listing: a million images at 1,000 a page.
const maxPages = 1000

// clientToken makes a retried copy of the same image to the same region
// the same request (EC2 answers with the first copy).
func clientToken(source, region string) string {
	sum := sha256.Sum256([]byte(source + "/" + region))
	return "bulwark-" + hex.EncodeToString(sum[:])[:32]
}

func tag(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
