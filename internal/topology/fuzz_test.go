package topology

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary text to the loader: it must return a topology or
// diagnostics, never panic, and every error must be an ErrInvalid with ranges.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.hcl", "testdata/error-files/*.hcl", "../../environments/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		l := &Loader{Images: testImages}
		topo, err := l.Load("fuzz.hcl", src)
		if err == nil {
			if topo == nil {
				t.Fatal("nil topology without an error")
			}
			if p := topo.Primary(); p.Name == "" {
				t.Fatalf("valid topology without a primary region: %+v", topo.Regions)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error is not ErrInvalid: %v", err)
		}
		var de *DiagnosticsError
		if !errors.As(err, &de) || !de.Diags.HasErrors() {
			t.Fatalf("error carries no diagnostics: %v", err)
		}
	})
}
