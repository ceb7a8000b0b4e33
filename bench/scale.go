package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// scaleRow is one way of deploying N resources, timed verb by verb.
type scaleRow struct {
	label string
	n     int
	times map[string]measurement // plan, up, no-change, destroy (and engine-preview, profiled)
	// upOutput is bulwark's up's standard output: a line per step, timed;
	// profile, the folder of its runs' profiles (none: "").
	upOutput, profile string
}

// scaleVerbs are the table's columns, in order.
var scaleVerbs = []string{"plan", "up", "no-change", "destroy"}

// runScale deploys N resources three ways on this machine and prints one
// table: Terraform (terraform_data), one Pulumi stack of the project's
// Data resource with PULUMI_SKIP_CHECKPOINTS, and bulwark with its
// defaults on a generated local environment of about N resources over
// three regional stacks and the global one. allLevers adds the rows that
// undo one lever each (the engine's default checkpoints for the Pulumi
// stack; the engine's parallelism, a checkpoint every step and a preview
// that always runs the engine for bulwark): minutes more at 1,500. A
// missing Terraform skips its rows. The machine's load is printed before
// and after, since every figure is a wall time on shared cores.
func runScale(terraform, scalestack, bulwark, root string, sizes []int, allLevers bool, profile string) error {
	for _, p := range []*string{&terraform, &scalestack, &bulwark, &root} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if terraform != "" {
		if _, err := os.Stat(terraform); err != nil {
			fmt.Fprintf(os.Stderr, "bench: no Terraform at %s (make bench builds v1.5.7 there): its rows are skipped\n", terraform)
			terraform = ""
		}
	}
	loadBefore := loadAverage()
	var rows []scaleRow
	for _, n := range sizes {
		if terraform != "" {
			r, err := scaleTerraform(terraform, n)
			if err != nil {
				return fmt.Errorf("terraform, %d resources: %w", n, err)
			}
			rows = append(rows, r)
		}
		pulumiLevers := []struct {
			label string
			env   []string
		}{
			{"pulumi stack, skip checkpoints", []string{"PULUMI_SKIP_CHECKPOINTS=true"}},
		}
		if allLevers {
			pulumiLevers = append(pulumiLevers, struct {
				label string
				env   []string
			}{"pulumi stack", nil})
		}
		for _, lever := range pulumiLevers {
			r, err := scalePulumi(scalestack, root, n, lever.label, lever.env)
			if err != nil {
				return fmt.Errorf("%s, %d resources: %w", lever.label, n, err)
			}
			rows = append(rows, r)
		}
		levers := bulwarkLevers()
		if !allLevers {
			levers = levers[:1]
		}
		if profile != "" {
			levers[0].profile = filepath.Join(profile, fmt.Sprint(n))
			if err := os.MkdirAll(levers[0].profile, 0o755); err != nil {
				return err
			}
		}
		for _, lever := range levers {
			fmt.Fprintf(os.Stderr, "bench: %s, %s...\n", lever.label, scaleSize(n).Name())
			r, err := scaleBulwark(bulwark, root, n, lever)
			if err != nil {
				return fmt.Errorf("%s, %d resources: %w", lever.label, n, err)
			}
			rows = append(rows, r)
		}
	}
	fmt.Printf("\nDeploying N resources, one run each: Terraform's terraform_data and one Pulumi stack of bulwark:local:Data, trivial; bulwark, a generated\n" +
		"local environment (3 regions, light services: an instance, a load balancer and parameters each, DNS) whose up starts real programs.\n" +
		"plan: terraform plan / pulumi preview of nothing deployed / bulwark's offline plan; no-change: a plan or preview after up (Terraform's and bulwark's: the median of 3)\n\n")
	fmt.Printf("%-32s %6s", "", "N")
	for _, v := range scaleVerbs {
		fmt.Printf(" %10s", v)
	}
	fmt.Printf(" %12s\n", "peak RSS")
	for _, r := range rows {
		fmt.Printf("%-32s %6d", r.label, r.n)
		for _, v := range scaleVerbs {
			fmt.Printf(" %10s", r.times[v].wall.Round(10*time.Millisecond))
		}
		fmt.Printf(" %8.1f MiB\n", float64(r.peak())/1024)
	}
	fmt.Printf("\nThe machine: %s before the table, %s after.\n", loadBefore, loadAverage())
	fmt.Printf("\nWhere the CPU went in bulwark's runs (%d cores; the command with the engine and plugins it ran, then every other process meanwhile):\n", runtime.NumCPU())
	for _, r := range rows {
		if !strings.HasPrefix(r.label, "bulwark") {
			continue
		}
		for _, v := range scaleVerbs {
			m := r.times[v]
			fmt.Printf("  %-10s %8s wall: %s\n", v, m.wall.Round(10*time.Millisecond), cpuLine(m))
		}
	}
	if missed := printScaleTargets(rows); missed > 0 {
		fmt.Printf("\n%d target(s) missed.\n", missed)
	}
	if profile != "" {
		for _, r := range rows {
			if r.profile != "" {
				if err := printProfiles(r.profile, bulwark, filepath.Join(root, "bin", "pulumi"), r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// scaleTarget is one of the targets at 1,500 resources: bulwark's figure
// over Terraform's, measured in the same run, at most limit.
type scaleTarget struct {
	what      string
	bulwark   string // the verb of bulwark's row
	terraform string // the verb of Terraform's row
	limit     float64
	limitSaid string
	memory    bool // peak RSS instead of wall time
}

// scaleTargets are issue 28's: a no-change preview faster than Terraform's
// no-change plan; up and destroy in a third of Terraform's apply; the
// offline plan in a tenth of Terraform's plan; peak memory at most
// Terraform's.
var scaleTargets = []scaleTarget{
	{what: "no-change preview / terraform no-change plan", bulwark: "no-change", terraform: "no-change", limit: 1, limitSaid: "1"},
	{what: "up / terraform apply", bulwark: "up", terraform: "up", limit: 1.0 / 3, limitSaid: "1/3"},
	{what: "destroy / terraform apply", bulwark: "destroy", terraform: "up", limit: 1.0 / 3, limitSaid: "1/3"},
	{what: "offline plan / terraform plan", bulwark: "plan", terraform: "plan", limit: 1.0 / 10, limitSaid: "1/10"},
	{what: "peak RSS / terraform's", memory: true, limit: 1, limitSaid: "1"},
}

// printScaleTargets judges bulwark's defaults against Terraform measured in
// the same run, as ratios, at the largest N when that is 1,500 or more. It
// returns how many targets were missed.
func printScaleTargets(rows []scaleRow) int {
	var tf, bw *scaleRow
	for i := range rows {
		switch {
		case strings.HasPrefix(rows[i].label, "terraform"):
			tf = &rows[i]
		case rows[i].label == bulwarkLevers()[0].label:
			bw = &rows[i]
		}
	}
	if tf == nil || bw == nil || tf.n < 1500 {
		return 0 // the targets are for 1,500 resources
	}
	fmt.Printf("\nTargets at 1,500 (bulwark at %d resources, Terraform at %d, both measured in this run):\n\n", bw.n, tf.n)
	fmt.Printf("  %-46s %10s %10s %7s %7s  %s\n", "", "bulwark", "terraform", "ratio", "target", "verdict")
	missed := 0
	for _, t := range scaleTargets {
		var b, f float64
		var bs, fs string
		if t.memory {
			b, f = float64(bw.peak()), float64(tf.peak())
			bs, fs = fmt.Sprintf("%.0f MiB", b/1024), fmt.Sprintf("%.0f MiB", f/1024)
		} else {
			bd, fd := bw.times[t.bulwark].wall, tf.times[t.terraform].wall
			b, f = bd.Seconds(), fd.Seconds()
			bs, fs = bd.Round(10*time.Millisecond).String(), fd.Round(10*time.Millisecond).String()
		}
		ratio := b / f
		verdict := "met"
		if f == 0 || ratio > t.limit {
			verdict, missed = "MISSED", missed+1
		}
		fmt.Printf("  %-46s %10s %10s %7.2f %7s  %s\n", t.what, bs, fs, ratio, "<= "+t.limitSaid, verdict)
	}
	return missed
}

// peak is the row's largest peak RSS over its verbs, in KiB.
func (r scaleRow) peak() int64 {
	var peak int64
	for _, v := range scaleVerbs {
		peak = max(peak, r.times[v].maxRSS)
	}
	return peak
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes and
// its core count, as a sentence ("" when /proc is not there).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return fmt.Sprintf("load average %s %s %s on %d cores", f[0], f[1], f[2], runtime.NumCPU())
}

// scaleTerraform plans, applies, plans again and destroys N terraform_data
// resources in a scratch root module with local state.
func scaleTerraform(terraform string, n int) (scaleRow, error) {
	dir, err := os.MkdirTemp("", "bulwark-bench-tf-")
	if err != nil {
		return scaleRow{}, err
	}
	defer os.RemoveAll(dir)
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "resource \"terraform_data\" \"d%04d\" {\n  input = \"v1\"\n}\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		return scaleRow{}, err
	}
	env := []string{"TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=/dev/null"}
	if _, _, err := measure(dir, env, terraform, "init", "-input=false", "-no-color"); err != nil {
		return scaleRow{}, err
	}
	row := scaleRow{label: "terraform " + terraformVersion(terraform), n: n, times: map[string]measurement{}}
	steps := []struct {
		verb string
		args []string
	}{
		{"plan", []string{"plan", "-input=false", "-no-color", "-refresh=false"}},
		{"up", []string{"apply", "-input=false", "-no-color", "-auto-approve"}},
		{"no-change", []string{"plan", "-input=false", "-no-color", "-detailed-exitcode"}},
		{"destroy", []string{"destroy", "-input=false", "-no-color", "-auto-approve"}},
	}
	for _, s := range steps {
		var ms []measurement
		for range noChangeRuns(s.verb) {
			m, out, err := measure(dir, env, terraform, s.args...)
			if err != nil {
				return scaleRow{}, err
			}
			if s.verb == "no-change" && !strings.Contains(string(out), "No changes") {
				return scaleRow{}, fmt.Errorf("a plan after apply shows changes:\n%s", out)
			}
			ms = append(ms, m)
		}
		row.times[s.verb] = median(ms)
	}
	return row, nil
}

// noChangeRuns is how often a verb is timed: a no-change plan or preview
// takes a second or two and varies most with the machine's other load, so
// both Terraform's and bulwark's are the median of three.
func noChangeRuns(verb string) int {
	if verb == "no-change" {
		return 3
	}
	return 1
}

// median is the measurement of median wall time (the later of two middles).
func median(ms []measurement) measurement {
	ms = slices.Clone(ms)
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2]
}

func terraformVersion(terraform string) string {
	_, out, err := measure(".", nil, terraform, "version")
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimPrefix(first, "Terraform ")
}

// scalePulumi previews, ups, previews again and destroys one stack of N
// Data resources (bench/scalestack) in a scratch file backend.
func scalePulumi(scalestack, root string, n int, label string, env []string) (scaleRow, error) {
	state, err := os.MkdirTemp("", "bulwark-bench-pulumi-")
	if err != nil {
		return scaleRow{}, err
	}
	defer os.RemoveAll(state)
	row := scaleRow{label: label, n: n, times: map[string]measurement{}}
	var extra []string
	for _, e := range env {
		extra = append(extra, "-env", e)
	}
	for _, s := range []struct{ verb, op, want string }{
		{"plan", "preview", fmt.Sprintf("create:%d", n+1)},
		{"up", "up", fmt.Sprintf("create:%d", n+1)},
		{"no-change", "preview", fmt.Sprintf("same:%d", n+1)},
		{"destroy", "destroy", fmt.Sprintf("delete:%d", n+1)},
	} {
		args := append([]string{"-root", root, "-state", state, "-n", fmt.Sprint(n), "-verb", s.op}, extra...)
		m, out, err := measure(root, []string{"BULWARK_PASSPHRASE="}, scalestack, args...)
		if err != nil {
			return scaleRow{}, err
		}
		if got := strings.TrimSpace(string(out)); got != "map["+s.want+"]" {
			return scaleRow{}, fmt.Errorf("%s: changes %s, want %s", s.verb, got, s.want)
		}
		row.times[s.verb] = m
	}
	return row, nil
}
