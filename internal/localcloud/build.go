package localcloud

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Build identifies the build of the running code; a plane of another build
// is replaced (EnsureRunning), as one of another API version
// (localapi.APIVersion) is, so a changed behaviour never hides behind
// an unchanged API. It is derived when the process starts from the
// executable it runs (BuildOf), so a CLI, the provider plugin and the
// control plane that are one file agree however the file was built (make
// build, go build, go install); stamping it (-ldflags "-X
// github.com/bulwark-dev/bulwark/internal/localcloud.Build=...") overrides that.
var Build string

func init() {
	if Build != "" {
		return
	}
	Build = "unknown" // the executable cannot be read (not so on Linux)
	if exe, err := os.Executable(); err == nil {
		if id, err := BuildOf(exe); err == nil {
			Build = id
		}
	}
}

// BuildOf identifies the build of the executable at path: the Go build ID
// the go command records in it (a hash of what it was linked from and of
// the linked result, read from the ELF note without reading the whole
// file), else the sha256 of its contents.
func BuildOf(path string) (string, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		if id := goBuildID(f); id != "" {
			return "go:" + id, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("build of %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("build of %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// goBuildID reads the Go build ID note (section .note.go.buildid: name "Go",
// type 4, the ID as its descriptor), or "" when there is none.
func goBuildID(f *elf.File) string {
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	note, err := s.Data()
	if err != nil || len(note) < 16 {
		return ""
	}
	order := f.ByteOrder
	namesz, descsz, typ := order.Uint32(note[0:]), order.Uint32(note[4:]), order.Uint32(note[8:])
	name := 12 + (int(namesz)+3)&^3
	if namesz != 4 || typ != 4 || string(note[12:14]) != "Go" || len(note) < name+int(descsz) {
		return ""
	}
	return string(note[name : name+int(descsz)])
}
