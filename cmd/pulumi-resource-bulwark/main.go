package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// version is the plugin's version; the engine wants plain semver.
const version = "0.1.0"

func main() {
	if len(os.Args) == 2 && os.Args[1] == localprovider.ControlPlaneArg {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		state, err := project.StateDir()
		if err == nil {
			err = localcloud.Serve(ctx, localcloud.Dir(state), log.New(os.Stderr, "", log.LstdFlags))
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "control plane: %v\n", err)
			os.Exit(1)
		}
		return
	}
	prov, err := localprovider.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bulwark provider: %v\n", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), localprovider.Name, version, prov); err != nil {
		fmt.Fprintf(os.Stderr, "bulwark provider: %v\n", err)
		os.Exit(1)
	}
}
