package localcloud

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// nobody is a user id other than this process's, for folders "someone
// else" made (chown needs root).
const nobody = 65534

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making a folder of another user needs root")
	}
}

// A folder in a shared place is used only when it is this user's own, a
// real folder, and nobody else may write it.
func TestOwnFolder(t *testing.T) {
	base := t.TempDir()
	mine := filepath.Join(base, "mine")
	if err := ownFolder(mine, 0o755); err != nil {
		t.Fatalf("a new folder: %v", err)
	}
	if err := ownFolder(mine, 0o755); err != nil {
		t.Fatalf("the same folder again: %v", err)
	}
	if err := ownFolder(filepath.Join(base, "open"), 0o775); !errors.Is(err, localapi.ErrUnsafeFolder) {
		t.Errorf("asked for a group-writable folder: %v", err)
	}
	open := filepath.Join(base, "world")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o1777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(mine, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"world-writable": open, "a symbolic link to one of ours": link, "a file": file} {
		if err := ownFolder(path, 0o755); !errors.Is(err, localapi.ErrUnsafeFolder) {
			t.Errorf("%s: %v, want ErrUnsafeFolder", name, err)
		}
	}
	if os.Geteuid() == 0 {
		theirs := filepath.Join(base, "theirs")
		if err := os.Mkdir(theirs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if err := ownFolder(theirs, 0o755); !errors.Is(err, localapi.ErrUnsafeFolder) {
			t.Errorf("another user's folder: %v, want ErrUnsafeFolder", err)
		}
	}
}

// Another user's live claim keeps a range from this user; a stale one does
// not; a folder that only claims to be another user's is not read.
func TestClaimsAcrossUsers(t *testing.T) {
	needRoot(t)
	old := ClaimsPrefix
	ClaimsPrefix = filepath.Join(t.TempDir(), "claims-")
	t.Cleanup(func() { ClaimsPrefix = old })

	theirs := ClaimsPrefix + strconv.Itoa(nobody)
	theirState := t.TempDir()
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	holds := func(index int) {
		t.Helper()
		st := persisted{Regions: map[localapi.RegionID]localapi.Region{{Env: "dev", Region: "east"}: {Index: index}}}
		b, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(theirState, "state.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(claim{Dir: theirState, Region: "dev/east"})
	if err := os.WriteFile(filepath.Join(theirs, "7"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	holds(7)
	mine := t.TempDir()
	if ok, err := claimRange(7, mine, "dev/east"); ok || err != nil {
		t.Errorf("range 7, held by another user: claimed %v %v", ok, err)
	}
	if ok, err := claimRange(8, mine, "dev/east"); !ok || err != nil {
		t.Errorf("range 8, free: claimed %v %v", ok, err)
	}
	holds(9) // their claim on 7 is stale now
	if ok, err := claimRange(7, mine, "dev/west"); !ok || err != nil {
		t.Errorf("range 7, its claim stale: claimed %v %v", ok, err)
	}
	// a folder named for another user but made by this one is not theirs
	forged := ClaimsPrefix + strconv.Itoa(nobody+1)
	if err := os.Mkdir(forged, 0o755); err != nil {
		t.Fatal(err)
	}
	holds(9)
	b, _ = json.Marshal(claim{Dir: theirState, Region: "dev/east"})
	if err := os.WriteFile(filepath.Join(forged, "9"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, err := claimRange(9, mine, "dev/south"); !ok || err != nil {
		t.Errorf("range 9, claimed only in a forged folder: claimed %v %v", ok, err)
	}
	// a legacy claim (earlier builds kept them in one shared folder) is read
	oldLegacy := legacyClaimsDir
	legacyClaimsDir = t.TempDir()
	t.Cleanup(func() { legacyClaimsDir = oldLegacy })
	holds(11)
	b, _ = json.Marshal(claim{Dir: theirState, Region: "dev/east"})
	if err := os.WriteFile(filepath.Join(legacyClaimsDir, "11"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, err := claimRange(11, mine, "dev/north"); ok || err != nil {
		t.Errorf("range 11, held in the legacy folder: claimed %v %v", ok, err)
	}
	if ok, err := claimRange(11, theirState, "dev/east"); !ok || err != nil {
		t.Errorf("range 11, its legacy claim the claimer's own: claimed %v %v", ok, err)
	}
	if fi, err := os.Stat(ClaimsDir()); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("this user's claims folder: %v %v, want 0755", fi.Mode(), err)
	}
}
