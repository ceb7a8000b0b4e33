package awsfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
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
		aws.ToString(d.Images[0].SourceImageId) != "ami-0123456789abcdef0" || d.Images[0].State != types.ImageStateAvailable {
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
