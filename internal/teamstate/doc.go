// Package teamstate talks to the bucket of an s3:// state backend (AWS S3
// or an S3-compatible server such as MinIO) with the few requests bulwark
// itself needs beside the engine: read an object with its ETag, write one
// only if it is absent (If-None-Match: *) or unchanged (If-Match: <ETag>),
// list keys under a prefix, delete a key. Requests are signed with
// Signature Version 4 using the credentials and region the AWS SDK's
// default chain finds (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the URL's
// profile or AWS_PROFILE, SSO, the instance role), as the engine finds
// them for the same URL.
//
// Conditional writes are what make the environment's lease safe between
// machines (internal/envlock): S3 answers 412 Precondition Failed to a
// write whose condition does not hold, and 409 ConditionalRequestConflict
// to one that raced another, both ErrPrecondition here
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
//
// It is not an S3 SDK (no multipart, no retries beyond the caller's own
// loop) and does not read the engine's state; URL parsing is in s3url, a
// throwaway MinIO for tests in miniotest.
package teamstate
