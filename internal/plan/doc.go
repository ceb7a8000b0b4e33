// Package plan runs an environment's stacks program under Pulumi mocks
// (pulumi.WithMocks): no engine, no provider plugins, no credentials, no
// network. It records every resource each stack registers (type, name,
// parent, inputs), the data sources it reads and each stack's outputs, in
// a deterministic order.
//
// Build runs the regional stacks' programs at once, then the global
// stack's (it reads theirs by stack references); each program runs on a
// goroutine of its own (the SDK records the Go stack at every
// registration, so a shallow one is cheaper), and no more regional
// programs run at once in the process than GOMAXPROCS, whichever Build
// starts them.
//
// For pulumi-aws the mocks answer as AWS would (mocks.go, awsregions.go):
// each resource's region (its own region argument, else its provider's),
// Pulumi's autonames and Terraform's generated names, IDs, ARNs with
// partition, region and account, per-region load balancer DNS names and
// hosted zones, RDS endpoints, and the data sources' answers per region
// (the account, hosted zones, the account's Availability Zones with their
// zone IDs, random passwords). What AWS draws at random is drawn from a
// hash of the stack and the resource's URN, so the plan is byte-identical
// across runs. A region the mocks have no data of is an error, never an
// invention.
//
// The recorded graph is what redundancy policies and the AWS constraints
// suite (internal/awsconstraints) judge and what pull-request review
// diffs. It is not a preview: it cannot know what the current state holds
// or what AWS will refuse at create; values a provider would compute and
// the mocks do not appear as "[unknown]", and secrets as "[secret]".
//
// DataLosses (dataloss.go) says which steps of a change would destroy data:
// a delete or a replacement of a resource of a type that holds data on its
// target (a database or table, a backup vault, the key that encrypts one,
// a region's database member; see DataHolders), named with what would be
// lost. It reads the steps of a review's diff of two plans as well as an
// engine preview's, for the review's warning and for up's refusal.
package plan
