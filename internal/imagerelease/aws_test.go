//go:build aws

// Tests against a real AWS account: make test-aws. They need credentials
// (the SDK's default chain), BULWARK_AWS_TEST_AMI (an AMI of this account
// tagged bulwark:build), BULWARK_AWS_TEST_FROM (its region) and
// BULWARK_AWS_TEST_TO (a region to copy it to). The copy is deregistered at
// the end. They cost a little (a snapshot copy) and take minutes.
package imagerelease

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestAWSPromoteAndVerify(t *testing.T) {
	ami, from, to := os.Getenv("BULWARK_AWS_TEST_AMI"), os.Getenv("BULWARK_AWS_TEST_FROM"), os.Getenv("BULWARK_AWS_TEST_TO")
	if ami == "" || from == "" || to == "" {
		t.Skip("set BULWARK_AWS_TEST_AMI, BULWARK_AWS_TEST_FROM and BULWARK_AWS_TEST_TO")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Minute)
	defer cancel()
	clients, err := NewClients(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Promote(ctx, clients, PromoteOptions{Image: "shop", SourceImage: ami, SourceRegion: from, Regions: []string{from, to}, MaxWait: 60 * time.Minute, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(to))
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := ec2.NewFromConfig(cfg).DeregisterImage(context.Background(), &ec2.DeregisterImageInput{
			ImageId: aws.String(m.Regions[to]), DeleteAssociatedSnapshots: aws.Bool(true),
		}); err != nil {
			t.Errorf("deregister the copy %s in %s: %v", m.Regions[to], to, err)
		}
	})
	if err := Verify(ctx, clients, m, []string{from, to}); err != nil {
		t.Fatal(err)
	}
}
