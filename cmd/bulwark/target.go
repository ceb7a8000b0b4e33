package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awstarget"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/envlock"
	"github.com/bulwark-dev/bulwark/internal/localtarget"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/teamstate/s3url"
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
// one that holds it. With team state (an s3:// backend) the environment's
// lease in the bucket is taken too, so an operator on another machine
// waits as well; its term is BULWARK_LOCK_LEASE (default 30s). An
// operation whose lease is lost (another operator took the environment
// over after it went unrenewed) is interrupted as by Ctrl-C. release lets
// it go; nil and an exit code when it was not taken.
func holdEnvironment(ctx context.Context, t *topology.Topology, op string, errOut io.Writer) (release func(), code int) {
	var o envlock.Options
	for _, d := range []struct {
		env string
		to  *time.Duration
		min time.Duration
	}{{"BULWARK_LOCK_WAIT", &o.Wait, 0}, {envlock.LeaseEnv, &o.Lease, envlock.MinLease}} {
		if v := os.Getenv(d.env); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur < d.min {
				fmt.Fprintf(errOut, "bulwark %s: %s=%q: want a duration of at least %s, such as 5m\n", op, d.env, v, d.min)
				return nil, exitBadInput
			}
			*d.to = dur
		}
	}
	state, err := project.StateDir()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark %s: %v\n", op, err)
		return nil, exitFailed
	}
	o.Backend = t.Environment.State
	l, err := envlock.AcquireWith(ctx, state, t.Environment.Name, op, o)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark %s: %v\n", op, err)
		switch {
		case ctx.Err() != nil:
			return nil, exitInterrupted
		case errors.Is(err, s3url.ErrInvalid):
			return nil, exitBadInput
		}
		return nil, exitFailed
	}
	if prev, ok := l.TookOver(); ok {
		fmt.Fprintf(errOut, "bulwark %s: took environment %s over from %s\n", op, t.Environment.Name, prev)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-l.Lost():
			fmt.Fprintf(errOut, "bulwark %s: environment %s: %v; stopping\n", op, t.Environment.Name, l.Err())
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT) // main's context ends: the engine stops as on Ctrl-C
		case <-done:
		}
	}()
	return func() { close(done); l.Release() }, exitOK
}
