package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awstarget"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/envlock"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// targets are the targets an environment file may name: the one place the
// CLI picks a target's package.
var targets = map[topology.Target]func(target.Options) target.Target{
	topology.TargetAWS:   func(o target.Options) target.Target { return awstarget.New(o) },
	topology.TargetLocal: func(o target.Options) target.Target { return localtarget.New(o) },
}

// targetOf is the environment's target (endpoint: aws's --endpoint-url).
func targetOf(p *project.Project, t *topology.Topology, endpoint string) (target.Target, error) {
	state, err := project.StateDir()
	if err != nil {
		return nil, err
	}
	o := target.Options{Topology: t, StateDir: state, Endpoint: endpoint}
	if p != nil {
		o.ProjectRoot = p.Root
	}
	return targetNamed(t.Environment.Target, o), nil
}

// targetNamed is a target by name: for what needs no environment (a
// review's replace keys) opts may hold no topology.
func targetNamed(name topology.Target, o target.Options) target.Target {
	if mk, ok := targets[name]; ok {
		return mk(o)
	}
	return targets[topology.TargetLocal](o) // the loader admits no other target
}

// targetFailed prints a target's error and picks the exit code: bad
// input (a request refused, an operation or scenario the target does not
// offer) is 2, anything else 1.
func targetFailed(errOut io.Writer, cmd string, err error) int {
	fmt.Fprintf(errOut, "bulwark %s: %v\n", cmd, err)
	if errors.Is(err, target.ErrBadRequest) || errors.Is(err, target.ErrUnsupported) || errors.Is(err, drill.ErrUnknownScenario) {
		return exitBadInput
	}
	return exitFailed
}

// holdEnvironment takes the environment for the operation (internal/envlock)
// for as long as the command runs: a second operation on it waits up to
// BULWARK_LOCK_WAIT (a duration; default 0) and then exits 1 naming the
// one that holds it. release lets it go; nil and an exit code when it was
// not taken.
func holdEnvironment(ctx context.Context, t *topology.Topology, op string, errOut io.Writer) (release func(), code int) {
	wait := time.Duration(0)
	if v := os.Getenv("BULWARK_LOCK_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(errOut, "bulwark %s: BULWARK_LOCK_WAIT=%q: want a duration such as 5m\n", op, v)
			return nil, exitBadInput
		}
		wait = d
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark %s: %v\n", op, err)
		return nil, exitFailed
	}
	l, err := envlock.Acquire(ctx, state, t.Environment.Name, op, wait)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark %s: %v\n", op, err)
		if ctx.Err() != nil {
			return nil, exitInterrupted
		}
		return nil, exitFailed
	}
	return l.Release, exitOK
}
