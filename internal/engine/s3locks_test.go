package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/envlock"
	"github.com/bulwark-dev/bulwark/internal/teamstate"
	"github.com/bulwark-dev/bulwark/internal/teamstate/miniotest"
)

// In an s3 backend on a real MinIO, the stack locks an update took on the
// host of a lease holder whose lease lapsed, while it held it, are
// removed before the next operation; a lock of another host, of a time
// outside that hold, or of another stack stays; without lapsed holders
// nothing is touched.
func TestLapsedHoldersLocksAreCleared(t *testing.T) {
	srv := miniotest.Start(t)
	srv.Setenv(t)
	url := srv.Bucket(t, "state")
	ctx := context.Background()
	c, err := teamstate.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, v any) {
		t.Helper()
		b, _ := json.Marshal(v)
		if _, err := c.Put(ctx, key, b, teamstate.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().Add(-time.Hour)
	expires := since.Add(10 * time.Minute)
	lock := func(key, host string, at time.Time) string {
		put(key, map[string]any{"pid": 4242, "username": "ops", "hostname": host, "timestamp": at})
		return key
	}
	const dir = ".pulumi/locks/organization/proj/dev.east/"
	stale := lock(dir+"a.json", "host-a", since.Add(time.Minute))
	later := lock(dir+"b.json", "host-a", expires.Add(time.Minute))
	otherHost := lock(dir+"c.json", "host-b", since.Add(time.Minute))
	legacy := lock(".pulumi/locks/dev.east/d.json", "host-a", since.Add(2*time.Minute))
	otherStack := lock(".pulumi/locks/organization/proj/dev.west/e.json", "host-a", since.Add(time.Minute))
	r := &Runner{cfg: Config{Backend: url, Project: "proj"}}
	if notes := r.clearStaleLocks(ctx, "dev.east"); notes != nil {
		t.Errorf("without a lease: %q", notes)
	}
	// the lease as envlock writes it after taking over from host-a's `up`
	lapsed := envlock.Lapsed{Holder: envlock.Holder{Operation: "up", PID: 111, Host: "host-a", Since: since}, Expires: expires}
	put(envlock.LeaseKey("dev"), map[string]any{"operation": "destroy", "pid": 222, "host": "host-b", "since": time.Now(),
		"token": "t", "term": "30s", "renewed": time.Now(), "expires": time.Now().Add(30 * time.Second), "lapsed": []envlock.Lapsed{lapsed}})
	notes := r.clearStaleLocks(ctx, "dev.east")
	if len(notes) != 2 || !strings.Contains(notes[0], "removed the lock left by update process 4242 on host-a") ||
		!strings.Contains(notes[0], "of `bulwark up` (pid 111 on host-a") {
		t.Errorf("notes = %q", notes)
	}
	var left []string
	for _, prefix := range []string{".pulumi/locks/"} {
		keys, err := c.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, keys...)
	}
	slices.Sort(left)
	want := []string{later, otherHost, otherStack}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("locks left: %q, want %q (removed %s and %s)", left, want, stale, legacy)
	}
}
