package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/awsconstraints"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// awsPlans plans every aws environment of the repository: the shipped
// ones, the module tests' and the constraints suite's variants.
func awsPlans(t *testing.T) map[string]*plan.Plan {
	t.Helper()
	out := map[string]*plan.Plan{}
	for _, pattern := range []string{"environments/*.hcl", "modules/aws/testdata/*.hcl", "internal/awsconstraints/testdata/*.hcl"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot(), pattern))
		for _, f := range files {
			l := &topology.Loader{Images: topology.ImageDir(filepath.Join(repoRoot(), "images"))}
			topo, err := l.LoadFile(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if topo.Environment.Target != topology.TargetAWS {
				continue
			}
			p, err := plan.Build(context.Background(), topo, plan.Options{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			rel, _ := filepath.Rel(repoRoot(), f)
			out[rel] = p
		}
	}
	if len(out) < 8 {
		t.Fatalf("%d aws environments", len(out))
	}
	return out
}

// TestNoResourceIsWiredToAnotherRegion walks every aws resource's inputs
// for ARNs, DNS names and IDs that carry a region other than the
// resource's own; the exceptions, where AWS reaches across regions by
// design, are awsconstraints' commented allow-list.
func TestNoResourceIsWiredToAnotherRegion(t *testing.T) {
	for name, p := range awsPlans(t) {
		for _, c := range awsconstraints.CrossRegionReferences(p) {
			t.Errorf("%s: %s %s (in %s) names %s of %s at %s", name, c.Stack, c.URN, c.ResourceRegion, c.Value, c.Region, c.Path)
		}
	}
}

// TestAMiswiredPlanShows: an alarm in us-east-1 notifying a topic of
// us-west-2, and one whose own region argument puts it in us-west-2 while
// it notifies us-east-1's topic, are both caught; the same alarm wired to
// its own region's topic is not.
func TestAMiswiredPlanShows(t *testing.T) {
	g, err := plan.Program("p", "miswired", func(ctx *pulumi.Context) (pulumi.Map, error) {
		topics := map[string]*sns.Topic{}
		providers := map[string]pulumi.ResourceOption{}
		for _, region := range []string{"us-east-1", "us-west-2"} {
			p, err := pulumiaws.NewProvider(ctx, region, &pulumiaws.ProviderArgs{Region: pulumi.String(region)})
			if err != nil {
				return nil, err
			}
			providers[region] = pulumi.Provider(p)
			if topics[region], err = sns.NewTopic(ctx, "alarms-"+region, &sns.TopicArgs{}, providers[region]); err != nil {
				return nil, err
			}
		}
		alarm := func(name string, topic *sns.Topic, opt pulumi.ResourceOption, region pulumi.StringPtrInput) error {
			_, err := cloudwatch.NewMetricAlarm(ctx, name, &cloudwatch.MetricAlarmArgs{
				ComparisonOperator: pulumi.String("GreaterThanThreshold"), EvaluationPeriods: pulumi.Int(1),
				AlarmActions: pulumi.Array{topic.Arn}, Region: region,
			}, opt)
			return err
		}
		if err := alarm("wired-across", topics["us-west-2"], providers["us-east-1"], nil); err != nil {
			return nil, err
		}
		if err := alarm("moved-by-region-argument", topics["us-east-1"], providers["us-east-1"], pulumi.String("us-west-2")); err != nil {
			return nil, err
		}
		if err := alarm("wired-right", topics["us-east-1"], providers["us-east-1"], nil); err != nil {
			return nil, err
		}
		return pulumi.Map{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Environment: "miswired", Target: "aws", Stacks: []plan.StackGraph{*g}}
	found := map[string]awsconstraints.CrossRegionReference{}
	for _, c := range awsconstraints.CrossRegionReferences(p) {
		found[c.URN] = c
	}
	var names []string
	for _, c := range awsconstraints.CrossRegionReferences(p) {
		names = append(names, c.URN)
	}
	want := map[string][3]string{
		"urn:pulumi:miswired::p::aws:cloudwatch/metricAlarm:MetricAlarm::wired-across":             {"us-east-1", "us-west-2", "alarmActions.0"},
		"urn:pulumi:miswired::p::aws:cloudwatch/metricAlarm:MetricAlarm::moved-by-region-argument": {"us-west-2", "us-east-1", "alarmActions.0"},
	}
	for urn, w := range want {
		c, ok := found[urn]
		if !ok || c.ResourceRegion != w[0] || c.Region != w[1] || c.Path != w[2] {
			t.Errorf("%s: found %+v, want a %s resource naming %s at %s (all found: %v)", urn, c, w[0], w[1], w[2], names)
		}
	}
	if len(names) != len(want) {
		t.Errorf("cross-region references %v, want exactly %d", names, len(want))
	}
	// and the suite reports them as violations of region-same and of the
	// alarm actions rule
	rules := map[string]int{}
	for _, v := range awsconstraints.Check(p) {
		rules[v.Rule]++
	}
	if rules["region-same"] != 2 || rules["cloudwatch-alarm-actions-region"] != 2 {
		t.Errorf("violations by rule %v, want 2 region-same and 2 cloudwatch-alarm-actions-region", rules)
	}
}

// TestAWSPlansAreDeterministic: the same environment plans byte-identical
// twice, for all the random-looking values the mocks give.
func TestAWSPlansAreDeterministic(t *testing.T) {
	first, second := awsPlans(t), awsPlans(t)
	for name, p := range first {
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(second[name])
		if !bytes.Equal(a, b) {
			t.Errorf("%s plans differently twice", name)
		}
	}
}
