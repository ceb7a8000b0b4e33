// Package aws declares the aws target's resources with the Pulumi AWS SDK
// (pulumi-aws v7), as component resources under the topology's own: per
// region a Network (a VPC across the account's available zones of the
// region, public and private subnets, a NAT gateway per zone), per service
// a golden-image or container Service (a launch template from the exact
// AMI of the region in the image's manifest, IMDSv2 required and volumes
// encrypted, an autoscaling group over the private subnets with ELB health
// checks and target tracking, or a Fargate service; an ALB with the
// environment's health check), the runtime contract delivered to its
// instances (runtime.go: user data, Parameter Store, Secrets Manager, the
// task definition), the service's Datastore member (an Aurora PostgreSQL
// global database: writer in the primary region, secondaries elsewhere,
// encrypted, protected, tagged into the backup plan; its credentials and
// their rotation in credentials.go) and, in the primary region, its Backup
// (a vault with its own KMS key, a plan with the environment's schedule
// and retention and a copy action to every copy_to region's vault); a
// service's write queue (queue.go: an SQS queue per region with its
// dead-letter queue and alarms, used by the instances' or tasks' role
// alone) and what it calls (dependencies.go: the runtime contract's
// Dependencies); and, in the global stack, an Endpoint per service: a
// Route 53 health check per region and failover (hot standby) or latency
// (active-active) records tied to them, and a service's cache
// (cache.go: a CloudFront distribution whose cached paths fail over
// between regions' load balancers). Names that operations find resources
// by, within each API's limits, are in names.go.
//
// It is not an operator: nothing here calls AWS APIs at deploy time beyond
// what the Pulumi engine does (drills and image promotion use
// aws-sdk-go-v2 elsewhere), and it never looks an image up: every AMI comes
// from the manifest in the repository. Here it is verified with Pulumi
// mocks; no AWS account is reachable.
package aws
