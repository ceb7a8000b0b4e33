// Package imagerelease moves a golden image's build to every region of an
// environment and proves it is there.
//
// Promote copies an AMI from the region it was built in to the others with
// EC2 CopyImage (aws-sdk-go-v2), waits with the SDK's ImageAvailable waiter
// for at most a given time, and returns the image manifest
// (internal/imagemanifest) that records each region's image ID, reviewed in
// pull requests. Verify asks EC2 whether every region's image exists, is
// available, carries the manifest's build tag and was copied from its
// source image. CheckTemplate parses the image's Packer template with hcl/v2
// and checks that its ami_regions cover the environment. Listings follow
// EC2's pages; an EC2 that throttles past the SDK's retries makes them
// fail with ErrThrottled, not with a verdict on the images.
//
// It is not a builder: Packer builds the image. It reads AWS only through
// the small EC2 interface, so tests run it against a loopback fake
// (internal/awsfake).
package imagerelease
