package localprovider

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// Executable is the plugin's file name: the engine finds it by this name in
// a plugin folder and runs it.
const Executable = "pulumi-resource-" + Name

// Version is the plugin's version; the engine wants plain semver.
const Version = "0.1.0"

// Invoked reports whether args (a process's os.Args) ask for the provider
// plugin or its control plane rather than a CLI: the program runs under
// the plugin's name (the engine runs it so, through a link or a copy), or
// with ControlPlaneArg alone (the plugin starts its plane so, by the path
// of its executable, which is the CLI's own file when the engine ran the
// CLI through a link). A bulwark binary checks it first, so that the CLI,
// the plugin and the control plane are one build, however it was built.
func Invoked(args []string) bool {
	if len(args) == 0 {
		return false
	}
	return filepath.Base(args[0]) == Executable || (len(args) == 2 && args[1] == ControlPlaneArg)
}

// Main runs the provider plugin, or the control plane in the foreground
// when args (the arguments after the program name) are ControlPlaneArg
// alone, and returns the process's exit code. The plugin reads the
// engine's arguments from os.Args itself, prints its port on stdout (the
// plugin handshake) and serves until the engine ends it, or exits once the
// engine is gone.
func Main(args []string) int {
	if len(args) == 1 && args[0] == ControlPlaneArg {
		if err := serveControlPlane(); err != nil {
			fmt.Fprintf(os.Stderr, "control plane: %v\n", err)
			return 1
		}
		return 0
	}
	go exitWithEngine(os.Getppid())
	prov, err := New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bulwark provider: %v\n", err)
		return 1
	}
	if err := p.RunProvider(context.Background(), Name, Version, prov); err != nil {
		fmt.Fprintf(os.Stderr, "bulwark provider: %v\n", err)
		return 1
	}
	return 0
}

// serveControlPlane serves the state directory's control plane until
// SIGINT or SIGTERM, or until a client asks it to shut down.
func serveControlPlane() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	state, err := project.StateDir()
	if err != nil {
		return err
	}
	return localcloud.Serve(ctx, localcloud.Dir(state), log.New(os.Stderr, "", log.LstdFlags))
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
