package localprovider

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func TestLoadBalancerDiff(t *testing.T) {
	base := LoadBalancerArgs{Env: "dev", Region: "east", Service: "shop", Port: 8080,
		Health: HealthArgs{Path: "/healthz", IntervalMs: 1000, TimeoutMs: 1000, UnhealthyAfter: 2, HealthyAfter: 2}}
	running := LoadBalancerState{LoadBalancerArgs: base, Address: "127.0.1.1:8080", Running: true}
	cases := []struct {
		name   string
		state  LoadBalancerState
		inputs func(a LoadBalancerArgs) LoadBalancerArgs
		want   map[string]p.DiffKind // nil: no changes
	}{
		{"unchanged", running, func(a LoadBalancerArgs) LoadBalancerArgs { return a }, nil},
		{"port is an update", running, func(a LoadBalancerArgs) LoadBalancerArgs { a.Port = 9090; return a }, map[string]p.DiffKind{"port": p.Update}},
		{"health is an update", running, func(a LoadBalancerArgs) LoadBalancerArgs { a.Health.IntervalMs = 500; return a }, map[string]p.DiffKind{"health": p.Update}},
		{"blue-green (both slot ranges) is an update", running, func(a LoadBalancerArgs) LoadBalancerArgs { a.BlueGreen = true; return a }, map[string]p.DiffKind{"blueGreen": p.Update}},
		{"another region is a replacement", running, func(a LoadBalancerArgs) LoadBalancerArgs { a.Region = "west"; return a }, map[string]p.DiffKind{"region": p.UpdateReplace}},
		{"a dead balancer is repaired by an update", LoadBalancerState{LoadBalancerArgs: base}, func(a LoadBalancerArgs) LoadBalancerArgs { return a }, map[string]p.DiffKind{"running": p.Update}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := (&LoadBalancer{}).Diff(context.Background(), infer.DiffRequest[LoadBalancerArgs, LoadBalancerState]{ID: "dev/east/shop", State: c.state, Inputs: c.inputs(base)})
			if err != nil {
				t.Fatal(err)
			}
			if d.HasChanges != (c.want != nil) || len(d.DetailedDiff) != len(c.want) {
				t.Fatalf("diff = %+v, want %v", d, c.want)
			}
			for k, kind := range c.want {
				if d.DetailedDiff[k].Kind != kind {
					t.Errorf("%s: %v, want %v", k, d.DetailedDiff[k].Kind, kind)
				}
			}
		})
	}
}

func TestSpecsCarryTheInputs(t *testing.T) {
	a := InstanceGroupArgs{Env: "dev", Region: "east", Service: "shop", ImageDigest: "sha256:x", ImagePath: "/i", Port: 8080,
		Min: 1, Desired: 2, Max: 3, Zones: 3, Health: HealthArgs{Path: "/h", IntervalMs: 1500, TimeoutMs: 500, UnhealthyAfter: 2, HealthyAfter: 3}}
	s := a.spec()
	if s.ID().String() != "dev/east/shop" || s.Health.Interval.Milliseconds() != 1500 || s.Health.Timeout.Milliseconds() != 500 || s.Health.HealthyAfter != 3 || s.Desired != 2 {
		t.Errorf("spec = %+v", s)
	}
}

// Review calls a change a replacement by the same tags the diffs honour.
func TestReplaceOnChangesAgreesWithDiff(t *testing.T) {
	keys := ReplaceOnChanges()
	lb := keys["bulwark:local:LoadBalancer"]
	if !slices.Contains(lb, "region") || slices.Contains(lb, "port") || slices.Contains(lb, "health") {
		t.Errorf("load balancer replace keys %v: region replaces, port and health update (TestLoadBalancerDiff)", lb)
	}
	if db := keys["bulwark:local:Database"]; !slices.Contains(db, "primary") {
		t.Errorf("database replace keys %v lack primary", db)
	}
	if len(keys) < 6 {
		t.Errorf("only %d types have replace keys: %v", len(keys), keys)
	}
}

// Every registered kind has its replace keys (Parameter, Monitor and Data
// were once missing), and each kind's args are what its Create takes, so
// the tags read are the ones the provider decodes.
func TestEveryKindHasItsReplaceKeys(t *testing.T) {
	keys := ReplaceOnChanges()
	for _, typ := range []string{"Region", "Image", "InstanceGroup", "LoadBalancer", "DnsServer", "DnsRecord", "Database", "BackupPlan", "Parameter", "Monitor", "Data", "WriteQueue", "Cache", "Link"} {
		if _, ok := keys["bulwark:local:"+typ]; !ok {
			t.Errorf("no replace keys for bulwark:local:%s", typ)
		}
	}
	if got := keys["bulwark:local:Parameter"]; !slices.Equal(got, []string{"env", "region", "service", "name", "secret"}) {
		t.Errorf("parameter replace keys %v", got)
	}
	for _, k := range kinds {
		token, err := k.resource.GetToken()
		if err != nil {
			t.Fatal(err)
		}
		// the package part of the token is the provider's name, set when it is built
		_, module, _ := strings.Cut(string(token), ":")
		args := reflect.TypeOf(k.args)
		if want := "local:" + strings.TrimSuffix(args.Name(), "Args"); module != want {
			t.Errorf("kind %s is registered with args %s (%s)", token, args.Name(), want)
		}
	}
}
