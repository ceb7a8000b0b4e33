// Package localprovider is the Pulumi resource provider of the local target
// (package "bulwark", module "local"), built with pulumi-go-provider's infer.
// Its resources stand for the AWS parts: Region (a loopback range), Image (a
// content-addressed build of images/<name>), InstanceGroup (the autoscaling
// group) and LoadBalancer (HAProxy); for graceful degradation, WriteQueue
// (NATS JetStream: SQS), Cache (nginx serving stale: CloudFront with an
// origin group) and Link (a Toxiproxy proxy a region's callers reach a
// service they call through, which drills slow or cut).
//
// The provider keeps no processes: every Create, Read, Update and Delete is a
// call to the local control plane (internal/localcloud), started on demand,
// through localapi's generic client (localapi.Put, and read and remove for
// every kind). The plugin keeps one client, and its connections, for as
// long as the plane it found (or started) runs, rather than checking the
// plane again before every call. A kind's replace-on-change inputs are its arguments' fields
// tagged provider:"replaceOnChanges": ReplaceOnChanges lists them for every
// kind in kinds, and the custom diffs replace on exactly those
// (replacements).
//
// Database generates the application role's password when it creates a
// member (crypto/rand) and keeps it across updates, as a secret output:
// the engine's state holds it encrypted; the control plane keeps a
// database's first and hands it to the instances.
//
// Read reports what actually runs, so `bulwark refresh` shows a killed load
// balancer as drift, and the next `up` restores it. It is not the control
// plane: it runs nothing itself, and it asks the plane only through the
// API of localapi.
package localprovider
