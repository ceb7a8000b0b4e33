package localprovider_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// data is a Data resource's state as the program sees it.
type data struct {
	pulumi.CustomResourceState
	Output pulumi.StringOutput `pulumi:"output"`
}

// Data through the real engine and provider plugin: created with its
// input as output, unchanged on a preview, updated in place when the input
// changes, replaced when triggersReplace does, and deleted.
func TestDataKeepsAValueInState(t *testing.T) {
	r, _ := localEngine(t)
	ctx := context.Background()
	program := func(input, trigger string) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			for i := range 3 {
				var d data
				if err := ctx.RegisterResource("bulwark:local:Data", fmt.Sprintf("d%d", i),
					pulumi.Map{"input": pulumi.String(input), "triggersReplace": pulumi.String(trigger)}, &d); err != nil {
					return err
				}
				if i == 0 {
					ctx.Export("output", d.Output)
				}
			}
			return nil
		}
	}
	steps := []struct {
		verb, input, trigger string
		want                 map[string]int
	}{
		{"up", "a", "1", map[string]int{"create": 4}},
		{"preview", "a", "1", map[string]int{"same": 4}},
		{"up", "b", "1", map[string]int{"update": 3, "same": 1}},
		{"up", "b", "2", map[string]int{"replace": 3, "same": 1}},
		{"destroy", "b", "2", map[string]int{"delete": 4}},
	}
	for _, s := range steps {
		run := r.Up
		switch s.verb {
		case "preview":
			run = r.Preview
		case "destroy":
			run = r.Destroy
		}
		res, err := run(ctx, "data", program(s.input, s.trigger), nil)
		if err != nil {
			t.Fatalf("%s input %s trigger %s: %v", s.verb, s.input, s.trigger, err)
		}
		if fmt.Sprint(res.Changes) != fmt.Sprint(s.want) {
			t.Errorf("%s input %s trigger %s: changes %v, want %v", s.verb, s.input, s.trigger, res.Changes, s.want)
		}
		if s.verb == "up" && res.Outputs["output"] != s.input {
			t.Errorf("up input %s: output %v, want the input", s.input, res.Outputs["output"])
		}
	}
}
