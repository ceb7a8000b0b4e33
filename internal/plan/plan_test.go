package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

func loadFull(t *testing.T) *topology.Topology {
	t.Helper()
	l := &topology.Loader{}
	topo, err := l.LoadFile("../topology/testdata/valid/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestBuildGraph(t *testing.T) {
	p, err := Build(context.Background(), loadFull(t), Options{Project: "shopco"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.Stacks {
		names = append(names, s.Stack)
	}
	if len(names) != 3 || names[0] != "dev.east" || names[1] != "dev.west" || names[2] != "dev.global" {
		t.Fatalf("stacks = %v", names)
	}
	east := p.Stacks[0]
	byType := map[string][]Resource{}
	for _, r := range east.Resources {
		byType[r.Type] = append(byType[r.Type], r)
	}
	if len(byType["bulwark:topology:Region"]) != 1 || len(byType["bulwark:topology:Service"]) != 1 {
		t.Fatalf("east resources = %+v", east.Resources)
	}
	region, svc := byType["bulwark:topology:Region"][0], byType["bulwark:topology:Service"][0]
	if svc.Parent != region.URN {
		t.Errorf("service parent = %q, want the region %q", svc.Parent, region.URN)
	}
	if want := "urn:pulumi:dev.east::shopco::bulwark:topology:Region$bulwark:topology:Service::shop"; svc.URN != want {
		t.Errorf("service URN = %q, want %q", svc.URN, want)
	}
	if east.Outputs["region"] != "east" || east.Outputs["primary"] != true {
		t.Errorf("east outputs = %v", east.Outputs)
	}

	global := p.Stacks[2]
	var refs []string
	for _, r := range global.Resources {
		if r.Type == StackReferenceType {
			refs = append(refs, r.Inputs["name"].(string))
		}
	}
	if len(refs) != 2 || refs[0] != "organization/shopco/dev.east" || refs[1] != "organization/shopco/dev.west" {
		t.Errorf("stack references = %v", refs)
	}
	// the regional outputs reach the global stack through its stack references
	regions, _ := global.Outputs["regions"].(map[string]any)
	west, _ := regions["west"].(map[string]any)
	services, _ := west["services"].(map[string]any)
	shop, _ := services["shop"].(map[string]any)
	if shop["port"] != float64(8080) || shop["fqdn"] != "www.shop.test" {
		t.Errorf("global outputs regions.west.services.shop = %v (all: %v)", shop, global.Outputs)
	}
	if global.Outputs["primary"] != "east" {
		t.Errorf("global primary = %v", global.Outputs["primary"])
	}
}

func TestBuildDeterministic(t *testing.T) {
	topo := loadFull(t)
	var prev []byte
	for i := 0; i < 5; i++ {
		p, err := Build(context.Background(), topo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !bytes.Equal(prev, b) {
			t.Fatalf("run %d differs:\n%s\n---\n%s", i, prev, b)
		}
		prev = b
	}
}

func TestBuildCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, loadFull(t), Options{}); err == nil {
		t.Fatal("a cancelled plan succeeded")
	}
}
