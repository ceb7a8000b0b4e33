package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/stacks"
)

func main() {
	pulumi.Run(stacks.FromStack)
}
