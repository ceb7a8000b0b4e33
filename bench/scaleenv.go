package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/envgen"
	"github.com/bulwark-dev/bulwark/internal/localcloud"
	"github.com/bulwark-dev/bulwark/internal/orchestrate"
)

// scaleSize is the generated environment of about n resources: three
// regions, up to 20 light services (one instance each, no database: their
// programs are not what is measured), and as many parameters per service
// as make up the count. A region holds 2 resources and each service 4 plus
// its parameters there; the global stack 5 and a DNS record per service.
func scaleSize(n int) envgen.Size {
	services := min(20, max(1, n/75))
	params := max(0, (n-3*2-5-services*(3*4+1))/(3*services))
	return envgen.Size{Regions: 3, Services: services, Parameters: params, Light: true}
}

// bulwarkLever is one way of running bulwark on the generated environment.
type bulwarkLever struct {
	label string
	env   []string
	args  []string // for up, preview and destroy
	// profile, when set, is the folder each verb's CPU profiles go to
	// (profile.go), with an engine preview of no change profiled too.
	profile string
}

// bulwarkLevers are the local target's defaults, then each lever undone.
func bulwarkLevers() []bulwarkLever {
	return []bulwarkLever{
		{label: "bulwark, local defaults"},
		{label: "  with the engine's parallelism", args: []string{"--engine-parallel", "8"}}, // its default: 4 per core, 2 cores
		{label: "  with a checkpoint every step", env: []string{engine.CheckpointsEnv + "=" + string(engine.CheckpointEveryStep)}},
	}
}

var changedRow = regexp.MustCompile(`\b(create|update|replace|delete)\b`)

// scaleBulwark plans (offline), ups, previews and destroys the generated
// environment of about n resources with bin, in a scratch project inside
// the repository (its image is a copy of images/shop, built by the control
// plane as any image) and a scratch state directory, whose control plane
// it stops at the end.
func scaleBulwark(bin, repo string, n int, lever bulwarkLever) (scaleRow, error) {
	size := scaleSize(n)
	// inside the module, so the image builds; "_" keeps it out of ./...
	project, err := os.MkdirTemp(filepath.Join(repo, "bin"), "_scale-")
	if err != nil {
		return scaleRow{}, err
	}
	defer os.RemoveAll(project)
	if _, err := envgen.WriteProject(project, size); err != nil {
		return scaleRow{}, err
	}
	shop, _ := filepath.Glob(filepath.Join(repo, "images", "shop", "*.go"))
	for _, f := range shop {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return scaleRow{}, err
		}
		if err := os.WriteFile(filepath.Join(project, "images", "shop", filepath.Base(f)), b, 0o644); err != nil {
			return scaleRow{}, err
		}
	}
	state, err := os.MkdirTemp("", "bulwark-bench-scale-")
	if err != nil {
		return scaleRow{}, err
	}
	defer os.RemoveAll(state)
	plane := localcloud.Dir(state)
	defer os.RemoveAll(localcloud.DataRoot(plane))
	defer localcloud.Stop(context.Background(), plane) //nolint:errcheck // best effort at exit
	env := append([]string{"BULWARK_STATE_DIR=" + state}, lever.env...)
	name := size.Name()
	row := scaleRow{label: lever.label, times: map[string]measurement{}, profile: lever.profile}

	profiled := func(verb string) []string {
		if lever.profile == "" {
			return env
		}
		return append(slices.Clone(env), profileEnv(lever.profile, verb)...)
	}
	m, out, err := measure(project, profiled("plan"), bin, "plan", "--env", name, "--format", "json")
	if err != nil {
		return row, fmt.Errorf("plan %s: %w", name, err)
	}
	row.n, row.times["plan"] = countResources(out), m
	steps := []struct{ verb, cmd string }{{"up", "up"}, {"no-change", "preview"}, {"destroy", "destroy"}}
	if lever.profile != "" { // the engine's own no-change preview, profiled, not in the table
		steps = slices.Insert(steps, 2, struct{ verb, cmd string }{enginePreview, "preview"})
	}
	for _, s := range steps {
		args := append([]string{s.cmd, "--env", name}, lever.args...)
		switch s.verb {
		case "destroy":
			args = append(args, "--yes")
		case enginePreview:
			args = append(args, "--engine")
		}
		var ms []measurement
		for range noChangeRuns(s.verb) {
			m, out, err := measure(project, profiled(s.verb), bin, args...)
			if s.verb == "up" {
				row.upOutput = string(out)
			}
			if err != nil {
				return row, fmt.Errorf("%s %s: %w\n%s", s.cmd, name, err, out)
			}
			if s.verb == "no-change" {
				for _, r := range orchestrate.TableRows(string(out)) {
					if changedRow.MatchString(r) {
						return row, fmt.Errorf("a preview after up shows changes: %s", r)
					}
				}
			}
			ms = append(ms, m)
		}
		row.times[s.verb] = median(ms)
	}
	return row, nil
}
