package localcloud

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The build ID is the Go build ID the go command recorded in the
// executable (what `go tool buildid` prints), and the running process's
// Build is its own executable's.
func TestBuildOfIsTheGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got, err := BuildOf(exe)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if want := "go:" + strings.TrimSpace(string(out)); got != want {
		t.Errorf("BuildOf(%s) = %q, want %q", exe, got, want)
	}
	if Build != got {
		t.Errorf("Build = %q, want the test binary's own %q", Build, got)
	}
}

// A file with no Go build ID is identified by its contents.
func TestBuildOfOtherFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for path, content := range map[string]string{a: "one", b: "two"} {
		if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ida, err := BuildOf(a)
	if err != nil {
		t.Fatal(err)
	}
	idb, _ := BuildOf(b)
	if !strings.HasPrefix(ida, "sha256:") || ida == idb {
		t.Errorf("BuildOf: %q and %q, want distinct sha256 IDs", ida, idb)
	}
	if _, err := BuildOf(filepath.Join(dir, "missing")); err == nil {
		t.Error("BuildOf of a missing file succeeded")
	}
}

// Reading the build ID costs every process that links this package at
// start: it reads the ELF headers and one note, not the whole file.
func BenchmarkBuildOf(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := BuildOf(exe); err != nil {
			b.Fatal(err)
		}
	}
}
