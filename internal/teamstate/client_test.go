package teamstate_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/teamstate"
	"github.com/bulwark-dev/bulwark/internal/teamstate/miniotest"
)

// Against a real MinIO, the conditional writes the lease rests on behave
// as S3 documents them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
// If-None-Match: * writes a key only once, If-Match only over the ETag
// named, and neither on a missing key; keys are listed and deleted under
// the URL's prefix; a missing bucket is told apart.
func TestConditionalWritesOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.Setenv(t)
	srv.Bucket(t, "state")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := teamstate.Open(ctx, "s3://state/team/a?endpoint=http://"+srv.Addr+"&s3ForcePathStyle=true&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "k"); !errors.Is(err, teamstate.ErrNotFound) || !errors.Is(err, teamstate.ErrS3) {
		t.Fatalf("get of a missing key: %v", err)
	}
	if _, err := c.Put(ctx, "k", []byte("x"), teamstate.Condition{IfMatch: `"0123"`}); !errors.Is(err, teamstate.ErrNotFound) {
		t.Errorf("If-Match on a missing key: %v", err)
	}
	first, err := c.Put(ctx, "k", []byte("one"), teamstate.Condition{IfNoneMatch: true})
	if err != nil || first == "" {
		t.Fatalf("first create: %q %v", first, err)
	}
	if _, err := c.Put(ctx, "k", []byte("two"), teamstate.Condition{IfNoneMatch: true}); !errors.Is(err, teamstate.ErrPrecondition) {
		t.Errorf("second create: %v", err)
	}
	second, err := c.Put(ctx, "k", []byte("two"), teamstate.Condition{IfMatch: first})
	if err != nil || second == first {
		t.Fatalf("replace over its ETag: %q %v", second, err)
	}
	if _, err := c.Put(ctx, "k", []byte("three"), teamstate.Condition{IfMatch: first}); !errors.Is(err, teamstate.ErrPrecondition) {
		t.Errorf("replace over a stale ETag: %v", err)
	}
	body, etag, err := c.Get(ctx, "k")
	if err != nil || string(body) != "two" || etag != second {
		t.Errorf("get: %q %q %v, want two %q", body, etag, err, second)
	}
	for _, k := range []string{"d/1.json", "d/2.json", "e/3.json"} {
		if _, err := c.Put(ctx, k, []byte("{}"), teamstate.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := c.List(ctx, "d/")
	if err != nil || !slices.Equal(keys, []string{"d/1.json", "d/2.json"}) {
		t.Errorf("list d/: %q %v", keys, err)
	}
	if err := c.Delete(ctx, "d/1.json"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "d/1.json"); err != nil {
		t.Errorf("deleting a key already gone: %v", err)
	}
	if keys, _ := c.List(ctx, "d/"); !slices.Equal(keys, []string{"d/2.json"}) {
		t.Errorf("after delete: %q", keys)
	}
	other, err := teamstate.Open(ctx, srv.StateURL("no-such-bucket"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, "k"); !errors.Is(err, teamstate.ErrNoBucket) {
		t.Errorf("a missing bucket: %v", err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	denied, err := teamstate.Open(ctx, srv.StateURL("state"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := denied.Get(ctx, "team/a/k"); !errors.Is(err, teamstate.ErrDenied) {
		t.Errorf("wrong credentials: %v", err)
	}
}
