package imagerelease

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
)

const source = "ami-0123456789abcdef0"

// fakeClients are SDK clients of every region, pointed at the loopback fake.
func fakeClients(f *awsfake.EC2) Clients {
	return func(region string) (EC2, error) {
		return ec2.New(ec2.Options{
			Region: region, BaseEndpoint: aws.String(f.URL()),
			Credentials:      credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
			RetryMaxAttempts: 1,
		}), nil
	}
}

// newFake is a fake of EC2 whose clock runs 6,000 times as fast as the
// wall clock: a copy's ten minutes pending pass in 100 ms.
func newFake(t *testing.T) *awsfake.EC2 {
	f := awsfake.NewEC2()
	f.Clock = clock.NewScaled(6000)
	t.Cleanup(f.Close)
	f.AddImage("us-east-1", awsfake.Image{ID: source, Name: "shop-b7", Tags: map[string]string{contract.TagBuild: "shop-b7"}})
	return f
}

func promote(ctx context.Context, f *awsfake.EC2, maxWait time.Duration, progress *bytes.Buffer) error {
	_, err := Promote(ctx, fakeClients(f), PromoteOptions{
		Image: "shop", SourceImage: source, SourceRegion: "us-east-1", Regions: []string{"us-east-1", "us-west-2", "eu-west-1"},
		MaxWait: maxWait, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, Progress: progress,
	})
	return err
}

func TestPromoteCopiesWaitsAndIsIdempotent(t *testing.T) {
	f := newFake(t)
	var progress bytes.Buffer
	m, err := Promote(context.Background(), fakeClients(f), PromoteOptions{
		Image: "shop", SourceImage: source, SourceRegion: "us-east-1", Regions: []string{"us-east-1", "us-west-2", "eu-west-1"},
		MaxWait: 10 * time.Second, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("promote: %v\n%s", err, progress.String())
	}
	if m.Build != "shop-b7" || m.SourceImage != source || m.Regions["us-east-1"] != source || len(m.Regions) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, r := range []string{"us-west-2", "eu-west-1"} {
		img, ok := f.Image(r, m.Regions[r])
		if !ok || img.State != awsfake.ImageAvailable || img.SourceImageID != source || img.SourceRegion != "us-east-1" ||
			img.Tags[contract.TagBuild] != "shop-b7" || img.Tags[contract.TagSourceImage] != source || !img.Encrypted {
			t.Errorf("%s: copy %+v", r, img)
		}
	}
	if !strings.Contains(progress.String(), "us-west-2: copying as ami-") || !strings.Contains(progress.String(), "available") {
		t.Errorf("progress:\n%s", progress.String())
	}
	if err := Verify(context.Background(), fakeClients(f), m, []string{"us-east-1", "us-west-2", "eu-west-1"}); err != nil {
		t.Errorf("verify after promote: %v", err)
	}
	// a second run finds the copies and copies nothing
	before := strings.Count(strings.Join(f.Calls(), "\n"), "CopyImage")
	m2, err := Promote(context.Background(), fakeClients(f), PromoteOptions{
		Image: "shop", SourceImage: source, SourceRegion: "us-east-1", Regions: []string{"us-west-2", "eu-west-1"}, MaxWait: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := strings.Count(strings.Join(f.Calls(), "\n"), "CopyImage"); after != before {
		t.Errorf("rerun made %d more copies", after-before)
	}
	if m2.Regions["eu-west-1"] != m.Regions["eu-west-1"] {
		t.Errorf("rerun manifest %v, first %v", m2.Regions, m.Regions)
	}
}

func TestPromoteFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("copy fails", func(t *testing.T) {
		f := newFake(t)
		f.FailCopiesTo["eu-west-1"] = true
		if err := promote(ctx, f, 5*time.Second, &bytes.Buffer{}); !errors.Is(err, ErrCopyFailed) || !strings.Contains(err.Error(), "eu-west-1") {
			t.Errorf("err = %v, want ErrCopyFailed naming eu-west-1", err)
		}
	})
	t.Run("copy too slow", func(t *testing.T) {
		f := newFake(t)
		f.Timings.ImageCopy = 1000 * time.Hour
		began := time.Now()
		err := promote(ctx, f, 200*time.Millisecond, &bytes.Buffer{})
		if !errors.Is(err, ErrCopyFailed) || !strings.Contains(err.Error(), "deadline exceeded") {
			t.Errorf("err = %v, want ErrCopyFailed from the waiter's max wait", err)
		}
		if time.Since(began) > 10*time.Second {
			t.Errorf("the wait was not bounded: %s", time.Since(began))
		}
	})
	t.Run("source missing", func(t *testing.T) {
		f := awsfake.NewEC2()
		defer f.Close()
		err := promote(ctx, f, time.Second, &bytes.Buffer{})
		if !errors.Is(err, ErrSourceImage) || !strings.Contains(err.Error(), "InvalidAMIID.NotFound") {
			t.Errorf("err = %v, want ErrSourceImage with EC2's error code", err)
		}
	})
	t.Run("source without build tag", func(t *testing.T) {
		f := awsfake.NewEC2()
		defer f.Close()
		f.AddImage("us-east-1", awsfake.Image{ID: source, Name: "hand-made"})
		if err := promote(ctx, f, time.Second, &bytes.Buffer{}); !errors.Is(err, ErrSourceImage) || !strings.Contains(err.Error(), contract.TagBuild) {
			t.Errorf("err = %v, want ErrSourceImage naming the tag", err)
		}
		if calls := strings.Join(f.Calls(), " "); strings.Contains(calls, "CopyImage") {
			t.Errorf("copied an untagged image: %s", calls)
		}
	})
}

func TestVerifyFindsEveryMismatch(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	m, err := Promote(ctx, fakeClients(f), PromoteOptions{Image: "shop", SourceImage: source, SourceRegion: "us-east-1", Regions: []string{"us-west-2"},
		MaxWait: 10 * time.Second, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// eu-west-1 has an image of another build; ap-south-1 is not in the manifest
	f.AddImage("eu-west-1", awsfake.Image{ID: "ami-0fedcba9876543210", Name: "shop-b6", SourceImageID: "ami-0aaaaaaaaaaaaaaaa", Tags: map[string]string{contract.TagBuild: "shop-b6"}})
	m.Regions["eu-west-1"] = "ami-0fedcba9876543210"
	err = Verify(ctx, fakeClients(f), m, []string{"us-east-1", "us-west-2", "eu-west-1", "ap-south-1"})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
	for _, want := range []string{`eu-west-1: ami-0fedcba9876543210 is build "shop-b6"`, "copied from \"ami-0aaaaaaaaaaaaaaaa\"", "ap-south-1: the manifest of shop has no image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verify error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "us-west-2") || strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("verify blames good regions:\n%v", err)
	}
}

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestCheckTemplate(t *testing.T) {
	path := TemplatePath(filepath.Join(root(), "images"), "shop")
	if diags, _ := CheckTemplate(path, []string{"us-east-1", "us-west-2", "eu-west-1"}); diags.HasErrors() {
		t.Fatalf("the repository's template fails prod's regions: %v", diags)
	}
	diags, _ := CheckTemplate(path, []string{"us-east-1", "ap-south-1", "sa-east-1"})
	if len(diags) != 1 || diags[0].Summary != "Packer template misses a region" || !strings.Contains(diags[0].Detail, "ap-south-1, sa-east-1") {
		t.Fatalf("diagnostics %v", diags)
	}
	if diags[0].Subject == nil || diags[0].Subject.Filename != path || diags[0].Subject.Start.Line < 30 {
		t.Errorf("the diagnostic does not point at ami_regions: %v", diags[0].Subject)
	}
}

func TestCheckTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ src, want string }{
		"untagged":  {`source "amazon-ebs" "x" { region = "us-east-1" }`, "Packer template does not tag the build"},
		"no source": {`build { sources = [] }`, "No amazon-ebs source"},
		"unknown":   {"variable \"r\" {}\nsource \"amazon-ebs\" \"x\" {\n region = var.r\n tags = { \"bulwark:build\" = \"b\" }\n}", "Cannot check region"},
		"syntax":    {`source "amazon-ebs" {`, "Unclosed configuration block"},
	} {
		path := filepath.Join(dir, name+".pkr.hcl")
		if err := writeFile(path, tc.src); err != nil {
			t.Fatal(err)
		}
		diags, _ := CheckTemplate(path, []string{"us-east-1"})
		found := false
		for _, d := range diags {
			found = found || d.Summary == tc.want
		}
		if !found {
			t.Errorf("%s: diagnostics %v, want %q", name, diags, tc.want)
		}
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
