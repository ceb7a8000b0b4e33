package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

// The held-back example passes every policy service by service, and is
// refused for what its services need of each other: with the path and
// the line of the dependency that starts it.
func TestHeldBackHiddenSinglePointRefused(t *testing.T) {
	code, out, errOut := inProject(t, "plan", "--env", "environments/held-back/hidden-single-point.hcl")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"hidden-single-point.hcl:49: checkout needs bank (checkout → payments → ledger → bank), which cannot be reached from west, south",
		"hidden-single-point.hcl:74: checkout → payments → ledger: checkout waits 1s for payments, whose own calls to ledger may take 2.7s",
		"ok   region-count",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

// The same findings reach code scanning: SARIF results with the rule, the
// file and the line.
func TestHeldBackFindingsInSARIF(t *testing.T) {
	_, out, _ := inProject(t, "plan", "--env", "environments/held-back/hidden-single-point.hcl", "--format", "sarif")
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || len(sarif.Runs) == 0 {
		t.Fatalf("%v\n%s", err, out)
	}
	found := map[string]bool{}
	for _, r := range sarif.Runs[0].Results {
		if len(r.Locations) > 0 {
			loc := r.Locations[0].PhysicalLocation
			found[fmt.Sprintf("%s %s:%d", r.RuleID, loc.ArtifactLocation.URI, loc.Region.StartLine)] = true
		}
	}
	for _, want := range []string{"hidden-single-point environments/held-back/hidden-single-point.hcl:49", "retry-storm environments/held-back/hidden-single-point.hcl:74"} {
		if !found[want] {
			t.Errorf("SARIF lacks %s: %v", want, found)
		}
	}
}

// bulwark graph draws the environment's services, externals and single
// points as SVG that parses.
func TestGraphDrawsTheEnvironment(t *testing.T) {
	for env, wants := range map[string][]string{
		"prod": {"shop", "payments", "cardnet (external)", "99.990% (slo 99.950%)", `marker-end="url(#hard)"`},
		"environments/held-back/hidden-single-point.hcl": {"bank (external)", `stroke="#c0392b" stroke-width="3"`},
	} {
		code, out, errOut := inProject(t, "graph", "--env", env)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", env, code, errOut)
		}
		if err := xml.Unmarshal([]byte(out), new(struct{})); err != nil {
			t.Errorf("%s: the SVG does not parse: %v", env, err)
		}
		if n := strings.Count(out, "single point for checkout"); env != "prod" && n != 3 {
			t.Errorf("%s: %d boxes marked single points for checkout, want payments, ledger and bank", env, n)
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the SVG lacks %q", env, want)
			}
		}
	}
}
