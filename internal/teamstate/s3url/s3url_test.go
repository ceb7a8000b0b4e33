package s3url

import (
	"errors"
	"strings"
	"testing"
)

// The URL forms the engine's s3 driver (gocloud.dev v0.37.0) reads are
// taken, with what they name; what it would refuse or misread is refused
// with the reason.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		url  string
		want Location
		obj  string // ObjectURL("us-east-1", "k")
	}{
		{"s3://team-state?region=eu-west-1", Location{Bucket: "team-state", Region: "eu-west-1"}, "https://team-state.s3.us-east-1.amazonaws.com/k"},
		{"s3://team-state/prod/pulumi?region=eu-west-1&profile=ops", Location{Bucket: "team-state", Prefix: "prod/pulumi/", Region: "eu-west-1", Profile: "ops"}, "https://team-state.s3.us-east-1.amazonaws.com/k"},
		{Example, Location{Bucket: "bulwark-state", Region: "us-east-1", Endpoint: "http://127.0.0.1:9000", PathStyle: true}, "http://127.0.0.1:9000/bulwark-state/k"},
		{"s3://b12?endpoint=127.0.0.1:9000&disableSSL=true&s3ForcePathStyle=1", Location{Bucket: "b12", Endpoint: "http://127.0.0.1:9000", PathStyle: true}, "http://127.0.0.1:9000/b12/k"},
		{"s3://b12?endpoint=minio.internal:9000", Location{Bucket: "b12", Endpoint: "https://minio.internal:9000"}, "https://b12.minio.internal:9000/k"},
		{"s3://my.dotted.bucket?region=us-east-1", Location{Bucket: "my.dotted.bucket", Region: "us-east-1"}, "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k"},
		{"s3://b12?awssdk=v2&region=us-east-1&endpoint=https://s3.example.com", Location{Bucket: "b12", Region: "us-east-1", Endpoint: "https://s3.example.com", SDKv2: true}, "https://b12.s3.example.com/k"},
	} {
		got, err := Parse(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, got, c.want)
		}
		if u := got.ObjectURL("us-east-1", "k").String(); u != c.obj {
			t.Errorf("%s: object URL %s, want %s", c.url, u, c.obj)
		}
	}
	for _, c := range []struct{ url, reason string }{
		{"s3://bucket?endpoint=http://127.0.0.1:9000&use_path_style=true", "unknown parameter use_path_style"},
		{"s3://bucket?endpoint=http://127.0.0.1:9000", "add s3ForcePathStyle=true"},
		{"s3://bucket?endpoint=http://localhost:9000&awssdk=v2", "drop awssdk=v2"},
		{"s3://bucket?s3ForcePathStyle=true&awssdk=v2", "unknown parameter s3ForcePathStyle"},
		{"s3://bucket?s3ForcePathStyle=yes", "s3ForcePathStyle=yes: true or false"},
		{"s3://bucket?endpoint=ftp://host", `endpoint "ftp://host"`},
		{"s3://bucket?endpoint=http://host/path", "with no path"},
		{"s3://Bucket", "bucket \"Bucket\""},
		{"s3://ab", "bucket \"ab\""},
		{"s3://bucket:9000", "the bucket's name alone"},
		{"s3://bucket/a/../b", "no empty or .. segments"},
		{"s3://bucket?awssdk=v3", "awssdk=v3"},
		{"s3://bucket?region=US_EAST", "region \"US_EAST\""},
		{"gs://bucket", "not an s3:// URL"},
	} {
		_, err := Parse(c.url)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.reason) || !strings.Contains(err.Error(), "state backend ") {
			t.Errorf("%s: %v, want an ErrInvalid saying %q", c.url, err, c.reason)
		}
	}
}
