package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// enginePreview is the profiled engine preview of no change (preview
// --engine), run beside the table's verbs when profiling.
const enginePreview = "engine-preview"

// profileEnv makes one verb's run write its CPU profiles below dir: the
// CLI's to <verb>-cli (a plugin's to <verb>-cli.plugin.<pid>, a control
// plane started by it to <verb>-cli.plane.<pid>) and each run of the
// engine's CLI to <verb>-engine.<pid>.{cpu,mem,trace}.
func profileEnv(dir, verb string) []string {
	return []string{"BULWARK_CPUPROFILE=" + filepath.Join(dir, verb+"-cli"), "BULWARK_ENGINE_PROFILE=" + filepath.Join(dir, verb+"-engine")}
}

var totalSamples = regexp.MustCompile(`Total samples = (\S+)`)

// profileCPU is the CPU the profiles matching pattern sampled, in all,
// and what of it is below the functions named in cum (by their names'
// ends, e.g. "pbkdf2.Key"), read by `go tool pprof` of binary.
func profileCPU(binary, pattern string, cum ...string) (total time.Duration, below map[string]time.Duration, err error) {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		return 0, nil, nil
	}
	out, err := exec.Command("go", append([]string{"tool", "pprof", "-top", "-cum", "-nodecount=2000", binary}, files...)...).Output()
	if err != nil {
		return 0, nil, fmt.Errorf("go tool pprof %s: %w", pattern, err)
	}
	if m := totalSamples.FindSubmatch(out); m != nil {
		total, _ = time.ParseDuration(string(m[1]))
	}
	below = map[string]time.Duration{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		for _, name := range cum {
			if strings.HasSuffix(f[len(f)-1], name) {
				d, _ := time.ParseDuration(f[3])
				below[name] = max(below[name], d)
			}
		}
	}
	return total, below, nil
}

// printProfiles prints where bulwark's profiled runs spent their CPU, by
// process (the CLI, the engine's CLI runs, the provider plugins, the
// control plane, and the others the bench saw), and the up's timeline by
// resource type (its first and last step).
func printProfiles(dir, bulwark, pulumi string, r scaleRow) error {
	fmt.Printf("\nWhere bulwark's CPU went, from the profiles in %s (go tool pprof):\n\n", dir)
	fmt.Printf("  %-15s %8s %8s %22s %8s   %s\n", "", "wall", "CLI", "engine (PBKDF2)", "plugins", "others (/proc)")
	for _, verb := range []string{"plan", "up", enginePreview, "no-change", "destroy"} {
		m, ok := r.times[verb]
		if !ok {
			continue
		}
		prefix := filepath.Join(dir, verb)
		cli, _, err := profileCPU(bulwark, prefix+"-cli")
		if err != nil {
			return err
		}
		engine, below, err := profileCPU(pulumi, prefix+"-engine.*.cpu", "pbkdf2.Key")
		if err != nil {
			return err
		}
		plugins, _, err := profileCPU(bulwark, prefix+"-cli.plugin.*")
		if err != nil {
			return err
		}
		others := cpuLine(m)
		if i := strings.Index(others, "; others "); i >= 0 {
			others = others[i+len("; others "):]
		}
		fmt.Printf("  %-15s %8s %8s %22s %8s   %s\n", verb, m.wall.Round(10*time.Millisecond), cli,
			fmt.Sprintf("%s (%s)", engine, below["pbkdf2.Key"]), plugins, others)
	}
	plane, _, err := profileCPU(bulwark, filepath.Join(dir, "*-cli.plane.*"))
	if err != nil {
		return err
	}
	fmt.Printf("\n  the control plane, over all of them: %s\n", plane)
	fmt.Printf("\nThe up's timeline (bulwark up's step lines: the first and last step of each resource type):\n\n")
	for _, span := range upTimeline(r.upOutput) {
		fmt.Printf("  %7s – %-7s %5d  %s\n", span.first, span.last, span.n, span.typ)
	}
	return nil
}

// stepLine is a step line of bulwark's progress: elapsed, stack, symbol,
// operation, type, name.
var stepLine = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?(?:ms|s|m[\d.]+s))\s+\S+\s+\S+\s+(create|update|delete|replace)\s+(\S+)\s+\S+$`)

type span struct {
	typ         string
	first, last time.Duration
	n           int
}

// upTimeline is, per resource type, when an up's first and last step of
// it ended, in order of the first.
func upTimeline(out string) []span {
	byType := map[string]*span{}
	for _, line := range strings.Split(out, "\n") {
		m := stepLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.ParseDuration(m[1])
		if err != nil {
			continue
		}
		s, ok := byType[m[3]]
		if !ok {
			s = &span{typ: m[3], first: at}
			byType[m[3]] = s
		}
		s.first, s.last, s.n = min(s.first, at), max(s.last, at), s.n+1
	}
	spans := make([]span, 0, len(byType))
	for _, s := range byType {
		spans = append(spans, *s)
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].first < spans[j].first || spans[i].first == spans[j].first && spans[i].typ < spans[j].typ
	})
	return spans
}
