package s3url

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalid is an s3:// URL the engine would refuse or misread.
var ErrInvalid = errors.New("invalid s3 state backend URL")

// Error says why a URL is refused.
type Error struct {
	URL    string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("state backend %s: %s", clip(e.URL), e.Reason)
}

// Unwrap is ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Location is what an s3:// state backend URL names.
type Location struct {
	// Bucket is the bucket (the URL's host).
	Bucket string
	// Prefix is the key prefix the engine keeps its state under: the URL's
	// path without its leading slash and with a trailing one ("" for the
	// bucket's root).
	Prefix string
	// Region is the URL's region; "" leaves it to the SDK's default chain
	// (AWS_REGION, the profile's region).
	Region string
	// Endpoint is scheme://host[:port] of an S3-compatible server; "" for
	// AWS's own endpoints.
	Endpoint string
	// PathStyle addresses the bucket in the path (s3ForcePathStyle=true)
	// rather than as a host name.
	PathStyle bool
	// Profile is the shared-config profile for credentials and region.
	Profile string
	// SDKv2 is awssdk=v2: the engine uses aws-sdk-go-v2.
	SDKv2 bool
}

// The query parameters the engine's s3 driver reads (gocloud.dev v0.37.0:
// aws.ConfigFromURLParams, aws.V2ConfigFromURLParams, NewSessionFromURLParams
// and s3blob.URLOpener).
var (
	paramsV1 = []string{"region", "endpoint", "disableSSL", "s3ForcePathStyle", "profile", "awssdk", "ssetype", "kmskeyid"}
	paramsV2 = []string{"region", "endpoint", "profile", "awssdk", "ssetype", "kmskeyid"}
)

// bucketName is an S3 bucket name: 3-63 lower-case letters, digits, dots
// and hyphens, starting and ending with a letter or digit
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionName = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
)

// Example is a URL of the form that works with an S3-compatible server on
// this machine (MinIO).
const Example = "s3://bulwark-state?endpoint=http://127.0.0.1:9000&s3ForcePathStyle=true&region=us-east-1"

// Parse reads an s3:// state backend URL, refusing what the engine would
// refuse or misread, with the reason (a *Error, ErrInvalid).
func Parse(raw string) (Location, error) {
	fail := func(format string, args ...any) (Location, error) {
		return Location{}, &Error{URL: raw, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("not a URL: %v", err)
	}
	if u.Scheme != "s3" {
		return fail("not an s3:// URL")
	}
	if u.User != nil || u.Port() != "" || u.Fragment != "" {
		return fail("the URL's host is the bucket's name alone, e.g. %s", Example)
	}
	loc := Location{Bucket: u.Host}
	if !bucketName.MatchString(loc.Bucket) || strings.Contains(loc.Bucket, "..") {
		return fail("bucket %q: a bucket name is 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit", loc.Bucket)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if slices.Contains(strings.Split(p, "/"), "..") || strings.Contains(p, "//") {
			return fail("key prefix %q: no empty or .. segments", p)
		}
		loc.Prefix = p + "/"
	}
	q := u.Query()
	switch v := q.Get("awssdk"); v {
	case "", "v1", "V1":
	case "v2", "V2":
		loc.SDKv2 = true
	default:
		return fail("awssdk=%s: v1 (the default) or v2", v)
	}
	allowed := paramsV1
	if loc.SDKv2 {
		allowed = paramsV2
	}
	var unknown []string
	for k := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		hint := ""
		if slices.Contains(unknown, "use_path_style") || slices.Contains(unknown, "usePathStyle") {
			hint = " (the pinned engine's gocloud.dev v0.37.0 spells path-style addressing s3ForcePathStyle=true, with the default awssdk=v1)"
		}
		sdk := "v1"
		if loc.SDKv2 {
			sdk = "v2"
		}
		return fail("unknown parameter %s: the engine (awssdk=%s) takes %s%s", strings.Join(unknown, ", "), sdk, strings.Join(allowed, ", "), hint)
	}
	loc.Region, loc.Profile = q.Get("region"), q.Get("profile")
	if loc.Region != "" && !regionName.MatchString(loc.Region) {
		return fail("region %q is not a region name such as us-east-1", loc.Region)
	}
	disableSSL := false
	for _, p := range []struct {
		name string
		to   *bool
	}{{"disableSSL", &disableSSL}, {"s3ForcePathStyle", &loc.PathStyle}} {
		if v, ok := q[p.name]; ok {
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				return fail("%s=%s: true or false", p.name, v[0])
			}
			*p.to = b
		}
	}
	if e := q.Get("endpoint"); e != "" {
		// aws-sdk-go adds https:// (http:// with disableSSL) to an endpoint
		// without a scheme (endpoints.AddScheme)
		if !strings.Contains(e, "://") {
			scheme := "https://"
			if disableSSL {
				scheme = "http://"
			}
			e = scheme + e
		}
		eu, err := url.Parse(e)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Hostname() == "" || strings.Trim(eu.Path, "/") != "" || eu.RawQuery != "" || eu.User != nil {
			return fail("endpoint %q: want http://host:port or https://host[:port], with no path", q.Get("endpoint"))
		}
		loc.Endpoint = eu.Scheme + "://" + eu.Host
		if h := eu.Hostname(); (net.ParseIP(h) != nil || h == "localhost") && !loc.PathStyle {
			if loc.SDKv2 {
				return fail("endpoint %s is an address, not a name the bucket can prefix: it needs path-style addressing, which awssdk=v2 cannot set in the pinned engine; drop awssdk=v2 and add s3ForcePathStyle=true", loc.Endpoint)
			}
			return fail("endpoint %s is an address, not a name the bucket can prefix: add s3ForcePathStyle=true, e.g. %s", loc.Endpoint, Example)
		}
	}
	return loc, nil
}

// String is the bucket and prefix as an s3:// URL, without the query.
func (l Location) String() string {
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// ObjectURL is the HTTP(S) URL of the object key (relative to the bucket,
// prefix included by the caller), or of the bucket itself for key "":
// path-style or virtual-hosted at the endpoint, else AWS's regional
// endpoint (region is the resolved region when the URL names none).
func (l Location) ObjectURL(region, key string) *url.URL {
	base := l.Endpoint
	if base == "" {
		host := "s3." + region + ".amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			host += ".cn"
		}
		base = "https://" + host
	}
	u, _ := url.Parse(base) // checked by Parse
	// a bucket with a dot cannot be a host name under TLS (the wildcard
	// certificate covers one label): path-style, as the SDKs do
	pathStyle := l.PathStyle || (strings.Contains(l.Bucket, ".") && u.Scheme == "https")
	switch {
	case pathStyle && key == "":
		u.Path = "/" + l.Bucket
	case pathStyle:
		u.Path = "/" + l.Bucket + "/" + key
	default:
		u.Host = l.Bucket + "." + u.Host
		u.Path = "/" + key
	}
	return u
}

// clip shortens a long URL for a message.
func clip(raw string) string {
	if len(raw) > 200 {
		return raw[:200] + "..."
	}
	return raw
}
