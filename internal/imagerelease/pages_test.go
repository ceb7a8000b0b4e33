package imagerelease

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/contract"
)

// A rerun finds the region's copy of the build wherever it lies in EC2's
// pages (here the fake pages five images at a time, and the copy is on
// the third page), and copies nothing.
func TestPromoteFindsTheCopyOnALaterPage(t *testing.T) {
	f := newFake(t)
	f.PageSize = 5
	for i := range 12 { // this build's copies from other source images: not this one's
		f.AddImage("us-west-2", awsfake.Image{ID: fmt.Sprintf("ami-0%016x", i), Name: fmt.Sprintf("other-%d", i), SourceImageID: "ami-0aaaaaaaaaaaaaaaa",
			Tags: map[string]string{contract.TagBuild: "shop-b7"}})
	}
	const copied = "ami-0ffffffffffffffff"
	f.AddImage("us-west-2", awsfake.Image{ID: copied, Name: "shop-b7", SourceImageID: source, SourceRegion: "us-east-1", Tags: map[string]string{contract.TagBuild: "shop-b7"}})
	var progress bytes.Buffer
	m, err := Promote(context.Background(), fakeClients(f), PromoteOptions{Image: "shop", SourceImage: source, SourceRegion: "us-east-1",
		Regions: []string{"us-west-2"}, MaxWait: 10 * time.Second, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, Progress: &progress})
	if err != nil {
		t.Fatalf("promote: %v\n%s", err, progress.String())
	}
	if m.Regions["us-west-2"] != copied || strings.Contains(strings.Join(f.Calls(), " "), "CopyImage") {
		t.Errorf("manifest %v, calls %v: want the copy on the third page, and no new copy", m.Regions, f.Calls())
	}
}

// retryingClients are SDK clients whose retryer retries EC2's throttling
// three times, quickly.
func retryingClients(f *awsfake.EC2) Clients {
	return func(region string) (EC2, error) {
		return ec2.New(ec2.Options{
			Region: region, BaseEndpoint: aws.String(f.URL()),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.Backoff, o.RateLimiter = 3, retry.NewExponentialJitterBackoff(5*time.Millisecond), ratelimit.None
			}),
		}), nil
	}
}

// EC2 throttling is retried by the SDK; past the retries it is neither a
// bad source image nor a mismatch between regions: ErrThrottled says to
// run again later.
func TestThrottlingIsRetriedThenReported(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	f.Throttle(2)
	m, err := Promote(ctx, retryingClients(f), PromoteOptions{Image: "shop", SourceImage: source, SourceRegion: "us-east-1",
		Regions: []string{"us-west-2"}, MaxWait: 10 * time.Second, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("promote throttled twice: %v, want it through after the SDK's retries", err)
	}

	f.Throttle(1000)
	_, err = Promote(ctx, retryingClients(f), PromoteOptions{Image: "shop", SourceImage: source, SourceRegion: "us-east-1", Regions: []string{"us-west-2"}, MaxWait: time.Second})
	if !errors.Is(err, ErrThrottled) || errors.Is(err, ErrSourceImage) || !strings.Contains(err.Error(), "RequestLimitExceeded") {
		t.Errorf("promote throttled for good: %v, want ErrThrottled (not ErrSourceImage) with EC2's code", err)
	}
	err = Verify(ctx, retryingClients(f), m, []string{"us-east-1", "us-west-2"})
	if !errors.Is(err, ErrThrottled) || errors.Is(err, ErrMismatch) {
		t.Errorf("verify throttled for good: %v, want ErrThrottled, not ErrMismatch", err)
	}
	f.Throttle(0)
	if err := Verify(ctx, retryingClients(f), m, []string{"us-east-1", "us-west-2"}); err != nil {
		t.Errorf("verify once EC2 answers: %v", err)
	}
}
