package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Region is the component every resource of a regional stack descends from.
type Region struct {
	pulumi.ResourceState
}

// Service is one service's share of a region: its target's resources
// (instances, load balancer, database, backups) are its children.
type Service struct {
	pulumi.ResourceState
}

// Environment is the global stack's root component: DNS and global data.
type Environment struct {
	pulumi.ResourceState
}
