// Package awsfake serves fakes of AWS APIs on loopback, for tests of code
// that calls AWS through aws-sdk-go-v2 where no AWS account is reachable.
//
//   - EC2 (CopyImage, DescribeImages), for image promotion;
//   - Cloud: Auto Scaling, RDS global clusters, Route 53 health checks
//     (and the answers of its failover and latency records), AWS Backup
//     restores and FIS experiments on one endpoint, for drills; Elastic
//     Load Balancing target groups and their targets' health, and
//     CloudWatch's GetMetricData over datapoints a test puts, for bakes.
//
// A fake speaks the API's real wire protocol: the Query protocol
// (form-encoded requests, XML answers, <ErrorResponse> documents) for EC2,
// Auto Scaling, RDS and Elastic Load Balancing; REST-XML for Route 53;
// REST-JSON with X-Amzn-ErrorType for AWS Backup and FIS; Smithy RPC v2
// CBOR for CloudWatch (encoded with smithy-go's CBOR package, errors with
// __type and X-Amzn-Query-Error, as the query-compatible service sends). It uses the API's error codes
// (ValidationError, GlobalClusterNotFoundFault, NoSuchHealthCheck,
// HealthCheckVersionMismatch, ResourceNotFoundException, ConflictException,
// ...) and its throttling errors (Throttling, ThrottlingException) on
// demand, takes the service and region from the request's SigV4 credential
// scope, and keeps the state the API would: a copied image is pending,
// then available; a failover runs, then the writer moves. The SDK's own
// serializers, deserializers, retryer and waiters run against it unchanged.
//
// It is not a simulator of AWS: it implements only the actions bulwark
// calls, with the parameters bulwark sends, and says so for anything else.
// It never signs or checks signatures.
package awsfake
