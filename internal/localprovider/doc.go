// Package localprovider is the Pulumi resource provider of the local target
// (package "bulwark", module "local"), built with pulumi-go-provider's infer.
// Its resources stand for the AWS parts: Region (a loopback range), Image (a
// content-addressed build of images/<name>), InstanceGroup (the autoscaling
// group) and LoadBalancer (HAProxy).
//
// The provider keeps no processes: every Create, Read, Update and Delete is a
// call to the local control plane (internal/localcloud), started on demand.
// Read reports what actually runs, so `bulwark refresh` shows a killed load
// balancer as drift, and the next `up` restores it.
package localprovider
