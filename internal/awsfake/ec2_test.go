package awsfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

func client(f *EC2, region string) *ec2.Client {
	return ec2.New(ec2.Options{Region: region, BaseEndpoint: aws.String(f.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""), RetryMaxAttempts: 1})
}

// The SDK's own deserializers read the fake's answers and errors.
func TestSDKReadsTheFake(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	f.AddImage("us-east-1", Image{ID: "ami-0123456789abcdef0", Name: "src", Tags: map[string]string{"bulwark:build": "b1"}})
	ctx := context.Background()
	_, err := client(f, "us-west-2").DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidAMIID.NotFound" {
		t.Fatalf("an image of another region: err = %v, want InvalidAMIID.NotFound (images are regional)", err)
	}
	out, err := client(f, "us-west-2").CopyImage(ctx, &ec2.CopyImageInput{SourceImageId: aws.String("ami-0123456789abcdef0"), SourceRegion: aws.String("us-east-1"), Name: aws.String("src"), CopyImageTags: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client(f, "us-west-2").CopyImage(ctx, &ec2.CopyImageInput{SourceImageId: aws.String("ami-0123456789abcdef0"), SourceRegion: aws.String("us-east-1"), Name: aws.String("src")}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidAMIName.Duplicate" {
		t.Errorf("a second copy of the same name: err = %v", err)
	}
	d, err := client(f, "us-west-2").DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("tag:bulwark:build"), Values: []string{"b1"}}}})
	if err != nil || len(d.Images) != 1 || aws.ToString(d.Images[0].ImageId) != aws.ToString(out.ImageId) ||
		aws.ToString(d.Images[0].SourceImageId) != "ami-0123456789abcdef0" || d.Images[0].State != types.ImageStatePending {
		t.Errorf("describe by tag: %+v, %v", d, err)
	}
}

func TestRawRequestsGetEC2Errors(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	post := func(auth string, form url.Values) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("", url.Values{"Action": {"DescribeImages"}, "Version": {EC2APIVersion}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "<Code>AuthFailure</Code>") || !strings.Contains(body, "<RequestID>") {
		t.Errorf("unsigned: %d %s", code, body)
	}
	auth := "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20261122/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=x"
	if code, body := post(auth, url.Values{"Action": {"RunInstances"}, "Version": {EC2APIVersion}}); code != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("an action the fake lacks: %d %s", code, body)
	}
	if code, body := post(auth, url.Values{"Action": {"CopyImage"}, "Version": {EC2APIVersion}, "SourceRegion": {"us-east-1"}}); code != http.StatusBadRequest || !strings.Contains(body, "MissingParameter") {
		t.Errorf("a copy without its image: %d %s", code, body)
	}
	if calls := f.Calls(); len(calls) != 2 || calls[0] != "RunInstances eu-west-1" {
		t.Errorf("calls %v", calls)
	}
}

// A copy is pending for ImageCopy on the fake's clock, however often it
// is described, then available.
func TestACopyIsPendingForImageCopy(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	f.Clock, f.Timings = clock.NewScaled(600), Timings{ImageCopy: 2 * time.Minute} // 200 ms
	f.AddImage("us-east-1", Image{ID: "ami-0123456789abcdef0", Name: "src"})
	ctx := context.Background()
	out, err := client(f, "us-west-2").CopyImage(ctx, &ec2.CopyImageInput{SourceImageId: aws.String("ami-0123456789abcdef0"), SourceRegion: aws.String("us-east-1"), Name: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	began := f.Clock.Now()
	state := func() types.ImageState {
		d, err := client(f, "us-west-2").DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(out.ImageId)}})
		if err != nil {
			t.Fatal(err)
		}
		return d.Images[0].State
	}
	for range 20 {
		if s := state(); s != types.ImageStatePending {
			t.Fatalf("right after the copy: %s, want pending", s)
		}
	}
	for i := 0; state() == types.ImageStatePending && i < 500; i++ {
		_ = f.Clock.Sleep(ctx, 5*time.Second)
	}
	if took := f.Clock.Now().Sub(began); state() != types.ImageStateAvailable || took < 2*time.Minute || took > 3*time.Minute {
		t.Errorf("available after %s (%s), want ImageCopy (2 min)", took, state())
	}
}

func TestDescribeImagesPages(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	f.PageSize = 2
	for i := range 7 {
		f.AddImage("eu-west-1", Image{ID: fmt.Sprintf("ami-0%016x", i), Name: fmt.Sprintf("img-%d", i), Tags: map[string]string{"bulwark:build": "b1"}})
	}
	ctx := context.Background()
	all, err := client(f, "eu-west-1").DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(all.Images) != 7 || all.NextToken != nil {
		t.Fatalf("unpaginated: %d images, token %v, %v; want all 7 in one answer", len(all.Images), all.NextToken, err)
	}
	in := &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(5), Filters: []types.Filter{{Name: aws.String("tag:bulwark:build"), Values: []string{"b1"}}}}
	seen, pages := 0, 0
	for p := ec2.NewDescribeImagesPaginator(client(f, "eu-west-1"), in); p.HasMorePages() && pages < 10; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Images)
	}
	if seen != 7 || pages != 4 {
		t.Errorf("paged: %d images in %d pages, want 7 in 4", seen, pages)
	}
	var apiErr smithy.APIError
	if _, err := client(f, "eu-west-1").DescribeImages(ctx, &ec2.DescribeImagesInput{MaxResults: aws.Int32(4)}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("MaxResults 4: %v, want InvalidParameterValue (5 to 1000)", err)
	}
	if _, err := client(f, "eu-west-1").DescribeImages(ctx, &ec2.DescribeImagesInput{MaxResults: aws.Int32(5), NextToken: aws.String("bm9wZQ")}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidPaginationToken" {
		t.Errorf("a made-up token: %v, want InvalidPaginationToken", err)
	}
}

// EC2 throttles with RequestLimitExceeded: the SDK's retryer backs off and
// retries it; a throttle that outlasts the retries reaches the caller as
// that error, after the retryer's attempts.
func TestEC2ThrottlingIsRetried(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	f.AddImage("us-east-1", Image{ID: "ami-0123456789abcdef0", Name: "src"})
	retrying := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.Backoff = 3, retry.NewExponentialJitterBackoff(10*time.Millisecond)
			o.RateLimiter = ratelimit.None
		})})
	ctx := context.Background()
	f.Throttle(2)
	if _, err := retrying.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}}); err != nil {
		t.Errorf("throttled twice: %v, want an answer on the third attempt", err)
	}
	if n := len(f.Calls()); n != 3 {
		t.Errorf("%d calls, want 3 (two throttled, one answered)", n)
	}
	f.Throttle(100)
	_, err := retrying.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	var apiErr smithy.APIError
	var exhausted *retry.MaxAttemptsError
	var resp *awshttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "RequestLimitExceeded" || !errors.As(err, &exhausted) || !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Errorf("throttled past the retries: %v, want RequestLimitExceeded (503) after the retryer's attempts", err)
	}
	if n := len(f.Calls()); n != 6 {
		t.Errorf("%d calls, want 6 (3 more attempts)", n)
	}
}

func TestCopyImageTokenWithOtherParameters(t *testing.T) {
	f := NewEC2()
	defer f.Close()
	f.AddImage("us-east-1", Image{ID: "ami-0123456789abcdef0", Name: "src"})
	ctx := context.Background()
	in := &ec2.CopyImageInput{SourceImageId: aws.String("ami-0123456789abcdef0"), SourceRegion: aws.String("us-east-1"), Name: aws.String("copy"), ClientToken: aws.String("tok")}
	first, err := client(f, "us-west-2").CopyImage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := client(f, "us-west-2").CopyImage(ctx, in); err != nil || aws.ToString(again.ImageId) != aws.ToString(first.ImageId) {
		t.Errorf("a retry: %v %v, want the same copy", again, err)
	}
	other := *in
	other.Name = aws.String("another")
	var apiErr smithy.APIError
	if _, err := client(f, "us-west-2").CopyImage(ctx, &other); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "IdempotentParameterMismatch" {
		t.Errorf("the token with another name: %v, want IdempotentParameterMismatch", err)
	}
}
