// Command shop is bulwark's sample service: the program every image of the
// example environments packages (a content-addressed artifact on the local
// target, an AMI or a container image on AWS).
//
// It answers /healthz for load balancers and DNS health checks, says which
// region and instance answered (GET /), and writes numbered rows to
// PostgreSQL and reads them back (POST /writes?seq=N, GET /writes), so that a
// disaster-recovery drill can count the acknowledged writes a failover lost.
//
// It degrades gracefully, as issue 26 asks, and the drills measure it:
//
//   - GET / calls each declared dependency (GET <url>/) at once, within the
//     budget the environment file declared (timeout per attempt, tries,
//     doubling backoff), behind a circuit breaker and a bulkhead of its own
//     (deps.go). A soft dependency that fails leaves the answer 200, naming
//     it in X-Bulwark-Degraded and the body's "degraded" (with
//     on_failure = "serve-cached", its last good answer stands in); a hard
//     one makes it 503.
//   - GET /catalog is a read-only page carrying BULWARK_CACHE_CONTROL, for
//     the cache in front of the service to serve stale when every origin
//     is down.
//   - POST /writes with a write queue: a write the database cannot take
//     within a second is queued (202, X-Bulwark-Queued: true) and a
//     consumer in every instance drains the queue into the database once
//     it is back, exactly once per seq (queue.go; JetStream locally, SQS
//     on aws).
//
// Configuration is bulwark's runtime contract (package internal/contract),
// which every target delivers: BULWARK_LISTEN (default 127.0.0.1:8080),
// BULWARK_DATABASE_WRITER_URL with BULWARK_DATABASE_USER and
// BULWARK_DATABASE_PASSWORD (without a writer the write API answers 503),
// BULWARK_REGION and BULWARK_INSTANCE (reported on every answer; the host
// name when unset), BULWARK_DEPENDENCIES, BULWARK_CACHE_CONTROL, and
// BULWARK_QUEUE_ENGINE, BULWARK_QUEUE_URL and BULWARK_QUEUE_NAME.
//
// /metrics counts requests by status (http_request_duration_seconds),
// dependency calls by outcome (shop_dependency_calls_total: ok, failed,
// rejected-by-breaker, rejected-by-bulkhead) and their attempts, GET /'s
// answers (shop_answers_total: whole, degraded, failed) and queued writes
// (shop_queued_writes_total: queued, publish-failed, applied,
// apply-failed).
//
// It is a sample, not a framework: no auth, one table.
package main
