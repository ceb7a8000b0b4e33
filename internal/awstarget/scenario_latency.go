package awstarget

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

// latency: in each region of the fault, an experiment from the template
// tagged for it runs AWSFIS-Run-Network-Latency-Sources
// (aws:ssm:send-command) on every instance of the caller, delaying its
// traffic to the dependency's DNS name (Sources) by DelayMilliseconds ±
// JitterMilliseconds for DurationSeconds
// (https://docs.aws.amazon.com/fis/latest/userguide/actions-ssm-agent.html#awsfis-run-network-latency-sources,
// https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#ssm-actions).
// The template must hold the fault's latency and jitter, to the
// millisecond, and last at least the hold: the drill reports what it
// asked for, so a template that adds another delay is refused rather
// than measured under the wrong name. FIS sets the whole delay at once:
// there is no ramp on aws (the fault's Ramp is 0, and its How says so).
func init() {
	register(drill.Latency, scenario{disruption: drill.DisruptionDependency, build: func(ctx context.Context, b *build) (drill.Scenario, error) {
		f, err := resolveFault(b)
		if err != nil {
			return nil, err
		}
		if err := needsInstances(b); err != nil {
			return nil, err
		}
		f = withoutRamp(f)
		name := calleeName(b, f.Dependency)
		want := ssmDocument{Document: LatencyDocument, Check: func(p map[string]string, hold time.Duration) []string {
			var out []string
			if p["DelayMilliseconds"] != strconv.FormatInt(f.Latency.Milliseconds(), 10) {
				out = append(out, fmt.Sprintf("DelayMilliseconds is %q, not %d (the fault's latency %s)", p["DelayMilliseconds"], f.Latency.Milliseconds(), f.Latency))
			}
			if jitter := p["JitterMilliseconds"]; jitter != strconv.FormatInt(f.Jitter.Milliseconds(), 10) && (jitter != "" || f.Jitter != 0) {
				out = append(out, fmt.Sprintf("JitterMilliseconds is %q, not %d (the fault's jitter %s)", jitter, f.Jitter.Milliseconds(), f.Jitter))
			}
			sources := strings.Split(p["Sources"], ",")
			for i := range sources {
				sources[i] = strings.TrimSpace(sources[i])
			}
			switch {
			case !slices.Contains(sources, name):
				out = append(out, fmt.Sprintf("Sources is %q, not %s (the name %s's instances reach %s by)", p["Sources"], name, b.req.Service.Name, f.Dependency))
			case len(sources) > 1:
				out = append(out, fmt.Sprintf("Sources is %q: it slows more than %s", p["Sources"], name))
			}
			return append(out, durationAtLeast(p, hold)...)
		}}
		templates, err := degradationTemplates(ctx, b, f, want)
		if err != nil {
			return nil, err
		}
		return &FISDegradation{Ops: b.ops, Scenario: drill.Latency, Fault: f, Asks: []drill.Ask{drill.PageAsk("/")}, Templates: templates, Wait: b.req.Wait,
			Recovery: "nothing to do: the caller's timeouts bound the wait"}, nil
	}, noGivenTemplate: true})
}

// withoutRamp is a latency fault as FIS runs it: the whole delay at once.
func withoutRamp(f drill.Fault) drill.Fault {
	if f.Ramp == 0 {
		return f
	}
	note := fmt.Sprintf("no ramp on aws: FIS's latency document sets the whole delay at once (a ramp of %s was asked)", f.Ramp)
	f.Ramp = 0
	if f.How != "" {
		f.How += "; " + note
	} else {
		f.How = note
	}
	return f
}
