package teamstate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bulwark-dev/bulwark/internal/teamstate/s3url"
)

var (
	// ErrS3 wraps every failed request to the bucket.
	ErrS3 = errors.New("object storage")
	// ErrNotFound is a key the bucket does not hold (404 NoSuchKey).
	ErrNotFound = errors.New("no such key")
	// ErrNoBucket is a bucket that does not exist (404 NoSuchBucket).
	ErrNoBucket = errors.New("no such bucket")
	// ErrPrecondition is a conditional write refused: the key exists
	// (If-None-Match: *) or changed (If-Match), 412; or raced another
	// conditional write, 409 ConditionalRequestConflict.
	ErrPrecondition = errors.New("precondition failed")
	// ErrDenied is a request the credentials may not make (403).
	ErrDenied = errors.New("access denied")
)

// RequestError is a request the bucket refused or that did not reach it.
type RequestError struct {
	Op, Key string
	// Status is the HTTP status (0 when there was no answer), Code and
	// Message the S3 error's.
	Status        int
	Code, Message string
	// Kind is ErrNotFound, ErrNoBucket, ErrPrecondition, ErrDenied or nil.
	Kind error
	// Err is the transport's error when there was no answer.
	Err error
}

func (e *RequestError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s %s: %v", e.Op, e.Key, e.Err)
	}
	msg := fmt.Sprintf("%s %s: %d %s", e.Op, e.Key, e.Status, e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap is ErrS3, the kind and the transport's error.
func (e *RequestError) Unwrap() []error {
	errs := []error{ErrS3}
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Client makes requests to one state backend's bucket; keys are relative
// to the backend's prefix.
type Client struct {
	loc    s3url.Location
	region string
	creds  aws.CredentialsProvider
	http   *http.Client
	signer *v4.Signer
}

// RequestTimeout bounds each request.
const RequestTimeout = 20 * time.Second

// Open is a client for the bucket of an s3:// backend URL: the URL is
// checked (s3url.Parse) and the region and credentials resolved.
func Open(ctx context.Context, backend string) (*Client, error) {
	loc, err := s3url.Parse(backend)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if loc.Region != "" {
		opts = append(opts, config.WithRegion(loc.Region))
	}
	if loc.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(loc.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: AWS configuration: %w", ErrS3, loc, err)
	}
	region := cfg.Region
	if region == "" {
		if loc.Endpoint == "" {
			return nil, fmt.Errorf("%w: %s names no region and AWS_REGION is not set: add ?region=... to the state URL", ErrS3, loc)
		}
		region = "us-east-1" // what S3-compatible servers sign with by default
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("%w: %s: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)", ErrS3, loc)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = RequestTimeout
	return &Client{
		loc: loc, region: region, creds: cfg.Credentials,
		http:   &http.Client{Transport: tr, Timeout: RequestTimeout},
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
	}, nil
}

// Location is the backend's bucket and prefix.
func (c *Client) Location() s3url.Location { return c.loc }

// Condition makes a write conditional.
type Condition struct {
	// IfNoneMatch writes only when the key does not exist.
	IfNoneMatch bool
	// IfMatch writes only when the key's ETag is this one.
	IfMatch string
}

// Get reads a key and its ETag.
func (c *Client) Get(ctx context.Context, key string) ([]byte, string, error) {
	resp, body, err := c.do(ctx, "get", http.MethodGet, c.loc.Prefix+key, nil, nil, nil)
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("ETag"), nil
}

// Put writes a key, under cond, and returns its new ETag.
func (c *Client) Put(ctx context.Context, key string, body []byte, cond Condition) (string, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if cond.IfNoneMatch {
		h.Set("If-None-Match", "*")
	}
	if cond.IfMatch != "" {
		h.Set("If-Match", cond.IfMatch)
	}
	resp, _, err := c.do(ctx, "put", http.MethodPut, c.loc.Prefix+key, nil, h, body)
	if err != nil {
		return "", err
	}
	return resp.Header.Get("ETag"), nil
}

// Delete removes a key (a key already gone is no error).
func (c *Client) Delete(ctx context.Context, key string) error {
	_, _, err := c.do(ctx, "delete", http.MethodDelete, c.loc.Prefix+key, nil, nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// MaxListPages bounds List: 1,000 keys a page.
const MaxListPages = 100

// List is the keys under prefix (relative to the backend's prefix).
func (c *Client) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	token := ""
	for page := 0; page < MaxListPages; page++ {
		q := url.Values{"list-type": {"2"}, "prefix": {c.loc.Prefix + prefix}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		_, body, err := c.do(ctx, "list", http.MethodGet, "", q, nil, nil)
		if err != nil {
			return nil, err
		}
		var res struct {
			Contents []struct {
				Key string `xml:"Key"`
			} `xml:"Contents"`
			IsTruncated           bool   `xml:"IsTruncated"`
			NextContinuationToken string `xml:"NextContinuationToken"`
		}
		if err := xml.Unmarshal(body, &res); err != nil {
			return nil, &RequestError{Op: "list", Key: prefix, Err: fmt.Errorf("reading the listing: %w", err)}
		}
		for _, o := range res.Contents {
			keys = append(keys, o.Key[len(c.loc.Prefix):])
		}
		if !res.IsTruncated || res.NextContinuationToken == "" {
			return keys, nil
		}
		token = res.NextContinuationToken
	}
	return nil, &RequestError{Op: "list", Key: prefix, Err: fmt.Errorf("more than %d pages", MaxListPages)}
}

// MakeBucket creates the bucket (one that exists and is the caller's is no
// error): for trials on an S3-compatible server; on AWS, create the bucket
// with its settings (versioning, encryption, access) by other means.
func (c *Client) MakeBucket(ctx context.Context) error {
	_, _, err := c.do(ctx, "make bucket", http.MethodPut, "", nil, nil, nil)
	var re *RequestError
	if errors.As(err, &re) && re.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	return err
}

// emptySHA256 is the payload hash of no body.
var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// do makes one signed request to key ("" with a query: the bucket) and
// returns the response and its body, or a *RequestError.
func (c *Client) do(ctx context.Context, op, method, key string, q url.Values, h http.Header, body []byte) (*http.Response, []byte, error) {
	u := c.loc.ObjectURL(c.region, key)
	if q != nil {
		u.RawQuery = q.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, &RequestError{Op: op, Key: key, Err: err}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	hash := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, nil, &RequestError{Op: op, Key: key, Err: fmt.Errorf("AWS credentials: %w", err)}
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hash, "s3", c.region, time.Now()); err != nil {
		return nil, nil, &RequestError{Op: op, Key: key, Err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, &RequestError{Op: op, Key: key, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, nil, &RequestError{Op: op, Key: key, Err: err}
	}
	if resp.StatusCode/100 == 2 {
		return resp, b, nil
	}
	re := &RequestError{Op: op, Key: key, Status: resp.StatusCode}
	var s3err struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(b, &s3err) == nil {
		re.Code, re.Message = s3err.Code, s3err.Message
	}
	if re.Code == "" {
		re.Code = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && re.Code == "NoSuchBucket":
		re.Kind = ErrNoBucket
	case resp.StatusCode == http.StatusNotFound:
		re.Kind = ErrNotFound
	case resp.StatusCode == http.StatusPreconditionFailed,
		resp.StatusCode == http.StatusConflict && re.Code == "ConditionalRequestConflict":
		re.Kind = ErrPrecondition
	case resp.StatusCode == http.StatusForbidden:
		re.Kind = ErrDenied
	}
	return resp, nil, re
}
