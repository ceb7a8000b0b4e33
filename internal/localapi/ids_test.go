package localapi

import (
	"encoding/json"
	"errors"
	"testing"
)

// Every ID reads back from its String form, and keys a JSON map (the
// plane's state on disk) in that form.
func TestIDsRoundTrip(t *testing.T) {
	check := func(t *testing.T, s string, parse func(string) (string, error)) {
		t.Helper()
		got, err := parse(s)
		if err != nil || got != s {
			t.Errorf("parse(%q) = %q, %v", s, got, err)
		}
	}
	check(t, "dev/east", func(s string) (string, error) { id, err := ParseRegionID(s); return id.String(), err })
	check(t, "dev/east/shop", func(s string) (string, error) { id, err := ParseServiceID(s); return id.String(), err })
	check(t, "dev/shop", func(s string) (string, error) { id, err := ParseBackupID(s); return id.String(), err })
	check(t, "dev/east/shop/GREETING", func(s string) (string, error) { id, err := ParseParameterID(s); return id.String(), err })
	check(t, "dev/example.internal/@", func(s string) (string, error) { id, err := ParseRecordID(s); return id.String(), err })
	check(t, "dev", func(s string) (string, error) { id, err := ParseEnvID(s); return id.String(), err })
	check(t, "sha256:abc", func(s string) (string, error) { id, err := ParseImageID(s); return id.String(), err })

	id := ServiceID{"dev", "east", "shop"}
	if (GroupSpec{Env: "dev", Region: "east", Service: "shop"}).ID() != id || (DatabaseSpec{Env: "dev", Region: "east", Service: "shop"}).ID() != id {
		t.Error("a group and a database of one service in one region have different IDs")
	}
	if id.RegionID() != (RegionID{"dev", "east"}) || (ParameterID{"dev", "east", "shop", "X"}).ServiceID() != id {
		t.Error("an ID's parts")
	}

	b, err := json.Marshal(map[ServiceID]int{id: 1})
	if err != nil || string(b) != `{"dev/east/shop":1}` {
		t.Fatalf("as a JSON map key: %s, %v", b, err)
	}
	var back map[ServiceID]int
	if err := json.Unmarshal(b, &back); err != nil || back[id] != 1 {
		t.Fatalf("read back: %v, %v", back, err)
	}
}

func TestMalformedIDsAreBadRequests(t *testing.T) {
	for _, s := range []string{"", "dev", "dev/east/shop", "/east", "dev/"} {
		if _, err := ParseRegionID(s); !errors.Is(err, ErrBadRequest) {
			t.Errorf("ParseRegionID(%q): %v, want ErrBadRequest", s, err)
		}
	}
	for _, s := range []string{"dev/east", "dev/east/shop/x", "dev//shop"} {
		if _, err := ParseServiceID(s); !errors.Is(err, ErrBadRequest) {
			t.Errorf("ParseServiceID(%q): %v, want ErrBadRequest", s, err)
		}
	}
	if _, err := ParseEnvID("a/b"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("ParseEnvID(a/b): %v", err)
	}
	if _, err := ParseImageID(""); !errors.Is(err, ErrBadRequest) {
		t.Errorf("ParseImageID(\"\"): %v", err)
	}
	var m map[RegionID]int
	if err := json.Unmarshal([]byte(`{"nope":1}`), &m); err == nil {
		t.Error("a malformed map key was read")
	}
}

// Paths: a kind's object and an action on it.
func TestPaths(t *testing.T) {
	id := ServiceID{"dev", "east", "shop"}
	if got := Groups.Path(id); got != "/v1/groups/dev/east/shop" {
		t.Errorf("group path %s", got)
	}
	if got := KillInstance.Path(id); got != "/v1/groups/dev/east/shop:kill" {
		t.Errorf("action path %s", got)
	}
	if got := Images.Path(ImageSpec{}.ID()); got != "/v1/images/" {
		t.Errorf("an image's PUT path %s", got)
	}
	rest, action, ok := SplitAction("dev/east/shop:kill")
	if !ok || rest != "dev/east/shop" || action != "kill" {
		t.Errorf("SplitAction: %q %q %v", rest, action, ok)
	}
}
