package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// gcHeadroom is the soft memory limit (runtime/debug.SetMemoryLimit) an
// offline command collects garbage at instead of GOGC's pacing: the
// offline plan of 1,500 resources allocates about 180 MB in all but holds
// under 30 MB live at once, and the binary's own pages are 65 to 85 MiB
// of its resident set, so it stays near 125 MiB at most (GOGC=100: about
// 120) with half the collections.
const gcHeadroom = 64 << 20

// offline are the commands that run the stacks' programs under mocks in
// this process and are over in a second or so.
var offline = map[string]bool{"plan": true, "review": true, "graph": true, "validate": true, "policies": true}

// engineVerbs are the commands that run the stacks' programs for the
// engine in this process, beside it and its plugins.
var engineVerbs = map[string]bool{"up": true, "preview": true, "destroy": true, "refresh": true, "drift": true, "recreate-region": true}

// tuneGC sets how a command (args are the command line's, without the
// program name) collects garbage. An offline command collects only near
// gcHeadroom while its live heap stays under half of it, and as GOGC
// would have it from the first collection that finds more live (a larger
// environment's plan, which at the limit would collect back to back): a
// short-lived process's heap grows from nothing, and under GOGC=100 it
// collects at every doubling, some fifteen times for a plan of 1,500
// resources, each at a cost in CPU and none freeing what it would keep.
// An engine verb keeps GOGC's pacing under the same soft limit, on the
// same terms: its policy gate's plan and the stacks' programs would
// otherwise let the heap double past it (an up of 1,500 resources: 154
// MiB resident, 142 with the limit, in the same time). A GOGC or
// GOMEMLIMIT in the environment is the operator's choice and wins; other
// commands are left as they are.
func tuneGC(args []string) {
	if len(args) == 0 || !offline[args[0]] && !engineVerbs[args[0]] {
		return
	}
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	g := &gcTuner{percent: -1, limit: debug.SetMemoryLimit(gcHeadroom)}
	if offline[args[0]] {
		g.percent = debug.SetGCPercent(-1)
	}
	g.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	g.arm()
}

// gcTuner looks at the live heap after each collection (a cleanup of an
// object nothing holds runs after the collection that finds it
// unreachable) and restores the pacing it replaced once the live heap
// passes half of gcHeadroom.
type gcTuner struct {
	percent int   // the GOGC it replaced (-1: it kept GOGC's)
	limit   int64 // the memory limit it replaced
	sample  []metrics.Sample
}

func (g *gcTuner) arm() {
	sentinel := &struct {
		_ *byte // not a tiny allocation: those may never run a cleanup
		_ [16]byte
	}{}
	runtime.AddCleanup(sentinel, func(g *gcTuner) { g.collected() }, g)
}

func (g *gcTuner) collected() {
	metrics.Read(g.sample)
	if v := g.sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() < gcHeadroom/2 {
		g.arm()
		return
	}
	if g.percent >= 0 {
		debug.SetGCPercent(g.percent)
	}
	debug.SetMemoryLimit(g.limit)
}
