package policies

import (
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// awsModel is environments/prod.hcl with a hand-made graph of pulumi-aws
// resources in its first region's stack, as the engine or mocks record them.
func awsModel(t *testing.T, resources ...plan.Resource) *Model {
	t.Helper()
	topo := exampleEnvironment(t, "prod")
	for i := range resources {
		resources[i].URN = "urn:pulumi:prod.us-east-1::bulwark::" + resources[i].Type + "::" + resources[i].Name
	}
	m := FromPlan(topo, &plan.Plan{Stacks: []plan.StackGraph{{Stack: "prod.us-east-1", Resources: resources}}})
	return m
}

func res(ty, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{Type: ty, Name: name, Custom: true, Inputs: inputs}
}

func policyFindings(t *testing.T, m *Model, id string) []Finding {
	t.Helper()
	cfg, diags := Configure(m.Topology)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return findings(Evaluate(m, cfg), id)
}

func TestAWSResourcePolicies(t *testing.T) {
	goodLT := res(awsLaunchTemplate, "shop", map[string]any{
		"metadataOptions":     map[string]any{"httpTokens": "required"},
		"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "true"}}},
	})
	badLT := res(awsLaunchTemplate, "shop", map[string]any{
		"metadataOptions":     map[string]any{"httpTokens": "optional"},
		"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "false"}}},
	})
	cases := []struct {
		policy    string
		pass, bad []plan.Resource
	}{
		{"imdsv2", []plan.Resource{goodLT}, []plan.Resource{badLT}},
		{"encryption-at-rest", []plan.Resource{goodLT,
			res(awsRDSCluster, "db", map[string]any{"storageEncrypted": true}),
			res(awsDynamoTable, "t", map[string]any{"serverSideEncryption": map[string]any{"enabled": true}}),
			res(awsBackupVault, "v", map[string]any{"kmsKeyArn": "arn:aws:kms:us-east-1:1:key/x"}),
			res(awsEBSVolume, "vol", map[string]any{"encrypted": true}),
		}, []plan.Resource{badLT,
			res(awsRDSCluster, "db", map[string]any{}),
			res(awsDynamoTable, "t", map[string]any{}),
			res(awsBackupVault, "v", map[string]any{}),
			res(awsEBSVolume, "vol", map[string]any{"encrypted": false}),
		}},
		{"no-public-buckets", []plan.Resource{
			res(awsBucket, "assets", map[string]any{}),
			res(awsPublicAccessBlock, "assets", map[string]any{"bucket": "assets-id", "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true}),
		}, []plan.Resource{
			res(awsBucket, "assets", map[string]any{}),
			res(awsPublicAccessBlock, "assets", map[string]any{"bucket": "assets-id", "blockPublicAcls": true, "blockPublicPolicy": false, "ignorePublicAcls": true, "restrictPublicBuckets": true}),
		}},
		{"nat-per-zone", []plan.Resource{
			res(awsNATGateway, "a", map[string]any{}), res(awsNATGateway, "b", map[string]any{}), res(awsNATGateway, "c", map[string]any{}),
		}, []plan.Resource{res(awsNATGateway, "a", map[string]any{})}},
		{"restore-tests", []plan.Resource{
			res(awsBackupPlan, "shop", map[string]any{}), res(awsRestoreTestingPlan, "shop", map[string]any{}),
		}, []plan.Resource{res(awsBackupPlan, "shop", map[string]any{})}},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			if f := policyFindings(t, awsModel(t, c.pass...), c.policy); len(f) != 0 {
				t.Errorf("passing graph: %+v", f)
			}
			f := policyFindings(t, awsModel(t, c.bad...), c.policy)
			if len(f) == 0 {
				t.Fatal("failing graph: no finding")
			}
			if c.policy == "encryption-at-rest" && len(f) != 5 {
				t.Errorf("want one finding per unencrypted resource, got %d: %+v", len(f), f)
			}
			if f[0].URN == "" || f[0].Range.Start.Line == 0 {
				t.Errorf("finding lacks a URN or a line: %+v", f[0])
			}
		})
	}
}
