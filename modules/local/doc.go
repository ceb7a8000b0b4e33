// Package local declares the local target's resources for one region of an
// environment: the region's loopback range, and for each service an image
// (built once, content-addressed), an instance group (the autoscaling group)
// and a load balancer (HAProxy); for graceful degradation, a write queue
// (NATS JetStream) before the group, the region's link (Toxiproxy) to each
// service called, and a cache (nginx) after the load balancer, with the
// group told its dependencies and the called balancers their callers'
// timeout. They are custom resources of the project's own provider plugin
// (bulwark:local:*), children of the topology's components, so a stack
// reads as region > service > parts (a link, shared by the region's
// callers, is a child of the region's component).
//
// It holds no logic of how these parts run: the provider and the local
// control plane (internal/localprovider, internal/localcloud) do.
package local
