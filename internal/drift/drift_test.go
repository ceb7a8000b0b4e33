package drift

import (
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/engine"
)

// The collector keeps the steps that carry a comparison and reports
// changed properties and gone resources; unchanged ones are not drift.
func TestCollectorReport(t *testing.T) {
	var c Collector
	lb := "urn:pulumi:dev.east::bulwark::bulwark:local:LoadBalancer::shop"
	group := "urn:pulumi:dev.east::bulwark::bulwark:local:InstanceGroup::shop"
	dns := "urn:pulumi:dev.global::bulwark::bulwark:local:DnsRecord::shop"
	for _, e := range []engine.Event{
		{Stack: "dev.east", Kind: engine.EventStep, Op: "update", URN: lb, Type: "bulwark:local:LoadBalancer", Name: "shop", Custom: true},
		{Stack: "dev.east", Kind: engine.EventStepDone, Op: "update", URN: lb, Type: "bulwark:local:LoadBalancer", Name: "shop", Custom: true,
			Diffs: []string{"running"}, Old: map[string]any{"running": true, "port": 8080.0}, New: map[string]any{"running": false, "port": 8080.0}},
		{Stack: "dev.east", Kind: engine.EventStepDone, Op: "same", URN: group, Type: "bulwark:local:InstanceGroup", Name: "shop", Custom: true,
			Old: map[string]any{"min": 2.0}, New: map[string]any{"min": 2.0}},
		{Stack: "dev.global", Kind: engine.EventStepDone, Op: "delete", URN: dns, Type: "bulwark:local:DnsRecord", Name: "shop", Custom: true,
			Old: map[string]any{"ttl": 1.0}},
		{Stack: "dev.global", Kind: engine.EventDiagnostic, Message: "not a step"},
	} {
		c.Progress(e)
	}
	r := c.Report("dev", []string{"dev.east", "dev.west", "dev.global"})
	if !r.Drifted() || len(r.Stacks) != 3 {
		t.Fatalf("report %+v", r)
	}
	east, west, global := r.Stacks[0].Resources, r.Stacks[1].Resources, r.Stacks[2].Resources
	if len(east) != 1 || east[0].Kind != Changed || len(east[0].Properties) != 1 || east[0].Properties[0] != (Property{Name: "running", Recorded: true, Actual: false}) {
		t.Errorf("east: %+v", east)
	}
	if len(west) != 0 || len(global) != 1 || global[0].Kind != Gone {
		t.Errorf("west %+v, global %+v", west, global)
	}
	text, md := r.Text(), r.Markdown()
	for _, want := range []string{"changed bulwark:local:LoadBalancer shop", "running: true (recorded) -> false (now)", "gone    bulwark:local:DnsRecord shop", "--refresh"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(md, "| `dev.east` | `shop` | `bulwark:local:LoadBalancer` | changed | `running` | `true` | `false` |") || !strings.Contains(md, "| gone |") {
		t.Errorf("markdown:\n%s", md)
	}
	var quiet Collector
	if r := quiet.Report("dev", []string{"dev.east"}); r.Drifted() || !strings.HasPrefix(r.Text(), "No drift") {
		t.Errorf("an empty report: %+v", r)
	}
}
