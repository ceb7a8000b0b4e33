package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/project"
)

// runLocal dispatches `bulwark local <serve|status|stop>`.
func runLocal(ctx context.Context, args []string, out, errOut io.Writer) int {
	usage := func() int {
		fmt.Fprintf(errOut, "Usage: bulwark local <command>\n\n"+
			"  serve   run the local control plane in the foreground (it starts by itself when needed)\n"+
			"  status  every region, process, address and health the control plane holds\n"+
			"  stop    stop the control plane and every process it runs (their desired state is kept)\n")
		return exitBadInput
	}
	if len(args) == 0 {
		return usage()
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark local: %v\n", err)
		return exitFailed
	}
	fs := flag.NewFlagSet("bulwark local "+args[0], flag.ContinueOnError)
	fs.SetOutput(errOut)
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args[1:]); err != nil {
		return exitBadInput
	}
	switch args[0] {
	case "serve":
		logger := log.New(errOut, "", log.LstdFlags)
		if err := localtarget.ServeControlPlane(ctx, state, logger); err != nil {
			fmt.Fprintf(errOut, "bulwark local serve: %v\n", err)
			return exitFailed
		}
		return exitOK
	case "stop":
		pid, err := localtarget.StopControlPlane(ctx, state)
		switch {
		case err != nil:
			fmt.Fprintf(errOut, "bulwark local stop: %v\n", err)
			return exitFailed
		case pid == 0:
			fmt.Fprintf(out, "no control plane runs for %s\n", state)
		default:
			fmt.Fprintf(out, "control plane %d stopped, and every process it ran; `bulwark up` starts them again\n", pid)
		}
		return exitOK
	case "status":
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		inv, err := localtarget.ReadInventory(ctx, state)
		switch {
		case err != nil:
			fmt.Fprintf(errOut, "bulwark local status: %v\n", err)
			return exitFailed
		case inv == nil:
			fmt.Fprintf(out, "no control plane runs for %s (nothing of the local target runs)\n", state)
			return exitOK
		case *format == "json":
			return writeJSON(out, errOut, inv)
		}
		inv.WriteText(out)
		return exitOK
	default:
		fmt.Fprintf(errOut, "bulwark local: unknown command %q\n\n", args[0])
		return usage()
	}
}
