package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Loopback ranges are claimed machine-wide, so that two control planes (two
// users, or a test beside a running environment) never share a range: a
// claim is a file /tmp/bulwark-loopback/<R> naming its owner's control plane
// folder and region. A claim whose owner no longer holds that region is
// stale and may be taken.

// ClaimsDir holds the machine's loopback range claims.
var ClaimsDir = filepath.Join(os.TempDir(), "bulwark-loopback")

type claim struct {
	Dir    string `json:"dir"`
	Region string `json:"region"`
}

func claimPath(index int) string { return filepath.Join(ClaimsDir, strconv.Itoa(index)) }

// claimRange claims range index for (dir, region); false if another live
// owner holds it.
func claimRange(index int, dir, region string) (bool, error) {
	if err := os.MkdirAll(ClaimsDir, 0o1777); err != nil {
		return false, err
	}
	_ = os.Chmod(ClaimsDir, 0o1777|os.ModeSticky)
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
		if json.Unmarshal(b, &c) == nil && ownerHolds(c, index) {
			return false, nil
		}
		_ = os.Remove(claimPath(index)) // stale: its owner no longer holds it
	}
	return false, nil
}

// ownerHolds reads the owner's persisted state for the region at index.
func ownerHolds(c claim, index int) bool {
	b, err := os.ReadFile(filepath.Join(c.Dir, "state.json"))
	if err != nil {
		return false
	}
	var st persisted
	if json.Unmarshal(b, &st) != nil {
		return false
	}
	id, err := localapi.ParseRegionID(c.Region)
	if err != nil {
		return false
	}
	r, ok := st.Regions[id]
	return ok && r.Index == index
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
	b, err := os.ReadFile(claimPath(index))
	if err != nil {
		return ""
	}
	var c claim
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return fmt.Sprintf("region %s of the control plane in %s", c.Region, strings.TrimSuffix(c.Dir, "/local"))
}
