package imagemanifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndChecks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "shop"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Image: "shop", Build: "b1", SourceRegion: "us-east-1", SourceImage: "ami-0123456789abcdef0",
		Regions: map[string]string{"us-east-1": "ami-0123456789abcdef0", "us-west-2": "ami-0fedcba9876543210"}}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := got.AMI("us-west-2"); err != nil || id != "ami-0fedcba9876543210" {
		t.Fatalf("AMI(us-west-2) = %q, %v", id, err)
	}
	if _, err := got.AMI("eu-west-1"); !errors.Is(err, ErrNoImage) || !strings.Contains(err.Error(), "bulwark images promote") {
		t.Fatalf("AMI of a region without a copy: %v", err)
	}
	if miss := got.Missing([]string{"us-east-1", "eu-west-1", "ap-south-1"}); strings.Join(miss, ",") != "ap-south-1,eu-west-1" {
		t.Errorf("Missing = %v", miss)
	}
	for _, bad := range []func(*Manifest){
		func(m *Manifest) { m.Regions["us-east-1"] = "latest" },
		func(m *Manifest) { m.Build = "" },
		func(m *Manifest) { m.Container = "shop:latest" },
	} {
		c := *got
		c.Regions = map[string]string{"us-east-1": "ami-0123456789abcdef0"}
		bad(&c)
		if err := c.Save(dir); err == nil {
			t.Errorf("saved a malformed manifest %+v", c)
		}
	}
}

func TestRepositoryManifestsAreWellFormed(t *testing.T) {
	images := filepath.Join("..", "..", "images")
	entries, err := os.ReadDir(images)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := os.Stat(Path(images, e.Name())); err == nil {
			if _, err := Load(images, e.Name()); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestContainerImagePerRegion(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("ab", 32)
	ecr := &Manifest{Image: "shop", Build: "b1", Container: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop" + digest}
	got, err := ecr.ContainerImage("eu-west-1")
	if err != nil || got != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"+digest {
		t.Errorf("ECR image in eu-west-1 = %q, %v; want the region's own registry, same digest", got, err)
	}
	other := &Manifest{Image: "shop", Build: "b1", Container: "ghcr.io/example/shop" + digest}
	if got, _ := other.ContainerImage("eu-west-1"); got != other.Container {
		t.Errorf("non-ECR image = %q, want it unchanged", got)
	}
	none := &Manifest{Image: "shop", Build: "b1"}
	if _, err := none.ContainerImage("us-east-1"); !errors.Is(err, ErrNoContainer) {
		t.Errorf("no container: err = %v, want ErrNoContainer", err)
	}
}
