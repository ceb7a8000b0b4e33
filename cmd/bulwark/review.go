package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/layers"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/project"
	"github.com/bulwark-dev/bulwark/internal/review"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func runReview(ctx context.Context, args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("bulwark review", flag.ContinueOnError)
	fs.SetOutput(errOut)
	env := fs.String("env", "", "environment name, or all: every environment the change touches")
	base := fs.String("base", "", "the git revision the change starts from (a branch, tag or commit)")
	head := fs.String("head", "", "the git revision of the change (default: the working tree)")
	format := fs.String("format", "markdown", "output format: markdown or json")
	live := fs.Bool("live", false, "add the engine's preview of the working tree against each stack's state (local target only)")
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	switch {
	case *env == "" || *base == "":
		fmt.Fprintln(errOut, "bulwark review: --env and --base are required")
		return exitBadInput
	case *format != "markdown" && *format != "json":
		fmt.Fprintf(errOut, "bulwark review: --format must be markdown or json, not %q\n", *format)
		return exitBadInput
	case *live && *head != "":
		fmt.Fprintln(errOut, "bulwark review: --live previews the working tree; leave --head out")
		return exitBadInput
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark review: %v\n", err)
		return exitFailed
	}
	p, err := project.Find(wd)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark review: %v\n", err)
		return exitBadInput
	}
	git, err := review.Root(ctx, p.Root)
	if err != nil {
		fmt.Fprintf(errOut, "bulwark review: the project is not in a git repository: %v\n", err)
		return exitBadInput
	}
	rel, _ := filepath.Rel(git.Dir, p.Root)
	prefix := ""
	if rel != "." {
		prefix = filepath.ToSlash(rel) + "/"
	}
	r := reviewer{git: git, rel: rel, working: p.Root, errOut: errOut}
	if r.workingCode, err = review.CodeFingerprint(p.Root); err != nil {
		fmt.Fprintf(errOut, "bulwark review: %v\n", err)
		return exitFailed
	}
	baseSide, cleanup, err := r.revision(ctx, *base)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(errOut, "bulwark review: base: %v\n", err)
		return exitBadInput
	}
	headSide := revision{label: "working tree", dir: p.Root}
	if *head != "" {
		var cleanupHead func()
		headSide, cleanupHead, err = r.revision(ctx, *head)
		defer cleanupHead()
		if err != nil {
			fmt.Fprintf(errOut, "bulwark review: head: %v\n", err)
			return exitBadInput
		}
	}

	envs := []string{*env}
	if *env == "all" {
		changed, err := git.Changed(ctx, *base, *head)
		if err != nil {
			fmt.Fprintf(errOut, "bulwark review: %v\n", err)
			return exitFailed
		}
		every := environmentNames(baseSide.dir, headSide.dir)
		envs = review.TouchedEnvironments(changed, prefix, every)
		fmt.Fprintf(errOut, "review: %d changed files touch %d of %d environments: %s\n", len(changed), len(envs), len(every), strings.Join(envs, ", "))
	}
	var reviews []reviewed
	for _, e := range envs {
		before, code := r.side(ctx, baseSide, e)
		if code != exitOK {
			return code
		}
		after, code := r.side(ctx, headSide, e)
		if code != exitOK {
			return code
		}
		tgt := targetNamed(topology.Target(after.Target), target.Options{})
		rv := review.Diff(before, after, tgt.ReplaceKeys)
		if *live {
			rv.Live = livePreview(ctx, e, tgt, enginePreview, errOut)
		}
		losses := reviewDataLoss(before, after, rv)
		if len(losses) > 0 {
			fmt.Fprintf(errOut, "review: the change to %s would destroy the data of %s; the comment names it first\n", e, resources(len(losses)))
		}
		reviews = append(reviews, reviewed{Review: rv, DataLoss: append([]plan.DataLoss{}, losses...)})
	}
	if *format == "json" {
		return writeJSON(out, errOut, reviews)
	}
	fmt.Fprint(out, reviewMarkdown(reviews))
	return exitOK
}

// revision is one side's project folder and its label.
type revision struct {
	label, dir string
	// inProcess: its code is the working tree's, so this bulwark plans it.
	inProcess bool
	built     string // its own bulwark, built on first use
}

type reviewer struct {
	git                  review.Git
	rel                  string // the project's folder inside the repository
	working, workingCode string
	errOut               io.Writer
}

func (r *reviewer) revision(ctx context.Context, ref string) (revision, func(), error) {
	label, err := r.git.Label(ctx, ref)
	if err != nil {
		return revision{}, func() {}, err
	}
	dir, cleanup, err := r.git.Checkout(ctx, ref)
	if err != nil {
		return revision{}, cleanup, err
	}
	rev := revision{label: label, dir: filepath.Join(dir, r.rel)}
	code, err := review.CodeFingerprint(rev.dir)
	if err != nil {
		return rev, cleanup, err
	}
	rev.inProcess = code == r.workingCode
	if !rev.inProcess {
		fmt.Fprintf(r.errOut, "review: %s has other code than the working tree: planning it with its own bulwark\n", label)
	}
	return rev, cleanup, nil
}

func environmentNames(dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "environments", "*.hcl"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".hcl")
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// side plans an environment at a revision. An environment the revision
// does not have is an empty side: everything in the other is added or removed.
func (r *reviewer) side(ctx context.Context, rev revision, env string) (*review.Side, int) {
	path := filepath.Join(rev.dir, "environments", env+".hcl")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return &review.Side{Label: rev.label}, exitOK
	}
	fmt.Fprintf(r.errOut, "review: planning %s at %s\n", env, rev.label)
	var s *review.Side
	if rev.inProcess || rev.dir == r.working {
		p, err := project.Find(rev.dir)
		if err != nil {
			fmt.Fprintf(r.errOut, "bulwark review: %s: %v\n", rev.label, err)
			return nil, exitFailed
		}
		t, err := p.LoadEnvironment(env)
		if err != nil {
			fmt.Fprintf(r.errOut, "bulwark review: %s at %s does not load:\n", env, rev.label)
			var de *topology.DiagnosticsError
			if errors.As(err, &de) {
				writeDiagnostics(r.errOut, de, path)
			} else {
				fmt.Fprintln(r.errOut, err)
			}
			return nil, exitBadInput
		}
		pl, bill, j, code := planPriceAndJudge(ctx, p, t, r.errOut, true)
		if pl == nil {
			return nil, code
		}
		if s, err = review.NewSide(rev.label, pl, j.Results, j.Assessment, j.Reason, nil); err != nil {
			fmt.Fprintf(r.errOut, "bulwark review: %v\n", err)
			return nil, exitFailed
		}
		s.Cost = bill
	} else {
		doc, code := r.planWithOwnBulwark(ctx, &rev, env)
		if code != exitOK {
			return nil, code
		}
		var err error
		if s, err = review.ParseSide(rev.label, doc); err != nil {
			fmt.Fprintf(r.errOut, "bulwark review: %v\n", err)
			return nil, exitFailed
		}
	}
	s.RelativeTo(rev.dir)
	// the file's own declarations (no image catalog: names are all this needs)
	l := &topology.Loader{Root: rev.dir}
	t, err := l.LoadFile(path)
	if err != nil {
		t = nil // planned by the revision's own bulwark, which reads it; this one may not
	}
	if targetNamed(topology.Target(s.Target), target.Options{}).UsesImageManifests() {
		s.Images = manifestsOf(rev.dir, t)
	}
	if t != nil && len(t.Layers) > 0 {
		tf, _ := layers.Find(r.working)
		fmt.Fprintf(r.errOut, "review: planning the Terraform layers of %s at %s\n", env, rev.label)
		review.AddLayerPlans(ctx, s, t, tf)
	}
	return s, exitOK
}

// planWithOwnBulwark builds the revision's bulwark and runs its plan.
func (r *reviewer) planWithOwnBulwark(ctx context.Context, rev *revision, env string) ([]byte, int) {
	if rev.built == "" {
		bin := filepath.Join(filepath.Dir(rev.dir), "bulwark-of-revision")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bulwark")
		build.Dir = rev.dir
		if msg, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(r.errOut, "bulwark review: build bulwark at %s: %v\n%s", rev.label, err, msg)
			return nil, exitFailed
		}
		rev.built = bin
	}
	cmd := exec.CommandContext(ctx, rev.built, "plan", "--env", env, "--format", "json")
	cmd.Dir = rev.dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == exitFailed && out.Len() > 0) { // 1: mandatory violations, still a plan
		fmt.Fprintf(r.errOut, "bulwark review: plan of %s at %s: %v\n%s", env, rev.label, err, errOut.String())
		if errors.As(err, &exit) && exit.ExitCode() == exitBadInput {
			return nil, exitBadInput
		}
		return nil, exitFailed
	}
	return out.Bytes(), exitOK
}

// manifestsOf reads the image manifests an environment's services use
// (every manifest when the file could not be read here), for a target
// that deploys golden images (the local target builds its images from
// source).
func manifestsOf(dir string, t *topology.Topology) map[string]*imagemanifest.Manifest {
	images := filepath.Join(dir, "images")
	names := map[string]bool{}
	if t != nil {
		for _, s := range t.Services {
			names[s.Image] = true
		}
	} else {
		files, _ := filepath.Glob(filepath.Join(images, "*", imagemanifest.FileName))
		for _, f := range files {
			names[filepath.Base(filepath.Dir(f))] = true
		}
	}
	out := map[string]*imagemanifest.Manifest{}
	for name := range names {
		if m, err := imagemanifest.Load(images, name); err == nil {
			out[name] = m
		}
	}
	return out
}

// livePreview runs the engine's preview of the working tree against each
// stack's state, where the engine can do it without credentials.
func livePreview(ctx context.Context, env string, tgt target.Target, preview func(ctx context.Context, env string) (string, int), errOut io.Writer) map[string]string {
	if !tgt.PreviewsOffline() {
		return map[string]string{"(none)": "not previewed: the " + string(tgt.Name()) + " target needs cloud credentials for a preview"}
	}
	text, code := preview(ctx, env)
	if code != exitOK {
		fmt.Fprintf(errOut, "review: the engine's preview of %s failed (exit %d)\n", env, code)
		text = fmt.Sprintf("preview failed (exit %d):\n%s", code, text)
	}
	return map[string]string{"every stack": text}
}

// enginePreview is `bulwark preview --env E`, its output captured.
func enginePreview(ctx context.Context, env string) (string, int) {
	var buf bytes.Buffer
	code := engineVerb(engine.OpPreview)(ctx, []string{"--env", env}, &buf, &buf)
	return buf.String(), code
}
