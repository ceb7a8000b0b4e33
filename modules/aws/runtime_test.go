package aws_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
	awsmodule "github.com/bulwark-dev/bulwark/modules/aws"
)

// regionOf is the region a planned resource is created in: its own region
// input (pulumi-aws v7), else its stack's.
func regionOf(stack string, r plan.Resource) string {
	if region, ok := r.Inputs["region"].(string); ok && region != "" {
		return region
	}
	_, region, _ := strings.Cut(stack, ".")
	return region
}

// world is what AWS would hold once every stack of the plan is deployed,
// as the stubbed AWS CLI answers it: per region, Parameter Store's
// parameters and Secrets Manager's secrets (a replica under the primary's
// name in each replica region). It is read from the plan's resources, not
// from the code that writes user data.
type world struct {
	Parameters map[string]map[string]string `json:"parameters"` // region -> name -> value
	Secrets    map[string]map[string]string `json:"secrets"`    // region -> name -> SecretString
}

func worldOf(p *plan.Plan, password string) world {
	w := world{Parameters: map[string]map[string]string{}, Secrets: map[string]map[string]string{}}
	put := func(m map[string]map[string]string, region, k, v string) {
		if m[region] == nil {
			m[region] = map[string]string{}
		}
		m[region][k] = v
	}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			switch r.Type {
			case "aws:ssm/parameter:Parameter":
				put(w.Parameters, regionOf(s.Stack, r), fmt.Sprint(r.Inputs["name"]), fmt.Sprint(r.Inputs["insecureValue"]))
			case "aws:secretsmanager/secret:Secret":
				// the value is write-only: the plan shows none; the world
				// holds what Secrets Manager would, with the user the
				// cluster was given
				name := fmt.Sprint(r.Inputs["name"])
				user := "bulwark" // the master user's secret
				if service, ok := strings.CutSuffix(strings.TrimPrefix(name, "bulwark/rt/"), "/database"); ok {
					user = service + "_app" // the application user's, which instances read
				}
				value, _ := json.Marshal(map[string]any{"engine": "postgres", "username": user, "password": password})
				put(w.Secrets, regionOf(s.Stack, r), name, string(value))
				replicas, _ := r.Inputs["replicas"].([]any)
				for _, rep := range replicas {
					put(w.Secrets, fmt.Sprint(rep.(map[string]any)["region"]), name, string(value))
				}
			}
		}
	}
	return w
}

// stubs are the programs the user data calls, answering as AWS would from
// the world (the AWS CLI's JSON and text outputs), in a directory put
// first on PATH.
func stubs(t *testing.T, w world) string {
	t.Helper()
	dir := t.TempDir()
	b, _ := json.Marshal(w)
	if err := os.WriteFile(filepath.Join(dir, "world.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	aws := `#!/usr/bin/env python3
# a stub of the AWS CLI v2 for the calls user data makes; it answers from world.json
import json, sys, os
w = json.load(open(os.path.join(os.path.dirname(sys.argv[0]), "world.json")))
a = sys.argv[1:]
def opt(k):
    return a[a.index(k) + 1]
region = opt("--region")
if a[:2] == ["ssm", "get-parameters-by-path"]:
    path = opt("--path")
    ps = [{"Name": n, "Value": v, "Type": "String"} for n, v in sorted(w["parameters"].get(region, {}).items())
          if n.startswith(path) and "/" not in n[len(path):]]
    print(json.dumps({"Parameters": ps}))
elif a[:2] == ["ssm", "get-parameter"]:
    name = opt("--name")
    if name not in w["parameters"].get(region, {}):
        sys.stderr.write("An error occurred (ParameterNotFound) when calling the GetParameter operation: \n"); sys.exit(254)
    print(w["parameters"][region][name])
elif a[:2] == ["secretsmanager", "get-secret-value"]:
    sid = opt("--secret-id")
    if sid not in w["secrets"].get(region, {}):
        sys.stderr.write("An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.\n"); sys.exit(254)
    print(w["secrets"][region][sid])
else:
    sys.stderr.write("stub aws: unexpected call %r\n" % a); sys.exit(2)
`
	curl := "#!/bin/sh\ncase \"$*\" in *api/token*) echo tok;; *instance-id*) echo i-0abc123;; *) exit 22;; esac\n"
	// systemctl restart of the service's unit runs its ExecStartPre: the runtime script
	systemctl := "#!/bin/sh\n[ \"$*\" = \"restart bulwark-service.service\" ] || exit 2\nexec /bin/bash \"$BULWARK_RUNTIME_SCRIPT\"\n"
	for name, body := range map[string]string{"aws": aws, "curl": curl, "systemctl": systemctl} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readEnvironmentFile parses a systemd environment file as systemd.exec(5)
// says: NAME="value" with \" and \\ escapes inside double quotes.
func readEnvironmentFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		name, quoted, ok := strings.Cut(line, "=")
		if !ok || len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
			t.Fatalf("%s: line %q is not NAME=\"value\"", path, line)
		}
		var v strings.Builder
		body := quoted[1 : len(quoted)-1]
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' && i+1 < len(body) {
				i++
			} else if body[i] == '"' {
				t.Fatalf("%s: unescaped quote in %q", path, line)
			}
			v.WriteByte(body[i])
		}
		out[name] = v.String()
	}
	return out
}

func needsOf(s topology.Service) contract.Needs {
	n := contract.Needs{Parameters: slices.Collect(maps.Keys(s.Parameters))}
	if s.Database != nil {
		n.Engine = s.Database.Engine
	}
	if s.WriteQueue != nil {
		n.Queue = contract.QueueEngineSQS
	}
	n.Dependencies, n.Cache = len(s.Dependencies) > 0, s.Cache != nil
	return n
}

// Every instance and container of every service, in every region, gets
// the whole runtime contract: instances by running their user data (the
// AWS CLI and IMDS stubbed with what the plan's stacks would have put in
// AWS), containers from their task definition. No secret is in either.
func TestEveryAWSInstanceGetsTheRuntimeContract(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 (the stub AWS CLI) not installed")
	}
	// with graceful degradation's parts (degraded: write queues, a cache,
	// dependencies), which add their keys
	topo := degraded(t)
	p := planTopology(t, topo)
	const password = "Pw0rdFromSecretsManager"
	w := worldOf(p, password)
	bin := stubs(t, w)
	for _, r := range topo.Regions {
		s := stack(t, p, "rt."+r.Name)
		for _, svc := range topo.Services {
			keys := contract.Keys(needsOf(svc))
			got := map[string]string{}
			switch svc.Runtime {
			case topology.RuntimeContainer:
				got = containerContract(t, s, svc, r.Name)
			default:
				var lt map[string]any
				for _, res := range ofType(s, "aws:ec2/launchTemplate:LaunchTemplate") {
					if strings.HasPrefix(fmt.Sprint(res.Inputs["namePrefix"]), "rt-"+svc.Name+"-") {
						lt = res.Inputs
					}
				}
				if lt == nil {
					t.Fatalf("%s: no launch template for %s", r.Name, svc.Name)
				}
				script, err := base64.StdEncoding.DecodeString(fmt.Sprint(lt["userData"]))
				if err != nil {
					t.Fatalf("%s/%s: user data is not base64: %v", r.Name, svc.Name, err)
				}
				if strings.Contains(string(script), password) {
					t.Errorf("%s/%s: the password is in user data", r.Name, svc.Name)
				}
				dir := t.TempDir()
				cmd := exec.Command("bash", "-c", string(script))
				cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "BULWARK_RUNTIME_DIR=" + dir, "BULWARK_RUNTIME_SCRIPT=" + filepath.Join(dir, "lib", "runtime.sh")}
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s/%s: user data failed: %v\n%s", r.Name, svc.Name, err, out)
				}
				got = readEnvironmentFile(t, filepath.Join(dir, "runtime.env"))
			}
			delivered := map[string]bool{}
			for k := range got {
				delivered[k] = true
			}
			if err := contract.Missing(keys, delivered); err != nil {
				t.Errorf("%s/%s (%s): %v", r.Name, svc.Name, svc.Runtime, err)
			}
			// the values are the ones meant, read back through each store
			want := map[string]string{contract.Environment: "rt", contract.Service: svc.Name, contract.Region: r.Name,
				contract.Listen: fmt.Sprintf("0.0.0.0:%d", svc.Port)}
			for k, v := range svc.Parameters {
				want[k] = v
				if svc.Runtime == topology.RuntimeContainer {
					// ECS reads it from the region's Parameter Store, where the stack put it
					name := "/bulwark/rt/" + svc.Name + "/" + k
					want[k] = "arn:aws:ssm:" + r.Name + ":123456789012:parameter" + name
					if w.Parameters[r.Name][name] != v {
						t.Errorf("%s/%s: parameter %s holds %q in the region, want %q", r.Name, svc.Name, name, w.Parameters[r.Name][name], v)
					}
				}
			}
			if svc.Runtime == topology.RuntimeContainer && svc.Database != nil {
				// ECS resolves the writer URL and the credentials at task start
				name := "/bulwark/rt/" + svc.Name + "/runtime/BULWARK_DATABASE_WRITER_URL"
				want[contract.DatabaseWriterURL] = "arn:aws:ssm:" + r.Name + ":123456789012:parameter" + name
				if !strings.Contains(w.Parameters[r.Name][name], ".global-") {
					t.Errorf("%s/%s: the region holds no writer URL at %s", r.Name, svc.Name, name)
				}
				for k, key := range map[string]string{contract.DatabaseUser: "username", contract.DatabasePassword: "password"} {
					if v := got[k]; !strings.HasPrefix(v, "arn:aws:secretsmanager:"+r.Name+":123456789012:secret:bulwark/rt/"+svc.Name+"/database-") || !strings.HasSuffix(v, ":"+key+"::") {
						t.Errorf("%s/%s: %s comes from %q, want the region's copy of the secret's %s", r.Name, svc.Name, k, v, key)
					}
				}
			}
			if svc.Database != nil && svc.Database.Engine == topology.EnginePostgres && svc.Runtime != topology.RuntimeContainer {
				want[contract.DatabaseUser], want[contract.DatabasePassword] = svc.Name+"_app", password
				// the global cluster's writer endpoint, which follows a failover
				if writer := got[contract.DatabaseWriterURL]; !strings.HasPrefix(writer, "postgres://bulwark-rt-"+svc.Name+".global-") ||
					!strings.HasSuffix(writer, ".global.rds.amazonaws.com:5432/"+svc.Name+"?sslmode=require") {
					t.Errorf("%s/%s: writer URL %q is not the global writer endpoint", r.Name, svc.Name, writer)
				}
				if reader := got[contract.DatabaseReaderURL]; !strings.Contains(reader, ".cluster-ro-") || !strings.Contains(reader, r.Name) {
					t.Errorf("%s/%s: reader URL %q is not a reader endpoint of the region's cluster", r.Name, svc.Name, reader)
				}
			}
			if svc.Database != nil && svc.Database.Engine == topology.EngineDynamoDB {
				want[contract.DatabaseTable] = "bulwark-rt-" + svc.Name
			}
			if svc.WriteQueue != nil {
				name := "bulwark-rt-" + svc.Name + "-writes"
				want[contract.QueueEngine], want[contract.QueueName] = "sqs", name
				want[contract.QueueURL] = "https://sqs." + r.Name + ".amazonaws.com/123456789012/" + name
			}
			if c := svc.Cache; c != nil {
				want[contract.CacheControl] = "public, max-age=2, stale-if-error=3600"
			}
			if len(svc.Dependencies) > 0 {
				deps, err := contract.DecodeDependencies(got[contract.Dependencies])
				wantDeps := []contract.Dependency{
					{Name: "cart", URL: "http://" + serviceOf(topo, "cart").DNS.FQDN(), Need: "soft", TimeoutMS: 300, Tries: 2, BackoffMS: 50, OnFailure: "serve-cached"},
					{Name: "cards", Need: "hard", TimeoutMS: 2000, Tries: 1, OnFailure: "queue-writes"},
				}
				if err != nil || !slices.Equal(deps, wantDeps) {
					t.Errorf("%s/%s: dependencies %q (%v), want %+v", r.Name, svc.Name, got[contract.Dependencies], err, wantDeps)
				}
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s/%s: %s = %q, want %q", r.Name, svc.Name, k, got[k], v)
				}
			}
		}
	}
}

// containerContract reads a container service's task definition in a
// stack: its environment's values, and its secrets' names with the
// valueFrom ECS resolves them from (checked to be full ARNs of the task's
// region, as ECS requires).
func containerContract(t *testing.T, s plan.StackGraph, svc topology.Service, region string) map[string]string {
	t.Helper()
	for _, res := range ofType(s, "aws:ecs/taskDefinition:TaskDefinition") {
		if res.Inputs["family"] != "rt-"+svc.Name {
			continue
		}
		var defs []struct {
			Environment []struct{ Name, Value string }
			Secrets     []struct{ Name, ValueFrom string }
		}
		if err := json.Unmarshal([]byte(fmt.Sprint(res.Inputs["containerDefinitions"])), &defs); err != nil || len(defs) != 1 {
			t.Fatalf("%s/%s: container definitions %v: %v", region, svc.Name, res.Inputs["containerDefinitions"], err)
		}
		got := map[string]string{}
		for _, e := range defs[0].Environment {
			got[e.Name] = e.Value
		}
		for _, sec := range defs[0].Secrets {
			if !strings.HasPrefix(sec.ValueFrom, "arn:aws:ssm:"+region+":") && !strings.HasPrefix(sec.ValueFrom, "arn:aws:secretsmanager:"+region+":") {
				t.Errorf("%s/%s: %s comes from %s, not a full ARN in the task's region", region, svc.Name, sec.Name, sec.ValueFrom)
			}
			got[sec.Name] = sec.ValueFrom
		}
		return got
	}
	t.Fatalf("%s: no task definition for %s", region, svc.Name)
	return nil
}

// The golden image's unit is the other half of the contract on instances:
// it runs the script user data installs before every start and reads
// what it writes.
func TestTheGoldenImageRunsTheRuntimeScript(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(), "images", "shop", "shop.pkr.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"/etc/systemd/system/" + awsmodule.ServiceUnit,
		`ExecStartPre=+/bin/bash ` + awsmodule.RuntimeScript,
		`EnvironmentFile=-` + awsmodule.RuntimeDir + `/runtime.env`,
		"systemctl enable " + awsmodule.ServiceUnit,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("images/shop/shop.pkr.hcl lacks %q", want)
		}
	}
}
