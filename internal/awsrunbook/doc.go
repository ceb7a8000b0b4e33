// Package awsrunbook holds the operator steps bulwark automates on AWS,
// each a short sequence of aws-sdk-go-v2 calls behind a small interface:
// find a service's autoscaling groups and Route 53 health checks by their
// bulwark tags; terminate an instance, suspend and resume a group's
// processes, wait for it to be whole; invert a health check (so DNS takes
// a region out) and read its status; fail over or switch over an Aurora
// global cluster and wait for the new writer; restore the newest recovery
// point of an AWS Backup vault and wait, give the restored cluster the DB
// instance AWS Backup does not create, and read it through the RDS Data
// API with the database's admin secret (CopyClients); create a database's
// application user through the Data API (UserClients); start, wait for and stop a FIS
// experiment; find a service's target groups, read their targets' health
// and, from CloudWatch, the requests and 5xx answers of their load
// balancer (a canary's bake). Every wait is bounded and polls at Clients.Poll.
//
// Drills (package drill) and rollouts (package rollout) call these steps; the
// steps decide nothing about when to run. The SDK's retryer handles
// throttling; errors name the step, the region and the resource, and wrap
// ErrNotFound or ErrTimeout where those apply.
//
// It is not a deployer: resources are declared by the stacks and changed
// only by the Pulumi engine; the steps here change run-time state (health
// check inversion, desired capacity, processes, the global writer) and
// create only scratch restores and their instances, which they delete, and
// the application user a database's secret names, once.
package awsrunbook
