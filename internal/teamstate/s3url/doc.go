// Package s3url reads an s3:// state backend URL the way the pinned Pulumi
// engine does, and says why one would not work before anything runs.
//
// The engine (Pulumi v3.212.0, see tools/pulumi) opens its DIY backend with
// gocloud.dev v0.37.0's s3blob driver, which by default builds an aws-sdk-go
// (v1) session from the URL's query: region, endpoint, disableSSL,
// s3ForcePathStyle and profile; awssdk=v2 switches to aws-sdk-go-v2, which
// takes region, endpoint and profile only (no path-style addressing).
// s3blob itself takes ssetype and kmskeyid. Any other parameter fails the
// engine's first operation with "unknown query parameter", so Parse refuses
// it at once, as it refuses an endpoint at an IP address without
// s3ForcePathStyle=true (the SDK would address <bucket>.<ip>).
//
// The package has no dependencies beyond the standard library, so the
// environment loader may use it. It does not talk to the bucket:
// internal/teamstate does.
package s3url
