package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A secret parameter's value reaches the program as a Pulumi secret: the
// plan (and so a review, which diffs plans) shows "[secret]" in its place,
// and no byte of the plan holds it.
func TestSecretParameterIsSecretInPlan(t *testing.T) {
	const value = "plan-secret-4b1e9"
	topo, p := planWithSecret(t, "full.hcl", "port  = 8080", value)
	found := 0
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			if r.Name != "shop-API_TOKEN" {
				continue
			}
			found++
			if r.Inputs["value"] != Secret || r.Inputs["secret"] != true {
				t.Errorf("%s %s: inputs %v, want value %s and secret true", s.Stack, r.Type, r.Inputs, Secret)
			}
		}
	}
	if found != len(topo.Regions) {
		t.Errorf("%d secret parameter resources, want one per region (%d)", found, len(topo.Regions))
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), value) {
		t.Error("the plan holds the secret's value in clear")
	}
}

// On aws a secret parameter is a SecureString whose value is a Pulumi
// secret (aws.hcl's service runs as containers: ECS reads it by ARN).
func TestSecretParameterAWSSecureString(t *testing.T) {
	const value = "aws-secret-0d93"
	topo, p := planWithSecret(t, "aws.hcl", "port    = 8080", value)
	found := 0
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			if r.Type == "aws:ssm/parameter:Parameter" && strings.HasSuffix(fmt.Sprint(r.Inputs["name"]), "/API_TOKEN") {
				found++
				if r.Inputs["type"] != "SecureString" || r.Inputs["value"] != Secret || r.Inputs["insecureValue"] != nil {
					t.Errorf("%s %s: inputs %v, want a SecureString with a secret value", s.Stack, r.Name, r.Inputs)
				}
			}
		}
	}
	if found != len(topo.Services[0].Regions) {
		t.Errorf("%d SecureString parameters, want one per region of the service (%d)", found, len(topo.Services[0].Regions))
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), value) {
		t.Error("the plan holds the secret's value in clear")
	}
}

// planWithSecret plans testdata file with shop's secret parameter
// API_TOKEN (declared after the line after, its value in the operator's
// environment).
func planWithSecret(t *testing.T, file, after, value string) (*topology.Topology, *Plan) {
	t.Helper()
	t.Setenv(topology.SecretParameterEnv("shop", "API_TOKEN"), value)
	path, err := filepath.Abs("../topology/testdata/valid/" + file)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withSecret := strings.Replace(string(src), after+"\n", after+"\n  secret_parameters = [\"API_TOKEN\"]\n", 1)
	if withSecret == string(src) {
		t.Fatalf("%s has no `%s` line to add the secret after", file, after)
	}
	topo, err := (&topology.Loader{}).Load(path, []byte(withSecret))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(context.Background(), topo, Options{Project: "shopco"})
	if err != nil {
		t.Fatal(err)
	}
	return topo, p
}
