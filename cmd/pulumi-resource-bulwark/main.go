package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	go exitWithEngine(os.Getppid())
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

// exitWithEngine ends the plugin once the engine that started it (its
// parent) is gone: the engine starts plugins in their own process group,
// so an engine killed outright (kill -9, an OOM kill) would otherwise leave
// them running forever. A killed engine's plugin is re-parented, which
// changes its parent PID.
func exitWithEngine(engine int) {
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != engine {
			fmt.Fprintf(os.Stderr, "bulwark provider: the engine (pid %d) is gone; exiting\n", engine)
			os.Exit(1)
		}
	}
}
