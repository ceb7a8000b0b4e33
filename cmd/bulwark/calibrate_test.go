package main

import (
	"os"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/calibration"
)

// calibrate measures the local target only, and refuses bad flags, before
// anything runs or is written: no state, no calibration file.
func TestCalibrateUsageErrors(t *testing.T) {
	state := t.TempDir()
	t.Setenv("BULWARK_STATE_DIR", state)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate", "--env", "prod"}, "calibrates only the local target's"},
		{[]string{"calibrate", "--env", "dev", "--runs", "0"}, "--runs must be between 1 and"},
		{[]string{"calibrate"}, "--env"},
	} {
		code, out, errOut := inProject(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("refused calibrations wrote into the state directory: %v", entries)
	}
}

// The committed calibration is a measurement the estimate accepts: every
// figure measured at least once, and the plan of dev cites it.
func TestCommittedCalibrationIsUsed(t *testing.T) {
	f, err := calibration.Load("../..")
	if err != nil || f == nil {
		t.Fatalf("calibration/local.json: %v %v", f, err)
	}
	for _, name := range []string{calibration.Promote, calibration.Reconnect, calibration.Restore, calibration.RestoreSegment} {
		if fig, ok := f.Figures[name]; !ok || fig.Runs < 1 {
			t.Errorf("%s: %+v", name, fig)
		}
	}
	code, out, errOut := inProject(t, "plan", "--env", "dev")
	if code != exitOK || !strings.Contains(out, "calibrated: a replica promoted") {
		t.Errorf("plan of dev = %d, not citing the calibration:\n%s%s", code, out, errOut)
	}
}
