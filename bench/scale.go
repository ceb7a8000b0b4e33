package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// scaleRow is one way of deploying N resources, timed verb by verb.
type scaleRow struct {
	label string
	n     int
	times map[string]measurement // plan, up, no-change, destroy
}

// scaleVerbs are the table's columns, in order.
var scaleVerbs = []string{"plan", "up", "no-change", "destroy"}

// runScale deploys N resources three ways on this machine and prints one
// table: Terraform (terraform_data), one Pulumi stack of the project's
// Data resource with the engine's default checkpoints and with
// PULUMI_SKIP_CHECKPOINTS, and bulwark on a generated local environment of
// about N resources over three regional stacks and the global one, with
// its defaults and with each of its levers undone. A missing Terraform
// skips its rows.
func runScale(terraform, scalestack, bulwark, root string, sizes []int) error {
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
	var rows []scaleRow
	for _, n := range sizes {
		if terraform != "" {
			r, err := scaleTerraform(terraform, n)
			if err != nil {
				return fmt.Errorf("terraform, %d resources: %w", n, err)
			}
			rows = append(rows, r)
		}
		for _, lever := range []struct {
			label string
			env   []string
		}{
			{"pulumi stack", nil},
			{"pulumi stack, skip checkpoints", []string{"PULUMI_SKIP_CHECKPOINTS=true"}},
		} {
			r, err := scalePulumi(scalestack, root, n, lever.label, lever.env)
			if err != nil {
				return fmt.Errorf("%s, %d resources: %w", lever.label, n, err)
			}
			rows = append(rows, r)
		}
		for _, lever := range bulwarkLevers() {
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
		"plan: terraform plan / pulumi preview of nothing deployed / bulwark's offline plan; no-change: a plan or preview after up (bulwark's: the median of 3)\n\n")
	fmt.Printf("%-32s %6s", "", "N")
	for _, v := range scaleVerbs {
		fmt.Printf(" %10s", v)
	}
	fmt.Printf(" %12s\n", "peak RSS")
	for _, r := range rows {
		fmt.Printf("%-32s %6d", r.label, r.n)
		var peak int64
		for _, v := range scaleVerbs {
			m := r.times[v]
			fmt.Printf(" %10s", m.wall.Round(10*time.Millisecond))
			peak = max(peak, m.maxRSS)
		}
		fmt.Printf(" %8.1f MiB\n", float64(peak)/1024)
	}
	printScaleTargets(rows)
	return nil
}

// printScaleTargets judges bulwark's defaults against Terraform at the
// largest N measured, when that is 1,500 or more: up and destroy faster than Terraform's apply, a
// no-change preview under 3 s, the offline plan faster than Terraform's.
func printScaleTargets(rows []scaleRow) {
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
		return // the targets are for 1,500 resources
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	apply, plan := tf.times["up"].wall, tf.times["plan"].wall
	fmt.Printf("\nTargets (bulwark at %d resources, Terraform at %d):\n", bw.n, tf.n)
	fmt.Printf("  up %s < terraform apply %s: %s\n", bw.times["up"].wall.Round(10*time.Millisecond), apply.Round(10*time.Millisecond), verdict(bw.times["up"].wall < apply))
	fmt.Printf("  destroy %s < terraform apply %s: %s\n", bw.times["destroy"].wall.Round(10*time.Millisecond), apply.Round(10*time.Millisecond), verdict(bw.times["destroy"].wall < apply))
	fmt.Printf("  no-change preview %s < 3s: %s\n", bw.times["no-change"].wall.Round(10*time.Millisecond), verdict(bw.times["no-change"].wall < 3*time.Second))
	fmt.Printf("  plan %s < terraform plan %s: %s\n", bw.times["plan"].wall.Round(10*time.Millisecond), plan.Round(10*time.Millisecond), verdict(bw.times["plan"].wall < plan))
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
		m, out, err := measure(dir, env, terraform, s.args...)
		if err != nil {
			return scaleRow{}, err
		}
		if s.verb == "no-change" && !strings.Contains(string(out), "No changes") {
			return scaleRow{}, fmt.Errorf("a plan after apply shows changes:\n%s", out)
		}
		row.times[s.verb] = m
	}
	return row, nil
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
