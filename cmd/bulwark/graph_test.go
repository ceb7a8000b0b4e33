package main

import (
	"encoding/xml"
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
