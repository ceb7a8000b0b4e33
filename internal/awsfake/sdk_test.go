package awsfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// The tests of this package call the fakes through aws-sdk-go-v2's own
// clients, as the code under test does, with retries off unless a test
// is about them.

var fakeKeys = credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", "")

// newCloud starts a Cloud whose clock runs factor times as fast as the
// wall clock (the wall clock itself when factor is 0).
func newCloud(t *testing.T, factor float64) *Cloud {
	t.Helper()
	c := NewCloud()
	if factor > 0 {
		c.Clock = clock.NewScaled(factor)
	}
	t.Cleanup(c.Close)
	return c
}

func asgClient(c *Cloud, region string) *autoscaling.Client {
	return autoscaling.New(autoscaling.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func r53Client(c *Cloud, region string) *route53.Client {
	return route53.New(route53.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func elbClient(c *Cloud, region string) *elb.Client {
	return elb.New(elb.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func cwClient(c *Cloud, region string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func fisClient(c *Cloud, region string) *fis.Client {
	return fis.New(fis.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

// code is an API error's code ("" for another error).
func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// status is the HTTP status an error came with (0 without one).
func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// sleepOn waits d of a clock's time.
func sleepOn(t *testing.T, c clock.Clock, d time.Duration) {
	t.Helper()
	if err := c.Sleep(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// until polls cond on the clock every step of its time until it holds or
// limit (of its time) passes, and reports the time it took.
func until(t *testing.T, c clock.Clock, step, limit time.Duration, cond func() bool) (time.Duration, bool) {
	t.Helper()
	start := c.Now()
	for clock.Since(c, start) < limit {
		if cond() {
			return clock.Since(c, start), true
		}
		sleepOn(t, c, step)
	}
	return clock.Since(c, start), cond()
}
