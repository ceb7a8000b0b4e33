package topology

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// WriteQueue is a service's write_queue block: writes to its paths that
// the database cannot take now are kept in a durable queue in the
// instance's region, acknowledged (202), and written to the database by
// the service's consumer once it is back, exactly once per write id.
type WriteQueue struct {
	// Paths are the path prefixes of the service's writes (POST) that
	// may be queued.
	Paths []string
	// MaxAge is the age of the oldest queued write that raises an alarm:
	// the database has been away, or the consumer stuck, that long.
	MaxAge time.Duration
	// Keep is how long a queued write is kept before it is dropped
	// (SQS's retention, JetStream's max age); a write older than that is
	// lost, so Keep is longer than any outage the queue is to ride out.
	Keep time.Duration
	// MaxReceives is how often a write is tried before it moves to the
	// dead-letter queue.
	MaxReceives int
	DeclRange   hcl.Range
}

// Cache is a service's cache block: a cache in front of the service's
// load balancers for its read-only paths, which serves what it holds
// while every origin fails.
type Cache struct {
	// Paths are the read-only path prefixes it caches; every other path
	// passes through uncached.
	Paths []string
	// TTL is how long an answer is fresh.
	TTL time.Duration
	// StaleFor is how long past its TTL an answer is still served while
	// the origins fail (nginx's inactive, stale-if-error).
	StaleFor  time.Duration
	DeclRange hcl.Range
}

// Write queue and cache defaults and limits. SQS keeps a message between
// 60 seconds and 14 days
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html,
// MessageRetentionPeriod) and moves it to the dead-letter queue after
// maxReceiveCount receives, 1 to 1,000. CloudFront caches an answer for
// at most a year (its largest TTL, 31536000 seconds:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html),
// which bounds a cache's TTL and how long it serves stale.
const (
	DefaultQueueMaxAge      = 5 * time.Minute
	DefaultQueueKeep        = 4 * 24 * time.Hour
	MinQueueKeep            = time.Minute
	MaxQueueKeep            = 14 * 24 * time.Hour
	DefaultQueueMaxReceives = 5
	MaxQueueMaxReceives     = 1000
	DefaultCacheTTL         = 5 * time.Second
	DefaultCacheStaleFor    = time.Hour
	MaxCacheAge             = 365 * 24 * time.Hour
)
