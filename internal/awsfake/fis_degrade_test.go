package awsfake

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fis"
)

// GetExperimentTemplate answers a template's contents in its own region
// only, and every other call reaches the Cloud behind the endpoint.
func TestFISTemplatesAnswerContentsInTheirRegion(t *testing.T) {
	c := newCloud(t, 0)
	f := NewFISTemplates(c)
	t.Cleanup(f.Close)
	f.Add(ExperimentTemplate{ID: "EXTlat", Region: "us-east-1", Tags: map[string]string{"bulwark:scenario": "latency"}}, TemplateBody{
		RoleArn: "arn:aws:iam::" + Account + ":role/fis",
		Actions: map[string]TemplateAction{"slow": {ActionID: "aws:ssm:send-command", Targets: map[string]string{"Instances": "callers"},
			Parameters: map[string]string{"documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency-Sources", "duration": "PT5M"}}},
		Targets: map[string]TemplateTarget{"callers": {ResourceType: "aws:ec2:instance", SelectionMode: "ALL", ResourceTags: map[string]string{"bulwark:service": "shop"}}},
	})
	client := func(region string) *fis.Client {
		return fis.New(fis.Options{Region: region, BaseEndpoint: aws.String(f.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
	}
	ctx := context.Background()
	out, err := client("us-east-1").GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: aws.String("EXTlat")})
	if err != nil {
		t.Fatal(err)
	}
	tpl := out.ExperimentTemplate
	a := tpl.Actions["slow"]
	tg := tpl.Targets["callers"]
	if aws.ToString(tpl.Id) != "EXTlat" || aws.ToString(a.ActionId) != "aws:ssm:send-command" || a.Targets["Instances"] != "callers" ||
		a.Parameters["duration"] != "PT5M" || aws.ToString(tg.SelectionMode) != "ALL" || tg.ResourceTags["bulwark:service"] != "shop" || tpl.Tags["bulwark:scenario"] != "latency" {
		t.Fatalf("template %+v", tpl)
	}
	if _, err := client("us-west-2").GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: aws.String("EXTlat")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("another region: %v, want ResourceNotFoundException", err)
	}
	list, err := client("us-east-1").ListExperimentTemplates(ctx, &fis.ListExperimentTemplatesInput{})
	if err != nil || len(list.ExperimentTemplates) != 1 {
		t.Fatalf("list through the endpoint: %v, %+v", err, list)
	}
}
