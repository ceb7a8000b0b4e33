package aws_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
	"github.com/bulwark-dev/bulwark/stacks"
)

// planBlueGreen plans testdata/bluegreen.hcl with the blue-green state the
// orchestrator would set for a phase (nil: none, as a first deploy or a
// review sees it).
func planBlueGreen(t *testing.T, states map[string]topology.BlueGreenState) plan.StackGraph {
	t.Helper()
	l := &topology.Loader{Images: topology.ImageDir(filepath.Join(root(), "images"))}
	topo, err := l.LoadFile(filepath.Join(root(), "modules", "aws", "testdata", "bluegreen.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), topo, plan.Options{Inputs: stacks.RunInputs{BlueGreen: states}})
	if err != nil {
		t.Fatal(err)
	}
	return stack(t, p, "bg.us-east-1")
}

// byName indexes a stack's resources of one type by name.
func byName(s plan.StackGraph, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range ofType(s, typ) {
		out[r.Name] = r.Inputs
	}
	return out
}

// arnOf is the ARN the plan's mocks gave a resource of the stack.
func arnOf(s plan.StackGraph, typ, name string) string {
	for _, r := range ofType(s, typ) {
		if r.Name == name {
			return fmt.Sprint(r.Outputs["arn"])
		}
	}
	return "(no " + typ + " " + name + ")"
}

// weights is the HTTP listener's forward weights of a service, by target
// group name (its resource's, found by the ARN the listener names).
func weights(t *testing.T, s plan.StackGraph, listener string) map[string]float64 {
	t.Helper()
	in, ok := byName(s, "aws:lb/listener:Listener")[listener]
	if !ok {
		t.Fatalf("no listener %s", listener)
	}
	names := map[string]string{}
	for _, tg := range ofType(s, "aws:lb/targetGroup:TargetGroup") {
		names[fmt.Sprint(tg.Outputs["arn"])] = tg.Name
	}
	groups, _ := get(in, "defaultActions", "0", "forward", "targetGroups").([]any)
	out := map[string]float64{}
	for _, g := range groups {
		m := g.(map[string]any)
		out[names[fmt.Sprint(m["arn"])]] = m["weight"].(float64)
	}
	return out
}

func TestBlueGreenInstanceGroupsFollowTheirState(t *testing.T) {
	manifest, err := imagemanifest.Load(filepath.Join(root(), "images"), "shop")
	if err != nil {
		t.Fatal(err)
	}
	built, _ := manifest.AMI("us-east-1")
	oldImage := topology.ImageRef{Digest: "ami-0old0old0old0old0", Build: "old-build"}
	newImage := topology.ImageRef{Digest: built, Build: manifest.Build}

	cases := []struct {
		name   string
		state  *topology.BlueGreenState
		groups map[string]topology.ImageRef // launch template name -> image
		live   string
	}{
		{"no state: blue alone, on the built image", nil, map[string]topology.ImageRef{"shop": newImage}, "shop"},
		{"staged: green beside blue, blue serving",
			&topology.BlueGreenState{Live: topology.Blue, Groups: map[topology.Colour]topology.ImageRef{topology.Blue: oldImage, topology.Green: newImage}, Serving: 5},
			map[string]topology.ImageRef{"shop": oldImage, "shop-green": newImage}, "shop"},
		{"switched: green serving, blue kept",
			&topology.BlueGreenState{Live: topology.Green, Groups: map[topology.Colour]topology.ImageRef{topology.Blue: oldImage, topology.Green: newImage}, Serving: 5},
			map[string]topology.ImageRef{"shop": oldImage, "shop-green": newImage}, "shop-green"},
		{"retired: green alone",
			&topology.BlueGreenState{Live: topology.Green, Groups: map[topology.Colour]topology.ImageRef{topology.Green: newImage}},
			map[string]topology.ImageRef{"shop-green": newImage}, "shop-green"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var states map[string]topology.BlueGreenState
			if c.state != nil {
				states = map[string]topology.BlueGreenState{"shop": *c.state}
			}
			s := planBlueGreen(t, states)
			// both target groups always exist: a switch only moves weights
			tgs := byName(s, "aws:lb/targetGroup:TargetGroup")
			if _, ok := tgs["shop"]; !ok {
				t.Errorf("no blue target group: %v", tgs)
			}
			if _, ok := tgs["shop-green"]; !ok {
				t.Errorf("no green target group: %v", tgs)
			}
			w := weights(t, s, "shop-http")
			other := map[string]string{"shop": "shop-green", "shop-green": "shop"}[c.live]
			if w[c.live] != 100 || w[other] != 0 || len(w) != 2 {
				t.Errorf("listener weights %v, want every request to %s", w, c.live)
			}
			templates := byName(s, "aws:ec2/launchTemplate:LaunchTemplate")
			groups := byName(s, "aws:autoscaling/group:Group")
			for name, img := range c.groups {
				lt, ok := templates[name]
				if !ok || lt["imageId"] != img.Digest {
					t.Errorf("launch template %s: %v, want image %s", name, lt["imageId"], img.Digest)
				}
				if build := get(lt, "tagSpecifications", "0", "tags", "bulwark:image-build"); build != img.Build {
					t.Errorf("launch template %s: build tag %v, want %s", name, build, img.Build)
				}
				g, ok := groups[name]
				if !ok {
					t.Fatalf("no group %s: %v", name, groups)
				}
				if tg := get(g, "targetGroupArns", "0"); tg != arnOf(s, "aws:lb/targetGroup:TargetGroup", name) {
					t.Errorf("group %s behind %v, want its own colour's target group", name, tg)
				}
				// a new colour starts as large as the serving one runs and
				// its creation waits for that many healthy targets
				want := float64(2)
				if c.state != nil && c.state.Serving > 2 {
					want = float64(c.state.Serving)
				}
				if g["desiredCapacity"] != want || g["minElbCapacity"] != want {
					t.Errorf("group %s: desired %v, waits for %v healthy, want %v", name, g["desiredCapacity"], g["minElbCapacity"], want)
				}
			}
			if len(groups) != len(c.groups) || len(templates) != len(c.groups) {
				t.Errorf("%d groups and %d launch templates, want %d", len(groups), len(templates), len(c.groups))
			}
			// the state is in the outputs, and reads back as it went in
			want := c.state
			if want == nil {
				want = &topology.BlueGreenState{Live: topology.Blue, Groups: map[topology.Colour]topology.ImageRef{topology.Blue: newImage}}
			}
			got, ok := awsmodule.BlueGreenFromOutputs(s.Outputs)["shop"]
			if !ok || got.Live != want.Live || !reflect.DeepEqual(got.Groups, want.Groups) {
				t.Errorf("state read back from the outputs: %+v, want %+v", got, *want)
			}
			if img := get(s.Outputs, "services", "shop", "image"); img != want.Groups[want.Live].Digest {
				t.Errorf("image output %v, want the serving colour's %s", img, want.Groups[want.Live].Digest)
			}
		})
	}
}

func TestBlueGreenContainersUseECSDeployments(t *testing.T) {
	s := planBlueGreen(t, nil)
	svc := byName(s, "aws:ecs/service:Service")["api"]
	if svc == nil {
		t.Fatal("no ECS service")
	}
	if get(svc, "deploymentConfiguration", "strategy") != "BLUE_GREEN" || get(svc, "deploymentConfiguration", "bakeTimeInMinutes") != "2" {
		t.Errorf("deployment configuration %v, want BLUE_GREEN baked 2 minutes (90s rounded up)", svc["deploymentConfiguration"])
	}
	adv, _ := get(svc, "loadBalancers", "0", "advancedConfiguration").(map[string]any)
	if adv["alternateTargetGroupArn"] != arnOf(s, "aws:lb/targetGroup:TargetGroup", "api-green") || adv["productionListenerRule"] != arnOf(s, "aws:lb/listenerRule:ListenerRule", "api-production") {
		t.Errorf("advanced configuration %v", adv)
	}
	if get(svc, "loadBalancers", "0", "targetGroupArn") != arnOf(s, "aws:lb/targetGroup:TargetGroup", "api") || get(svc, "deploymentCircuitBreaker", "rollback") != true {
		t.Errorf("load balancer %v, circuit breaker %v", svc["loadBalancers"], svc["deploymentCircuitBreaker"])
	}
	rule := byName(s, "aws:lb/listenerRule:ListenerRule")["api-production"]
	if rule == nil || rule["listenerArn"] != arnOf(s, "aws:lb/listener:Listener", "api-http") || get(rule, "conditions", "0", "pathPattern", "values", "0") != "/*" {
		t.Fatalf("production listener rule %v", rule)
	}
	if get(rule, "actions", "0", "forward", "targetGroups", "0", "weight") != float64(100) || get(rule, "actions", "0", "forward", "targetGroups", "1", "weight") != float64(0) {
		t.Errorf("production rule actions %v, want blue 100, green 0", rule["actions"])
	}
	role := byName(s, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["api-deployments"]
	if role["policyArn"] != "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers" {
		t.Errorf("ECS's deployment role policy %v", role)
	}
	// ECS switches by itself: no state for the orchestrator
	if _, ok := awsmodule.BlueGreenFromOutputs(s.Outputs)["api"]; ok || awsmodule.SwitchesBlueGreen(topology.Service{Runtime: topology.RuntimeContainer, Rollout: topology.Rollout{Strategy: topology.RolloutBlueGreen}}) {
		t.Error("the orchestrator would switch a container service")
	}
}
