package aws_test

import (
	"encoding/json"
	"fmt"
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
		s := stack(t, p, "prod."+r.Name)
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
	s := stack(t, p, "prod."+primary)
	secrets := ofType(s, "aws:secretsmanager/secret:Secret")
	if len(secrets) != 1 || secrets[0].Inputs["name"] != "bulwark/prod/shop/database" {
		t.Fatalf("secrets %v", secrets)
	}
	var replicas []string
	for _, rep := range secrets[0].Inputs["replicas"].([]any) {
		replicas = append(replicas, fmt.Sprint(rep.(map[string]any)["region"]))
	}
	slices.Sort(replicas)
	if !slices.Equal(replicas, []string{"eu-west-1", "us-west-2"}) {
		t.Errorf("the secret is replicated to %v", replicas)
	}
	versions := ofType(s, "aws:secretsmanager/secretVersion:SecretVersion")
	if len(versions) != 1 || versions[0].Inputs["secretStringWo"] != plan.Secret || versions[0].Inputs["secretString"] != nil {
		t.Errorf("secret versions %v", versions)
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
