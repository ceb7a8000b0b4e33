package policies

import (
	"fmt"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// Resource types of pulumi-aws (sdk v7) that the resource-level policies judge.
const (
	awsLaunchTemplate     = "aws:ec2/launchTemplate:LaunchTemplate"
	awsEBSVolume          = "aws:ebs/volume:Volume"
	awsRDSCluster         = "aws:rds/cluster:Cluster"
	awsRDSGlobalCluster   = "aws:rds/globalCluster:GlobalCluster"
	awsDynamoTable        = "aws:dynamodb/table:Table"
	awsBackupVault        = "aws:backup/vault:Vault"
	awsBucket             = "aws:s3/bucket:Bucket"
	awsPublicAccessBlock  = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	awsNATGateway         = "aws:ec2/natGateway:NatGateway"
	awsBackupPlan         = "aws:backup/plan:Plan"
	awsRestoreTestingPlan = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
)

// resourcePolicies judge the graph's AWS resources one by one.
func resourcePolicies() []Policy {
	return []Policy{
		{
			ID: "imdsv2", Description: "instances require IMDSv2 (session tokens for the metadata service)",
			Enforcement: Mandatory, Remediation: "set metadataOptions.httpTokens = \"required\" on the launch template",
			Check: checkIMDSv2, ResourceLevel: true,
		},
		{
			ID: "encryption-at-rest", Description: "volumes, databases and backup vaults are encrypted at rest",
			Enforcement: Mandatory, Remediation: "encrypt the volume, storage or table, and give each backup vault its own KMS key",
			Check: checkEncryption, ResourceLevel: true,
		},
		{
			ID: "no-public-buckets", Description: "every bucket blocks public access",
			Enforcement: Mandatory, Remediation: "add a BucketPublicAccessBlock with all four settings true",
			Check: checkPublicBuckets, ResourceLevel: true,
		},
		{
			ID: "nat-per-zone", Description: "production regions do not depend on a single NAT gateway",
			Enforcement: Mandatory, Remediation: "one NAT gateway per zone (nat = \"single\" only outside production)",
			Params: []Param{{Name: "environments", Default: cty.ListVal([]cty.Value{cty.StringVal("prod"), cty.StringVal("production")}), Description: "environments that are production"}},
			Check:  checkNATPerZone, ResourceLevel: true,
		},
		{
			ID: "restore-tests", Description: "production backups are restored on a schedule, to prove they work",
			Enforcement: Mandatory, Remediation: "add an AWS Backup restore testing plan beside every backup plan",
			Params: []Param{{Name: "environments", Default: cty.ListVal([]cty.Value{cty.StringVal("prod"), cty.StringVal("production")}), Description: "environments that are production"}},
			Check:  checkRestoreTests, ResourceLevel: true,
		},
	}
}

func checkRestoreTests(m *Model, p Params) []Finding {
	if !slices.Contains(p.Strings("environments"), m.Topology.Environment.Name) {
		return nil
	}
	plans := map[string][]plan.Resource{}
	tested := map[string]bool{}
	each(m, func(stack string, r plan.Resource) {
		if r.Type == awsBackupPlan {
			plans[stack] = append(plans[stack], r)
		} else {
			tested[stack] = true
		}
	}, awsBackupPlan, awsRestoreTestingPlan)
	var out []Finding
	for _, s := range m.Graph.Stacks {
		for _, r := range plans[s.Stack] {
			if !tested[s.Stack] {
				out = append(out, resourceFinding(m, s.Stack, r, "backup plan %s has no restore testing plan: nothing proves its backups restore", r.Name))
			}
		}
	}
	return out
}

// each calls fn for every resource of the given types in the graph.
func each(m *Model, fn func(stack string, r plan.Resource), types ...string) {
	if m.Graph == nil {
		return
	}
	for _, s := range m.Graph.Stacks {
		for _, r := range s.Resources {
			if slices.Contains(types, r.Type) {
				fn(s.Stack, r)
			}
		}
	}
}

func resourceFinding(m *Model, stack string, r plan.Resource, format string, args ...any) Finding {
	return Finding{Message: fmt.Sprintf(format, args...), Stack: stack, URN: r.URN, Range: m.Topology.Environment.DeclRange}
}

func checkIMDSv2(m *Model, _ Params) []Finding {
	var out []Finding
	each(m, func(stack string, r plan.Resource) {
		if str(obj(r.Inputs, "metadataOptions"), "httpTokens") != "required" {
			out = append(out, resourceFinding(m, stack, r, "launch template %s allows IMDSv1 (metadataOptions.httpTokens is not \"required\")", r.Name))
		}
	}, awsLaunchTemplate)
	return out
}

// truthy accepts true and "true" (launch templates take strings).
func truthy(v any) bool { return v == true || v == "true" }

func checkEncryption(m *Model, _ Params) []Finding {
	var out []Finding
	each(m, func(stack string, r plan.Resource) {
		switch r.Type {
		case awsLaunchTemplate:
			for _, bdm := range list(r.Inputs, "blockDeviceMappings") {
				if ebs := obj(bdm, "ebs"); ebs != nil && !truthy(ebs["encrypted"]) {
					out = append(out, resourceFinding(m, stack, r, "launch template %s: volume %s is not encrypted", r.Name, str(bdm, "deviceName")))
				}
			}
		case awsEBSVolume:
			if !truthy(r.Inputs["encrypted"]) {
				out = append(out, resourceFinding(m, stack, r, "volume %s is not encrypted", r.Name))
			}
		case awsRDSCluster, awsRDSGlobalCluster:
			if !truthy(r.Inputs["storageEncrypted"]) {
				out = append(out, resourceFinding(m, stack, r, "database %s does not encrypt its storage", r.Name))
			}
		case awsDynamoTable:
			if sse := obj(r.Inputs, "serverSideEncryption"); sse == nil || !truthy(sse["enabled"]) {
				out = append(out, resourceFinding(m, stack, r, "table %s has no server-side encryption with its own key", r.Name))
			}
		case awsBackupVault:
			if str(r.Inputs, "kmsKeyArn") == "" {
				out = append(out, resourceFinding(m, stack, r, "backup vault %s has no KMS key of its own", r.Name))
			}
		}
	}, awsLaunchTemplate, awsEBSVolume, awsRDSCluster, awsRDSGlobalCluster, awsDynamoTable, awsBackupVault)
	return out
}

func checkPublicBuckets(m *Model, _ Params) []Finding {
	type bucket struct {
		stack string
		r     plan.Resource
	}
	var buckets []bucket
	blocked := map[string]bool{} // the access blocks' bucket input
	each(m, func(stack string, r plan.Resource) {
		if r.Type == awsBucket {
			buckets = append(buckets, bucket{stack, r})
			return
		}
		in := r.Inputs
		if truthy(in["blockPublicAcls"]) && truthy(in["blockPublicPolicy"]) && truthy(in["ignorePublicAcls"]) && truthy(in["restrictPublicBuckets"]) {
			blocked[str(in, "bucket")] = true
		}
	}, awsBucket, awsPublicAccessBlock)
	var out []Finding
	for _, b := range buckets {
		name := str(b.r.Inputs, "bucket")
		// an access block names its bucket by name or by ID (under mocks, <name>-id)
		if !blocked[name] && !blocked[b.r.Name] && !blocked[b.r.Name+"-id"] {
			out = append(out, resourceFinding(m, b.stack, b.r, "bucket %s does not block public access", b.r.Name))
		}
	}
	return out
}

func checkNATPerZone(m *Model, p Params) []Finding {
	if !slices.Contains(p.Strings("environments"), m.Topology.Environment.Name) {
		return nil
	}
	count := map[string]int{}
	first := map[string]plan.Resource{}
	each(m, func(stack string, r plan.Resource) {
		if count[stack] == 0 {
			first[stack] = r
		}
		count[stack]++
	}, awsNATGateway)
	var out []Finding
	for _, region := range m.Topology.Regions {
		stack := m.Topology.Environment.Name + "." + region.Name
		if n := count[stack]; n == 1 {
			f := resourceFinding(m, stack, first[stack], "region %s routes every zone through one NAT gateway", region.Name)
			f.Region, f.Range = region.Name, region.DeclRange
			out = append(out, f)
		}
	}
	return out
}

func list(m map[string]any, k string) []map[string]any {
	items, _ := m[k].([]any)
	var out []map[string]any
	for _, it := range items {
		if o, ok := it.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}
