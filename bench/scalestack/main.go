package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/engine"
)

type envFlags map[string]string

func (e envFlags) String() string { return fmt.Sprint(map[string]string(e)) }
func (e envFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("-env wants KEY=VALUE, not %q", v)
	}
	e[k] = val
	return nil
}

func main() {
	root := flag.String("root", ".", "the bulwark project root (bin/pulumi, bin/pulumi-resource-bulwark)")
	state := flag.String("state", "", "the folder for the file backend and the engine's scratch files (required)")
	n := flag.Int("n", 100, "resources in the stack")
	verb := flag.String("verb", "up", "up, preview or destroy")
	parallel := flag.Int("parallel", 0, "the engine's parallelism (0: its default)")
	value := flag.String("value", "v1", "every resource's input (change it to update them all)")
	env := envFlags{}
	flag.Var(env, "env", "KEY=VALUE for the engine (repeatable)")
	flag.Parse()
	if err := run(*root, *state, *n, *verb, *parallel, *value, env); err != nil {
		fmt.Fprintf(os.Stderr, "scalestack: %v\n", err)
		os.Exit(1)
	}
}

func run(root, state string, n int, verb string, parallel int, value string, env map[string]string) error {
	if state == "" {
		return fmt.Errorf("-state is required")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	pulumiRoot, err := engine.FindPulumi(root)
	if err != nil {
		return err
	}
	plugins, err := engine.FindProvider(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(state, "backend"), 0o755); err != nil {
		return err
	}
	r, err := engine.New(engine.Config{
		PulumiRoot: pulumiRoot, Project: "scale", Backend: "file://" + filepath.Join(state, "backend"),
		Home: filepath.Join(state, "home"), WorkDir: filepath.Join(state, "work"),
		SecretsProvider: "passphrase", Parallel: parallel, Env: env,
		PluginPaths: []workspace.PluginOptions{{Name: engine.ProviderPackage, Path: plugins}},
	})
	if err != nil {
		return err
	}
	program := func(ctx *pulumi.Context) error {
		for i := range n {
			var out pulumi.CustomResourceState
			if err := ctx.RegisterResource(contract.TypeLocalData, fmt.Sprintf("d%04d", i), pulumi.Map{"input": pulumi.String(value)}, &out); err != nil {
				return err
			}
		}
		ctx.Export("count", pulumi.Int(n))
		return nil
	}
	ctx := context.Background()
	var res engine.Result
	switch verb {
	case "up":
		res, err = r.Up(ctx, "bench", program, nil)
	case "preview":
		res, err = r.Preview(ctx, "bench", program, nil)
	case "destroy":
		res, err = r.Destroy(ctx, "bench", program, nil)
	default:
		return fmt.Errorf("unknown verb %q", verb)
	}
	if err != nil {
		return err
	}
	fmt.Println(res.Changes)
	return nil
}
