package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Loopback ranges are claimed machine-wide, so that two control planes (two
// users, or a test beside a running environment) never share a range: a
// claim is a file <ClaimsPrefix><uid>/<R> naming its owner's control plane
// folder and region. Each user claims in a folder of its own that nobody
// else may write (ownFolder checks it before each use), and reads every
// user's folder before claiming, so a user can neither take nor forge
// another's claims. A claim whose owner no longer holds that region is
// stale: its user's next claim removes it; another user's claim counts as
// held unless its owner's state says otherwise.

// ClaimsPrefix is the start of every user's claims folder: the user's id
// follows (/tmp/bulwark-loopback-0 for root).
var ClaimsPrefix = filepath.Join(os.TempDir(), "bulwark-loopback-")

// ClaimsDir is this user's claims folder.
func ClaimsDir() string { return ClaimsPrefix + strconv.Itoa(os.Geteuid()) }

type claim struct {
	Dir    string `json:"dir"`
	Region string `json:"region"`
}

func claimPath(index int) string { return filepath.Join(ClaimsDir(), strconv.Itoa(index)) }

// legacyClaimsDir is where earlier versions kept every user's claims in
// one world-writable folder; its claims are still read (a control plane of
// an earlier build may hold a range), never written.
var legacyClaimsDir = filepath.Join(os.TempDir(), "bulwark-loopback")

// othersClaims are the claims folders of the machine's other users, those
// that are what they say: a folder of the user its name gives, that nobody
// else may write. Anything else under the prefix is ignored. The legacy
// folder is read too.
func othersClaims() []string {
	matches, _ := filepath.Glob(ClaimsPrefix + "*")
	out := []string{legacyClaimsDir}
	for _, m := range matches {
		uid, err := strconv.Atoi(strings.TrimPrefix(m, ClaimsPrefix))
		if err != nil || uid == os.Geteuid() || checkOwnFolder(m, uid) != nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

// heldByAnother reports whether another user's claim on index stands: its
// owner's state holds the region, or cannot be read to tell. A claim of
// the plane in ours (a legacy one of its own) is not another's.
func heldByAnother(index int, ours string) (claim, bool) {
	for _, dir := range othersClaims() {
		var c claim
		b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(index)))
		if err != nil || json.Unmarshal(b, &c) != nil || c.Dir == ours {
			continue
		}
		if held, known := ownerHolds(c, index); held || !known {
			return c, true
		}
	}
	return claim{}, false
}

// claimRange claims range index for (dir, region); false if another live
// owner holds it.
func claimRange(index int, dir, region string) (bool, error) {
	if err := ownFolder(ClaimsDir(), 0o755); err != nil {
		return false, fmt.Errorf("loopback claims: %w", err)
	}
	if _, held := heldByAnother(index, dir); held {
		return false, nil
	}
	body, _ := json.Marshal(claim{Dir: dir, Region: region})
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(claimPath(index), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.Write(body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err == nil, err
		}
		if !errors.Is(err, os.ErrExist) {
			return false, err
		}
		var c claim
		b, _ := os.ReadFile(claimPath(index))
		if json.Unmarshal(b, &c) == nil && c.Dir == dir && c.Region == region {
			return true, nil // ours already
		}
		if json.Unmarshal(b, &c) == nil {
			if held, _ := ownerHolds(c, index); held {
				return false, nil
			}
		}
		_ = os.Remove(claimPath(index)) // stale: its owner no longer holds it
	}
	return false, nil
}

// ownerHolds reads the owner's persisted state for the region at index;
// known is false when the state cannot be read (another user's, private).
func ownerHolds(c claim, index int) (held, known bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, true
	}
	if err != nil {
		return false, false
	}
	var st persisted
	if json.Unmarshal(b, &st) != nil {
		return false, true
	}
	id, err := localapi.ParseRegionID(c.Region)
	if err != nil {
		return false, true
	}
	r, ok := st.Regions[id]
	return ok && r.Index == index, true
}

// releaseRange drops this owner's claim on index.
func releaseRange(index int, dir string) {
	var c claim
	b, err := os.ReadFile(claimPath(index))
	if err == nil && json.Unmarshal(b, &c) == nil && c.Dir == dir {
		_ = os.Remove(claimPath(index))
	}
}

// describeClaim says who holds a range, for error messages.
func describeClaim(index int) string {
	var c claim
	b, err := os.ReadFile(claimPath(index))
	if err != nil || json.Unmarshal(b, &c) != nil {
		var held bool
		if c, held = heldByAnother(index, ""); !held {
			return ""
		}
	}
	return fmt.Sprintf("region %s of the control plane in %s", c.Region, strings.TrimSuffix(c.Dir, "/local"))
}
