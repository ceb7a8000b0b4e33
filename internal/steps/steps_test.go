package steps

import (
	"errors"
	"strings"
	"testing"
)

func TestRunRecordsEachStepAndReportsProgress(t *testing.T) {
	var got []Step
	var lines []string
	progress := func(l string) { lines = append(lines, l) }
	if err := Run(&got, progress, "inject", func() (string, error) { return "killed 3", nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Run(&got, progress, "restore", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("a step's error is returned: %v", err)
	}
	_ = Run(&got, progress, "verify", func() (string, error) { return "", nil })
	if len(got) != 3 || got[0].Detail != "killed 3" || got[1].Error != "boom" || got[0].End.Before(got[0].Start) {
		t.Fatalf("steps: %+v", got)
	}
	want := []string{"inject...", "inject: killed 3 (", "restore...", "restore: failed: boom (", "verify...", "verify: done ("}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("progress line %d = %q, want %q...", i, lines[i], w)
		}
	}
}
