package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/envgen"
)

func main() {
	bulwark := flag.String("bulwark", "bin/bulwark", "the bulwark binary to measure")
	runs := flag.Int("runs", 5, "runs per case (after one warm-up run)")
	localRuns := flag.Int("local-runs", 3, "deploy/destroy cycles of environments/dev.hcl on the local target (0 skips)")
	terraform := flag.String("terraform", "bin/terraform-v1.5.7/terraform", "the Terraform the scale table compares with (\"\" skips it)")
	scalestack := flag.String("scalestack", "bin/scalestack", "the one-stack Pulumi driver (bench/scalestack)")
	scale := flag.String("scale", "100,1500", "resource counts of the scale table (\"\" skips it)")
	allLevers := flag.Bool("levers", false, "add the scale table's rows that undo one lever each (minutes more)")
	profile := flag.String("profile", "", "a folder: profile bulwark's runs of the scale table (CLI, engine, plugins, control plane) there and print where their CPU went")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1")
		os.Exit(2)
	}
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: -profile: %v\n", err)
			os.Exit(2)
		}
		*profile = abs
	}
	if *scale != "" {
		var sizes []int
		for _, f := range strings.Split(*scale, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
				fmt.Fprintf(os.Stderr, "bench: -scale %q: want counts like 100,1500\n", *scale)
				os.Exit(2)
			}
			sizes = append(sizes, n)
		}
		if err := runScale(*terraform, *scalestack, *bulwark, ".", sizes, *allLevers, *profile); err != nil {
			fmt.Fprintf(os.Stderr, "bench: scale: %v\n", err)
			os.Exit(1)
		}
	}
	if err := run(*bulwark, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	if *localRuns > 0 {
		if err := runLocal(*bulwark, *localRuns); err != nil {
			fmt.Fprintf(os.Stderr, "bench: local target: %v\n", err)
			os.Exit(1)
		}
	}
}

type measurement struct {
	wall   time.Duration
	maxRSS int64 // KiB
	// cpu is the command's CPU time with its children's (user + system);
	// others, what every other process used meanwhile, by program (cpu.go).
	cpu    time.Duration
	others map[string]time.Duration
}

func run(bin string, runs int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bulwark-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sizes := []envgen.Size{{Regions: 1, Services: 1}, {Regions: 3, Services: 20}, {Regions: 6, Services: 50}}
	paths, err := envgen.WriteProject(dir, sizes...)
	if err != nil {
		return err
	}
	fmt.Printf("Offline plan (bulwark plan --format json), warm, %d runs each\n\n", runs)
	fmt.Printf("%-8s %10s %10s %10s %10s %12s  %s\n", "env", "resources", "median", "min", "max", "peak RSS", "target")
	for i, size := range sizes {
		target := ""
		if size == (envgen.Size{Regions: 3, Services: 20}) {
			target = "< 2s"
		}
		if err := benchPlan(size.String(), dir, bin, paths[i], runs, target, 2*time.Second); err != nil {
			return err
		}
	}
	// the repository's prod environment: aws, 3 regions, every module
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := benchPlan("prod/aws", wd, bin, "prod", runs, "", 0); err != nil {
		return err
	}
	return benchReview(wd, bin, runs)
}

// benchReview times `bulwark review --env prod --base HEAD` in a scratch
// git repository holding the project's environments and images (no code of
// its own, so both revisions are planned in process), with prod's capacity
// changed in the working tree.
func benchReview(wd, bin string, runs int) error {
	repo, err := os.MkdirTemp("", "bulwark-bench-review-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(repo)
	if err := os.CopyFS(filepath.Join(repo, "environments"), os.DirFS(filepath.Join(wd, "environments"))); err != nil {
		return err
	}
	for _, dir := range []string{"images", "layers"} {
		if err := os.CopyFS(filepath.Join(repo, dir), os.DirFS(filepath.Join(wd, dir))); err != nil {
			return err
		}
	}
	yaml, err := os.ReadFile(filepath.Join(wd, "Pulumi.yaml"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(repo, "Pulumi.yaml"), yaml, 0o644); err != nil {
		return err
	}
	git := func(args ...string) error {
		cmd := exec.Command("git", append([]string{"-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v: %s", args, err, out)
		}
		return nil
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "base"}} {
		if err := git(args...); err != nil {
			return err
		}
	}
	prod := filepath.Join(repo, "environments", "prod.hcl")
	b, err := os.ReadFile(prod)
	if err != nil {
		return err
	}
	if err := os.WriteFile(prod, bytes.Replace(b, []byte("max     = 12"), []byte("max     = 16"), 1), 0o644); err != nil {
		return err
	}
	var ms []measurement
	for r := 0; r <= runs; r++ {
		m, out, err := measure(repo, nil, bin, "review", "--env", "prod", "--base", "main")
		if err != nil {
			return fmt.Errorf("review: %w", err)
		}
		if !bytes.Contains(out, []byte("to update")) {
			return fmt.Errorf("review of prod shows no change:\n%s", out)
		}
		if r > 0 {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(a, b int) bool { return ms[a].wall < ms[b].wall })
	var peak int64
	for _, m := range ms {
		peak = max(peak, m.maxRSS)
	}
	verdict := "met"
	if median(ms).wall >= 5*time.Second {
		verdict = "MISSED"
	}
	fmt.Printf("\nReview of a change (bulwark review --env prod --base main: both revisions planned), warm, %d runs\n\n", runs)
	fmt.Printf("%-8s %10s %10s %10s %10s %12s  %s\n", "env", "", "median", "min", "max", "peak RSS", "target")
	fmt.Printf("%-8s %10s %10s %10s %10s %9.1f MiB  %s\n", "prod/aws", "", ms[len(ms)/2].wall.Round(time.Millisecond),
		ms[0].wall.Round(time.Millisecond), ms[len(ms)-1].wall.Round(time.Millisecond), float64(peak)/1024, "< 5s: "+verdict)
	return nil
}

// benchPlan times runs warm plans of one environment and prints a row.
func benchPlan(label, dir, bin, env string, runs int, target string, limit time.Duration) error {
	var ms []measurement
	var resources int
	for r := 0; r <= runs; r++ {
		m, out, err := measure(dir, nil, bin, "plan", "--env", env, "--format", "json")
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1 && json.Valid(out)) {
			// exit 1 is a policy verdict (a one-region environment violates
			// region-count): the plan was made, and that is what is timed
			return fmt.Errorf("%s: %w", label, err)
		}
		if r == 0 {
			resources = countResources(out)
			continue // warm-up
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(a, b int) bool { return ms[a].wall < ms[b].wall })
	var peak int64
	for _, m := range ms {
		peak = max(peak, m.maxRSS)
	}
	if target != "" {
		verdict := "met"
		if ms[len(ms)/2].wall >= limit {
			verdict = "MISSED"
		}
		target += ": " + verdict
	}
	fmt.Printf("%-8s %10d %10s %10s %10s %9.1f MiB  %s\n", label, resources,
		ms[len(ms)/2].wall.Round(time.Millisecond), ms[0].wall.Round(time.Millisecond), ms[len(ms)-1].wall.Round(time.Millisecond),
		float64(peak)/1024, target)
	return nil
}

// measure runs bin in dir (with env added to this process's environment)
// and returns its wall time, peak memory and standard output.
func measure(dir string, env []string, bin string, args ...string) (measurement, []byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer // progress; shown only when the command fails, to keep the tables readable
	cmd.Stderr = &stderr
	before := snapshotCPU()
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	m := measurement{wall: wall, others: othersCPU(before, snapshotCPU(), os.Getpid())}
	if cmd.ProcessState != nil { // a policy verdict's exit 1 still ran the whole plan
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.maxRSS = ru.Maxrss
		}
		m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return m, out, fmt.Errorf("%s %v: %w\n%s", bin, args, err, stderr.Bytes())
	}
	return m, out, nil
}

func countResources(planJSON []byte) int {
	var p struct {
		Stacks []struct {
			Resources []json.RawMessage `json:"resources"`
		} `json:"stacks"`
	}
	if json.Unmarshal(planJSON, &p) != nil {
		return -1
	}
	n := 0
	for _, s := range p.Stacks {
		n += len(s.Resources)
	}
	return n
}
