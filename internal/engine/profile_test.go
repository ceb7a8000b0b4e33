package engine

import (
	"os/exec"
	"testing"
)

// A path quoted for the profiling script reaches the shell as it is,
// whatever it holds.
func TestShellQuote(t *testing.T) {
	for _, s := range []string{"/tmp/prof", "/tmp/it's here", "/tmp/$(touch pwned)`x` \"q\" \\ ;", ""} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) reaches the shell as %q (%v)", s, out, err)
		}
	}
}
