package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// refused is an aws environment the loader accepts and a real account
// refuses (a Route 53 health check path over 255 characters).
const refused = "cmd/bulwark/testdata/aws-refused.hcl"

// TestPlanFailsOnAWSConstraints: bulwark plan of an aws environment AWS
// would refuse prints the violations like policy failures, with the AWS
// page of each, and exits 1; JSON and SARIF carry them too.
func TestPlanFailsOnAWSConstraints(t *testing.T) {
	code, out, errOut := inProject(t, "plan", "--env", refused)
	if code != exitFailed || !strings.Contains(errOut, "AWS constraint violation(s)") {
		t.Fatalf("plan = %d\n%s", code, errOut)
	}
	for _, want := range []string{"AWS constraints:", "FAIL route53-health-check", "aws:route53/healthCheck:HealthCheck api-us-east-1", "resourcePath has 300 characters; at most 255",
		"see: https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = inProject(t, "plan", "--env", refused, "--format", "json")
	var doc struct {
		Constraints *struct {
			Rules      int
			Violations []struct{ Stack, URN, Type, Rule, Message, Source string }
		} `json:"aws_constraints"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFailed {
		t.Fatalf("json plan = %d, %v", code, err)
	}
	if doc.Constraints == nil || doc.Constraints.Rules < 40 || len(doc.Constraints.Violations) == 0 {
		t.Fatalf("aws_constraints = %+v", doc.Constraints)
	}
	v := doc.Constraints.Violations[0]
	if v.Rule != "route53-health-check" || v.Stack != "refused.global" || !strings.HasSuffix(v.URN, "::api-us-east-1") || !strings.HasPrefix(v.Source, "https://docs.aws.amazon.com/") {
		t.Errorf("first violation %+v", v)
	}

	code, out, _ = inProject(t, "plan", "--env", refused, "--format", "sarif")
	if code != exitFailed || !strings.Contains(out, `"ruleId": "aws/route53-health-check"`) || !strings.Contains(out, `"helpUri": "https://docs.aws.amazon.com/`) {
		t.Errorf("sarif plan = %d:\n%s", code, out)
	}
}

// TestPlanOfALocalEnvironmentRunsNoAWSConstraints: the suite is the aws
// target's.
func TestPlanOfALocalEnvironmentRunsNoAWSConstraints(t *testing.T) {
	code, out, errOut := inProject(t, "plan", "--env", "dev", "--format", "json")
	if code != exitOK || strings.Contains(out, "aws_constraints") {
		t.Errorf("plan dev = %d (aws_constraints in output: %t)\n%s", code, strings.Contains(out, "aws_constraints"), errOut)
	}
}
