package aws_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// The Aurora global database as AWS accepts it: Secrets Manager cannot
// manage the master password of a cluster in a global database
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html,
// "Limitations"), so the primary cluster gets a password written
// write-only, the same one its secret holds; a secondary cluster names no
// master user at all (it joins the global cluster's); a cluster with
// deletion protection names its final snapshot; no instance pins an
// engine version AWS upgrades.
func TestAuroraGlobalDatabaseAsAWSAcceptsIt(t *testing.T) {
	topo, p := planOf(t, "prod")
	primary := topo.Primary().Name
	for _, r := range topo.Regions {
		s := shopStack(t, p, "prod."+r.Name)
		clusters := ofType(s, "aws:rds/cluster:Cluster")
		if len(clusters) != 1 {
			t.Fatalf("%s: %d clusters", r.Name, len(clusters))
		}
		c := clusters[0].Inputs
		if _, ok := c["manageMasterUserPassword"]; ok {
			t.Errorf("%s: manageMasterUserPassword is set: AWS refuses it in a global database", r.Name)
		}
		if c["finalSnapshotIdentifier"] != "bulwark-prod-shop-"+r.Name+"-final" || c["skipFinalSnapshot"] != false {
			t.Errorf("%s: a protected cluster's deletion needs its final snapshot's name: %v %v", r.Name, c["skipFinalSnapshot"], c["finalSnapshotIdentifier"])
		}
		if r.Name == primary {
			if c["masterUsername"] != "bulwark" || c["masterPasswordWo"] != plan.Secret || c["masterPasswordWoVersion"] != 1.0 {
				t.Errorf("primary cluster's master user: %v %v %v", c["masterUsername"], c["masterPasswordWo"], c["masterPasswordWoVersion"])
			}
		} else {
			for _, k := range []string{"masterUsername", "masterPassword", "masterPasswordWo"} {
				if _, ok := c[k]; ok {
					t.Errorf("%s: the secondary cluster sets %s: it takes the global cluster's", r.Name, k)
				}
			}
		}
		// AWS upgrades minor versions: an up never reverts to the one created with
		if !slices.Contains(clusters[0].IgnoreChanges, "engineVersion") {
			t.Errorf("%s: the cluster does not leave its engine version to AWS: ignores %v", r.Name, clusters[0].IgnoreChanges)
		}
		for _, in := range ofType(s, "aws:rds/clusterInstance:ClusterInstance") {
			if v, ok := in.Inputs["engineVersion"]; ok {
				t.Errorf("%s: instance %s pins engine version %v", r.Name, in.Name, v)
			}
		}
	}
	s := shopStack(t, p, "prod."+primary)
	// two secrets: the master user's (never rotated) and the application
	// user's (rotated), both replicated to every other region, written once
	secrets := map[string]plan.Resource{}
	for _, sec := range ofType(s, "aws:secretsmanager/secret:Secret") {
		secrets[fmt.Sprint(sec.Inputs["name"])] = sec
	}
	for _, name := range []string{"bulwark/prod/shop/database-admin", "bulwark/prod/shop/database"} {
		sec, ok := secrets[name]
		if !ok {
			t.Fatalf("no secret %s in %v", name, slices.Collect(maps.Keys(secrets)))
		}
		var replicas []string
		for _, rep := range sec.Inputs["replicas"].([]any) {
			replicas = append(replicas, fmt.Sprint(rep.(map[string]any)["region"]))
		}
		slices.Sort(replicas)
		if !slices.Equal(replicas, []string{"eu-west-1", "us-west-2"}) {
			t.Errorf("%s is replicated to %v", name, replicas)
		}
	}
	versions := ofType(s, "aws:secretsmanager/secretVersion:SecretVersion")
	if len(versions) != 2 {
		t.Errorf("secret versions %v", versions)
	}
	for _, v := range versions {
		if v.Inputs["secretStringWo"] != plan.Secret || v.Inputs["secretString"] != nil || v.Inputs["secretStringWoVersion"] != 1.0 {
			t.Errorf("secret version %s: %v", v.Name, v.Inputs)
		}
	}
	// the application user's is rotated by AWS's alternating-users function, first after a period
	rotations := ofType(s, "aws:secretsmanager/secretRotation:SecretRotation")
	if len(rotations) != 1 || rotations[0].Inputs["rotateImmediately"] != false || get(rotations[0].Inputs, "rotationRules", "automaticallyAfterDays") != 30.0 {
		t.Errorf("rotations %v", rotations)
	}
	if apps := ofType(s, "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"); len(apps) != 1 ||
		!strings.HasSuffix(fmt.Sprint(apps[0].Inputs["applicationId"]), "/SecretsManagerRDSPostgreSQLRotationMultiUser") {
		t.Errorf("rotation function %v", apps)
	}
	// instances are replaced within half a rotation period, so they never hold a retired user
	for _, r := range topo.Regions {
		for _, g := range ofType(shopStack(t, p, "prod."+r.Name), "aws:autoscaling/group:Group") {
			if g.Inputs["maxInstanceLifetime"] != float64(15*24*3600) {
				t.Errorf("%s: group %s lives %v s, want 15 days", r.Name, g.Name, g.Inputs["maxInstanceLifetime"])
			}
		}
	}
	if gc := ofType(s, "aws:rds/globalCluster:GlobalCluster"); len(gc) != 1 || gc[0].Inputs["databaseName"] != "shop" || !slices.Contains(gc[0].IgnoreChanges, "engineVersion") {
		t.Errorf("global cluster %v", gc)
	}
	// the writer's URL, in every region's Parameter Store
	writers := map[string]string{}
	for _, param := range ofType(s, "aws:ssm/parameter:Parameter") {
		if param.Inputs["name"] == "/bulwark/prod/shop/runtime/BULWARK_DATABASE_WRITER_URL" {
			writers[fmt.Sprint(param.Inputs["region"])] = fmt.Sprint(param.Inputs["insecureValue"])
		}
	}
	for _, r := range topo.Regions {
		if !strings.Contains(writers[r.Name], ".global-") {
			t.Errorf("%s: writer URL %q", r.Name, writers[r.Name])
		}
	}
	// nothing in the whole plan holds the password in clear
	b, _ := json.Marshal(p)
	for _, k := range []string{`"masterPassword":"`, `"secretString":"`, `"password":"`} {
		if strings.Contains(string(b), k) {
			t.Errorf("the plan holds %s...", k)
		}
	}
}

// Containers read the credentials when a task starts: a container service
// with a database is redeployed every 15 days, by a schedule whose role
// may only update that service.
func TestContainersStartAfreshWithinARotation(t *testing.T) {
	_, p := planFile(t, "testdata/runtime.hcl")
	for _, region := range []string{"us-east-1", "us-west-2"} {
		s := stack(t, p, "rt."+region)
		schedules := ofType(s, "aws:scheduler/schedule:Schedule")
		if len(schedules) != 1 {
			t.Fatalf("%s: %d schedules, want the container service's (cart)", region, len(schedules))
		}
		in := schedules[0].Inputs
		var input map[string]any
		_ = json.Unmarshal([]byte(fmt.Sprint(get(in, "target", "input"))), &input)
		if in["scheduleExpression"] != "rate(15 days)" || get(in, "target", "arn") != "arn:aws:scheduler:::aws-sdk:ecs:updateService" ||
			input["ForceNewDeployment"] != true || !strings.HasPrefix(fmt.Sprint(input["Cluster"]), "arn:aws:ecs:"+region+":") {
			t.Errorf("%s: schedule %v", region, in)
		}
	}
}
