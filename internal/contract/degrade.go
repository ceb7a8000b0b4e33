package contract

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The runtime contract's keys for graceful degradation: a service's write
// queue and what it calls. Keys adds them for a service whose Needs say
// so.
const (
	// QueueEngine is the write queue's engine: nats (the local target's
	// NATS JetStream) or sqs.
	QueueEngine = "BULWARK_QUEUE_ENGINE"
	// QueueURL reaches the instance's region's write queue: a NATS URL
	// (nats://host:port) or an SQS queue URL.
	QueueURL = "BULWARK_QUEUE_URL"
	// QueueName is the JetStream stream (whose subject is the same name)
	// or the SQS queue's name.
	QueueName = "BULWARK_QUEUE_NAME"
	// Dependencies is what the service calls and how, as JSON: a list of
	// Dependency, in the file's order.
	Dependencies = "BULWARK_DEPENDENCIES"
	// CacheControl is the Cache-Control header a service with a cache
	// puts on its cached paths' answers ("public, max-age=2,
	// stale-if-error=3600"): nginx and CloudFront both honour
	// stale-if-error, so both targets' caches serve stale for as long as
	// the environment file says.
	CacheControl = "BULWARK_CACHE_CONTROL"
)

// QueueConsumer is the durable consumer of a write queue that a
// service's instances in a region share (the local target's JetStream
// consumer, which the control plane creates with the stream).
const QueueConsumer = "drain"

// CacheControlValue is CacheControl's value for a cache's TTL and how
// long it serves stale.
func CacheControlValue(ttl, staleFor time.Duration) string {
	return fmt.Sprintf("public, max-age=%d, stale-if-error=%d", int64(ttl.Seconds()), int64(staleFor.Seconds()))
}

// Queue engines (QueueEngine's values).
const (
	QueueEngineNATS = "nats"
	QueueEngineSQS  = "sqs"
)

// Header names the sample service and the drills share.
const (
	// DegradedHeader lists, comma-separated, the soft dependencies an
	// answer was given without (absent when the answer is whole).
	DegradedHeader = "X-Bulwark-Degraded"
	// QueuedHeader is "true" on a write the service queued (202) because
	// its database could not take it.
	QueuedHeader = "X-Bulwark-Queued"
)

// Dependency is one thing an instance calls, as the runtime contract
// delivers it: where (URL: the dependency's address as the instance's
// region reaches it; empty when the target has no way to reach it, as an
// external endpoint on the local target), how much the service needs it
// (hard or soft), and the budget the environment file declared for it.
// The instance's client uses exactly these: the budget the retry-storm
// policy judged is the one that runs.
type Dependency struct {
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"`
	Need      string `json:"need"`
	TimeoutMS int64  `json:"timeout_ms"`
	Tries     int    `json:"tries"`
	BackoffMS int64  `json:"backoff_ms"`
	OnFailure string `json:"on_failure"`
}

// Timeout, Backoff are the dependency's durations.
func (d Dependency) Timeout() time.Duration { return time.Duration(d.TimeoutMS) * time.Millisecond }
func (d Dependency) Backoff() time.Duration { return time.Duration(d.BackoffMS) * time.Millisecond }

// EncodeDependencies is Dependencies' value for deps.
func EncodeDependencies(deps []Dependency) string {
	if len(deps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(deps)
	return string(b)
}

// DecodeDependencies reads Dependencies' value ("" is none).
func DecodeDependencies(s string) ([]Dependency, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var deps []Dependency
	if err := json.Unmarshal([]byte(s), &deps); err != nil {
		return nil, fmt.Errorf("%s: %w", Dependencies, err)
	}
	for _, d := range deps {
		if d.Tries < 1 || d.TimeoutMS < 1 {
			return nil, fmt.Errorf("%s: dependency %q: tries and timeout_ms must be positive", Dependencies, d.Name)
		}
	}
	return deps, nil
}

// QueueStreamName is the write queue's name for a service: its JetStream
// stream and subject (letters, digits, - and _), or the SQS queue's name
// (up to 80 of letters, digits, - and _:
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
func QueueStreamName(env, service string) string {
	return fmt.Sprintf("bulwark-%s-%s-writes", env, service)
}

// cachePath is what a cached path prefix may hold: an absolute path of
// unreserved characters, no query (a location prefix in nginx, a path
// pattern in CloudFront).
var cachePath = regexp.MustCompile(`^/(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*$`)

// CachePathMax is the longest cached path (CloudFront's path pattern
// allows 255 characters).
const CachePathMax = 255

// CheckRoutePath says why a path prefix (a cached path, a queued write
// path) cannot be written into the programs that route it (nil when it
// can); the error wraps ErrInvalidString.
func CheckRoutePath(p string) error {
	switch {
	case len(p) > CachePathMax:
		return invalid("a path has at most %d characters, not %d", CachePathMax, len(p))
	case !cachePath.MatchString(p):
		return invalid("a path starts with / and holds only letters, digits, - . _ ~ / and %%XX escapes; not %q", truncate(p))
	}
	return nil
}

// PathCovers reports whether a route prefix covers path: it is the path,
// or a prefix of it ending at a / boundary ("/" covers everything).
func PathCovers(prefix, path string) bool {
	if prefix == path || prefix == "/" {
		return true
	}
	p := strings.TrimSuffix(prefix, "/")
	return strings.HasPrefix(path, p+"/")
}
