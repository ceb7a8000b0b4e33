package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanLadder: `bulwark plan --ladder` prices prod's steps from the
// shipped prices, prints every service's table, writes its picture with
// --output, and its JSON carries each step's figures; a local environment
// is priced as on aws with its mapping; --format sarif is refused.
func TestPlanLadder(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "ladder.svg")
	code, out, errOut := inProject(t, "plan", "--env", "prod", "--ladder", "--output", svg)
	if code != exitOK {
		t.Fatalf("plan --ladder = %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Resilience ladder of environment prod", "\nshop (SLO", "\npayments (SLO", "* as declared", "one region", "backup and restore", "pilot light", "warm standby", "active-active", "never MISSED", "picture: " + svg} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{}
	if err := xml.Unmarshal(b, &doc); err != nil || strings.Count(string(b), `class="point"`) != 12 {
		t.Errorf("picture: %v, %d points, want 12", err, strings.Count(string(b), `class="point"`))
	}

	code, out, errOut = inProject(t, "plan", "--env", "prod", "--ladder", "--format", "json")
	var l struct {
		Services []struct {
			Service string
			Steps   []struct {
				Kind   string  `json:"variant"`
				Cost   float64 `json:"monthly_cost"`
				Delta  float64 `json:"delta_vs_declared"`
				Region struct {
					Unrecoverable bool `json:"unrecoverable"`
				} `json:"region"`
				Availability float64 `json:"availability"`
			} `json:"variants"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || code != exitOK {
		t.Fatalf("json = %d, %v\n%s", code, err, errOut)
	}
	if len(l.Services) != 2 || len(l.Services[0].Steps) != 6 {
		t.Fatalf("json services %+v", l.Services)
	}
	steps := l.Services[0].Steps
	for i := 1; i < 5; i++ {
		if steps[i].Cost <= steps[i-1].Cost {
			t.Errorf("%s costs %.2f, no more than %s (%.2f)", steps[i].Kind, steps[i].Cost, steps[i-1].Kind, steps[i-1].Cost)
		}
	}
	if steps[0].Kind != "one-region" || !steps[0].Region.Unrecoverable || steps[5].Kind != "declared" || steps[5].Delta != 0 || steps[0].Delta >= 0 || steps[5].Availability <= 0 {
		t.Errorf("steps %+v", steps)
	}

	code, out, errOut = inProject(t, "plan", "--env", "dev", "--ladder")
	if code != exitOK || !strings.Contains(out, "priced as on aws, regions mapped: ") {
		t.Errorf("plan dev --ladder = %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = inProject(t, "plan", "--env", "prod", "--ladder", "--format", "sarif"); code != exitBadInput || !strings.Contains(errOut, "--format must be text or json") {
		t.Errorf("--ladder --format sarif = %d: %s", code, errOut)
	}
	if code, _, errOut = inProject(t, "plan", "--env", "prod", "--output", svg); code != exitBadInput || !strings.Contains(errOut, "needs --ladder") {
		t.Errorf("--output without --ladder = %d: %s", code, errOut)
	}
}
