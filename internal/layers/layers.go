package layers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

var (
	// ErrNoTerraform is returned when no Terraform binary is found.
	ErrNoTerraform = errors.New("no terraform binary")
	// ErrTerraform is wrapped by every failed Terraform command.
	ErrTerraform = errors.New("terraform failed")
)

// Find returns the Terraform (or OpenTofu) binary to run: $BULWARK_TERRAFORM,
// else bin/terraform under the project root (`make terraform` builds
// v1.5.7 there from source), else terraform or tofu on PATH.
func Find(projectRoot string) (string, error) {
	if p := os.Getenv("BULWARK_TERRAFORM"); p != "" {
		return p, nil
	}
	if p := filepath.Join(projectRoot, "bin", "terraform"); isExecutable(p) {
		return p, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: set BULWARK_TERRAFORM, put terraform or tofu on PATH, or run `make terraform`", ErrNoTerraform)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Runner runs layers of one environment.
type Runner struct {
	// Exec is the Terraform binary.
	Exec string
	// Dir is the environment's layer folder: <state>/layers/<env>.
	Dir string
	// Root is the project root, for naming module files in diagnostics.
	Root string
	// Log, when set, receives Terraform's own output.
	Log io.Writer
}

// Result is what one layer operation did.
type Result struct {
	Layer   string         `json:"layer"`
	Op      string         `json:"op"`
	Changes map[string]int `json:"changes,omitempty"` // create, update, delete, replace
	Outputs map[string]any `json:"outputs,omitempty"`
	// Sensitive names the outputs Terraform marks sensitive: passed on, never shown.
	Sensitive []string      `json:"sensitive,omitempty"`
	Plan      *tfjson.Plan  `json:"-"`
	Duration  time.Duration `json:"duration"`
}

// Error is a failed Terraform command of a layer.
type Error struct {
	Layer, Command string
	// Message is Terraform's error output, module files named as in the project.
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("layer %s: terraform %s: %s", e.Layer, e.Command, e.Message)
}

func (e *Error) Unwrap() error { return ErrTerraform }

// workdir prepares the layer's working folder and returns Terraform in it.
func (r *Runner) workdir(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (*tfexec.Terraform, error) {
	work := filepath.Join(r.Dir, l.Name)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, err
	}
	stale, _ := filepath.Glob(filepath.Join(work, "*.tf"))
	staleJSON, _ := filepath.Glob(filepath.Join(work, "*.tf.json"))
	for _, f := range append(stale, staleJSON...) {
		_ = os.Remove(f)
	}
	sources, _ := filepath.Glob(filepath.Join(l.Dir, "*.tf"))
	sourcesJSON, _ := filepath.Glob(filepath.Join(l.Dir, "*.tf.json"))
	for _, f := range append(sources, sourcesJSON...) {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Name, err)
		}
		if err := os.WriteFile(filepath.Join(work, filepath.Base(f)), b, 0o600); err != nil {
			return nil, err
		}
	}
	values := map[string]json.RawMessage{}
	for name, v := range vars {
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("layer %s: variable %s: %w", l.Name, name, err)
		}
		values[name] = b
	}
	b, _ := json.MarshalIndent(values, "", "  ")
	if err := os.WriteFile(filepath.Join(work, "bulwark.auto.tfvars.json"), b, 0o600); err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(work, r.Exec)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.Name, err)
	}
	if r.Log != nil {
		tf.SetStdout(r.Log)
		tf.SetStderr(r.Log)
	}
	if err := tf.Init(ctx, tfexec.Upgrade(false)); err != nil {
		return nil, r.fail(l, "init", err)
	}
	return tf, nil
}

// onFile finds Terraform's "on <file> line <n>" locations.
var onFile = regexp.MustCompile(`on ([^\s]+\.tf(?:\.json)?) line (\d+)`)

// fail wraps a Terraform error, naming module files by their project path.
func (r *Runner) fail(l topology.Layer, command string, err error) error {
	rel := l.Dir
	if r.Root != "" {
		if p, e := filepath.Rel(r.Root, l.Dir); e == nil && !strings.HasPrefix(p, "..") {
			rel = p
		}
	}
	msg := onFile.ReplaceAllStringFunc(err.Error(), func(m string) string {
		parts := onFile.FindStringSubmatch(m)
		return fmt.Sprintf("on %s line %s", filepath.Join(rel, filepath.Base(parts[1])), parts[2])
	})
	return &Error{Layer: l.Name, Command: command, Message: strings.TrimSpace(msg)}
}

// Apply plans a layer, reads the plan, and applies exactly that plan;
// it returns the changes and the layer's outputs.
func (r *Runner) Apply(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (Result, error) {
	start := time.Now()
	res, tf, planFile, err := r.plan(ctx, l, vars)
	res.Op = "apply"
	if err != nil {
		return res, err
	}
	defer os.Remove(planFile)
	if err := tf.Apply(ctx, tfexec.DirOrPlan(planFile)); err != nil {
		return res, r.fail(l, "apply", err)
	}
	res.Outputs, res.Sensitive, err = r.outputs(ctx, l, tf)
	res.Duration = time.Since(start)
	return res, err
}

// Plan plans a layer and reads the plan back (show -json).
func (r *Runner) Plan(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (Result, error) {
	start := time.Now()
	res, _, planFile, err := r.plan(ctx, l, vars)
	if planFile != "" {
		_ = os.Remove(planFile)
	}
	res.Duration = time.Since(start)
	return res, err
}

// plan writes a layer's plan to a file in its working folder and reads it back.
func (r *Runner) plan(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (Result, *tfexec.Terraform, string, error) {
	res := Result{Layer: l.Name, Op: "plan"}
	tf, err := r.workdir(ctx, l, vars)
	if err != nil {
		return res, nil, "", err
	}
	planFile := filepath.Join(r.Dir, l.Name, "bulwark.tfplan")
	if _, err := tf.Plan(ctx, tfexec.Out(planFile)); err != nil {
		return res, tf, planFile, r.fail(l, "plan", err)
	}
	plan, err := tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return res, tf, planFile, r.fail(l, "show", err)
	}
	res.Plan, res.Changes = plan, Changes(plan)
	return res, tf, planFile, nil
}

// Changes counts a plan's resource changes by action.
func Changes(p *tfjson.Plan) map[string]int {
	out := map[string]int{}
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Replace():
			out["replace"]++
		case a.Create():
			out["create"]++
		case a.Update():
			out["update"]++
		case a.Delete():
			out["delete"]++
		}
	}
	return out
}

// Destroy destroys what a layer created.
func (r *Runner) Destroy(ctx context.Context, l topology.Layer, vars map[string]cty.Value) (Result, error) {
	start := time.Now()
	res := Result{Layer: l.Name, Op: "destroy"}
	tf, err := r.workdir(ctx, l, vars)
	if err != nil {
		return res, err
	}
	if err := tf.Destroy(ctx); err != nil {
		return res, r.fail(l, "destroy", err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// Outputs reads a layer's outputs from its state (nil when it never ran).
func (r *Runner) Outputs(ctx context.Context, l topology.Layer) (map[string]any, error) {
	work := filepath.Join(r.Dir, l.Name)
	if _, err := os.Stat(work); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	tf, err := tfexec.NewTerraform(work, r.Exec)
	if err != nil {
		return nil, err
	}
	outs, _, err := r.outputs(ctx, l, tf)
	return outs, err
}

func (r *Runner) outputs(ctx context.Context, l topology.Layer, tf *tfexec.Terraform) (map[string]any, []string, error) {
	outs, err := tf.Output(ctx)
	if err != nil {
		return nil, nil, r.fail(l, "output", err)
	}
	m := map[string]any{}
	var sensitive []string
	for name, o := range outs {
		var v any
		if err := json.Unmarshal(o.Value, &v); err != nil {
			return nil, nil, fmt.Errorf("layer %s: output %s: %w", l.Name, name, err)
		}
		if o.Sensitive {
			sensitive = append(sensitive, name)
		}
		m[name] = v
	}
	return m, sensitive, nil
}
