// Package awsfake serves fakes of AWS APIs on loopback, for tests of code
// that calls AWS through aws-sdk-go-v2 where no AWS account is reachable.
// They are fakes, not AWS: what they do is what the API references say
// AWS does, each behaviour citing its page, so that a defect a real
// account would show can show here too.
//
//   - EC2 (CopyImage, DescribeImages), for image promotion;
//   - Cloud: Auto Scaling, RDS global clusters (each region's cluster
//     with its own rows, replicated after a lag: Write, Rows), restored
//     clusters and their DB instances, the RDS Data API, Route 53 health
//     checks (and the answers of its failover and latency records), AWS
//     Backup restores, FIS experiments and Secrets Manager on one
//     endpoint, for drills; Elastic Load Balancing target groups and
//     their targets' health, and CloudWatch's alarms and GetMetricData
//     over datapoints a test puts, for bakes and status;
//   - SQS (NewSQS, its own endpoint; AWS JSON 1.0): queues per region
//     and account, visibility timeouts, receive counts, long polling,
//     retention and redrive to a dead-letter queue, for the sample
//     service's write queue.
//
// A fake speaks the API's real wire protocol: the Query protocol
// (form-encoded requests, XML answers, <ErrorResponse> documents) for EC2,
// Auto Scaling, RDS and Elastic Load Balancing; REST-XML for Route 53;
// REST-JSON with X-Amzn-ErrorType for AWS Backup, FIS and the RDS Data
// API; JSON 1.1 for Secrets Manager; Smithy RPC v2 CBOR for CloudWatch
// (encoded with smithy-go's CBOR package, errors with __type and
// X-Amzn-Query-Error, as the query-compatible service sends). It takes
// the service and region from the request's SigV4 credential scope. The
// SDK's own serializers, deserializers, paginators, retryer and waiters
// run against it unchanged.
//
// What the fakes do as AWS does:
//
//   - Pages. Every list and describe call answers in pages of the API's
//     default and maximum size, continued by its token (NextToken, Marker,
//     NextMarker, nextToken); a token the fake did not issue for the same
//     request is refused. PageSize makes pages smaller, so a test can
//     prove a caller follows them.
//   - Time. State moves with time on the fake's Clock (the wall clock, or
//     a clock.Scaled in tests), at the durations of Timings, never per
//     call: an instance is pending, then in service; a Route 53 check
//     changes status only after its checkers saw FailureThreshold requests
//     in a row fail (or pass), each checker every RequestInterval on its
//     own, and the check is unhealthy once no more than 18% of them see
//     the endpoint healthy; an inversion takes effect at once; a datapoint
//     reaches GetMetricData minutes after its timestamp; an experiment
//     initiates, runs its action's duration and completes; a copied image
//     is pending, then available; a failover runs, then the writer moves,
//     with what had replicated to it (a switchover catches it up first);
//     a restore job runs, then its cluster is created, then the instance
//     one adds to it.
//   - Refusals. Unknown enumeration values, out-of-range page sizes,
//     missing required parameters, invalid periods and statistics, tokens
//     reused with other parameters are refused with the API's error code
//     and HTTP status (ValidationError, InvalidParameterValue,
//     InvalidNextToken, InvalidPaginationToken, IdempotentParameterMismatch,
//     NoSuchHealthCheck, HealthCheckVersionMismatch,
//     ResourceNotFoundException, ConflictException, ...), and throttling
//     on demand (Throttling, ThrottlingException, EC2's
//     RequestLimitExceeded), which the SDK's retryer retries.
//   - Regions. Every store is per region: ARNs carry their region and the
//     account, and a resource asked for at another region's endpoint is
//     not found. Route 53 is global and takes requests signed for
//     us-east-1 only.
//
// It is not a simulator of AWS: it implements only the actions bulwark
// calls, with the parameters bulwark sends, and says so for anything else.
// It never signs or checks signatures.
package awsfake
