package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
)

// scratchProject copies the repository's Pulumi.yaml, prod environment and
// shop image (template, no manifest) into a temporary project, and runs the
// CLI there.
func scratchProject(t *testing.T) (dir string, runIn func(args ...string) (int, string, string)) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "environments/prod.hcl", "images/shop/shop.pkr.hcl"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// plan prices the environment from the project's price folder
	if err := os.CopyFS(filepath.Join(dir, "pricing", "aws"), os.DirFS("../../pricing/aws")); err != nil {
		t.Fatal(err)
	}
	return dir, func(args ...string) (int, string, string) {
		wd, _ := os.Getwd()
		if err := os.Chdir(dir); err != nil {
			t.Fatal(err)
		}
		defer os.Chdir(wd)
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

// fakeAWSCredentials keep the SDK away from real credentials and the
// instance metadata service.
func fakeAWSCredentials(t *testing.T) {
	awsfake.UseFakeCredentials(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
}

func TestImagesPromoteThenPlanThenVerify(t *testing.T) {
	fakeAWSCredentials(t)
	f := awsfake.NewEC2()           // a fake of EC2 on loopback: no AWS account here
	f.Clock = clock.NewScaled(6000) // a copy's ten pending minutes pass in a tenth of a second
	defer f.Close()
	const ami = "ami-0abcdef0123456789"
	f.AddImage("us-east-1", awsfake.Image{ID: ami, Name: "shop-b9", Tags: map[string]string{contract.TagBuild: "shop-b9"}})
	dir, bulwark := scratchProject(t)

	// before promotion, plan fails at the image attribute, naming a region
	code, _, errOut := bulwark("plan", "--env", "prod")
	if code != exitBadInput || !strings.Contains(errOut, "environments/prod.hcl line") || !strings.Contains(errOut, "Unusable image manifest") {
		t.Fatalf("plan before promotion = %d:\n%s", code, errOut)
	}

	code, out, errOut := bulwark("images", "promote", "--env", "prod", "--image", "shop", "--ami", ami, "--from", "us-east-1", "--endpoint-url", f.URL(), "--max-wait", "30s")
	if code != exitOK {
		t.Fatalf("promote = %d:\n%s%s", code, out, errOut)
	}
	m, err := imagemanifest.Load(filepath.Join(dir, "images"), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if m.Build != "shop-b9" || len(m.Regions) != 3 || m.Regions["us-east-1"] != ami {
		t.Fatalf("manifest %+v", m)
	}
	for _, r := range []string{"us-west-2", "eu-west-1"} {
		if img, ok := f.Image(r, m.Regions[r]); !ok || img.SourceImageID != ami {
			t.Errorf("%s: %s is not a copy in the fake: %+v", r, m.Regions[r], img)
		}
	}
	if !strings.Contains(out, "images/shop/manifest.json: build shop-b9 in eu-west-1, us-east-1, us-west-2") {
		t.Errorf("promote output: %s", out)
	}

	if code, _, errOut := bulwark("plan", "--env", "prod"); code != exitOK {
		t.Fatalf("plan after promotion = %d:\n%s", code, errOut)
	}
	code, out, errOut = bulwark("images", "verify", "--env", "prod", "--endpoint-url", f.URL())
	if code != exitOK || !strings.Contains(out, "shop: build shop-b9 available in us-east-1, us-west-2, eu-west-1") {
		t.Fatalf("verify = %d:\n%s%s", code, out, errOut)
	}

	// a region's image from another build: verify fails and says where
	f.AddImage("eu-west-1", awsfake.Image{ID: "ami-0999999999999999a", Name: "old", SourceImageID: ami, Tags: map[string]string{contract.TagBuild: "shop-b8"}})
	m.Regions["eu-west-1"] = "ami-0999999999999999a"
	if err := m.Save(filepath.Join(dir, "images")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = bulwark("images", "verify", "--env", "prod", "--endpoint-url", f.URL())
	if code != exitFailed || !strings.Contains(errOut, `eu-west-1: ami-0999999999999999a is build "shop-b8"`) {
		t.Errorf("verify of a mixed build = %d:\n%s", code, errOut)
	}
}

func TestImagesPromoteFailureKeepsManifest(t *testing.T) {
	fakeAWSCredentials(t)
	f := awsfake.NewEC2()
	defer f.Close()
	dir, bulwark := scratchProject(t)
	code, _, errOut := bulwark("images", "promote", "--env", "prod", "--image", "shop", "--ami", "ami-0abcdef0123456789", "--from", "us-east-1", "--endpoint-url", f.URL())
	if code != exitFailed || !strings.Contains(errOut, "InvalidAMIID.NotFound") || !strings.Contains(errOut, "The manifest is unchanged") {
		t.Errorf("promote of a missing AMI = %d:\n%s", code, errOut)
	}
	if _, err := os.Stat(imagemanifest.Path(filepath.Join(dir, "images"), "shop")); !os.IsNotExist(err) {
		t.Errorf("a failed promotion wrote a manifest: %v", err)
	}
}

func TestImagesCheckPointsAtTheTemplate(t *testing.T) {
	dir, bulwark := scratchProject(t)
	tpl := filepath.Join(dir, "images", "shop", "shop.pkr.hcl")
	b, _ := os.ReadFile(tpl)
	if err := os.WriteFile(tpl, []byte(strings.Replace(string(b), `default = ["us-west-2", "eu-west-1"]`, `default = ["us-west-2"]`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := bulwark("images", "check", "--env", "prod")
	if code != exitBadInput || !strings.Contains(errOut, "Packer template misses a region") || !strings.Contains(errOut, "images/shop/shop.pkr.hcl line") || !strings.Contains(errOut, "eu-west-1") {
		t.Errorf("check = %d:\n%s", code, errOut)
	}
}
