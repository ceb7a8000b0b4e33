package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/fis"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// ZoneLossDuration is how long the zone-loss experiment cuts the zone off.
const ZoneLossDuration = "PT5M"

// newZoneLossExperiment declares the FIS experiment template a zone-loss
// drill of the service starts in the region: the network of the region's
// first zone cut off (aws:network:disrupt-connectivity on its subnets) for
// ZoneLossDuration, stopped early by the service's paging SLO alarms (its
// burn rate and latency): a zone loss the region should absorb, so an SLO
// alarm means the failure spread past the zone. Capacity below the minimum
// is left out: losing a zone's instances is the experiment.
func newZoneLossExperiment(ctx *pulumi.Context, name string, a RegionArgs, network *Network, alarms *ServiceAlarms, opts ...pulumi.ResourceOption) (*fis.ExperimentTemplate, error) {
	t, region := a.Topology, a.Region.Name
	prefix := fmt.Sprintf("bulwark-%s-%s-%s-zone-loss", t.Environment.Name, region, name)
	role, err := iam.NewRole(ctx, name+"-fis", &iam.RoleArgs{
		Name:             pulumi.String(BoundedName(prefix, 64, "-")), // IAM role names have at most 64 characters
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("fis.amazonaws.com")),
		Tags:             tags(t, region, name),
	}, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-fis-network", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess"),
	}, opts...); err != nil {
		return nil, err
	}
	stops := fis.ExperimentTemplateStopConditionArray{}
	for _, arn := range alarms.SLO {
		stops = append(stops, fis.ExperimentTemplateStopConditionArgs{Source: pulumi.String("aws:cloudwatch:alarm"), Value: arn})
	}
	if len(stops) == 0 {
		stops = append(stops, fis.ExperimentTemplateStopConditionArgs{Source: pulumi.String("none")})
	}
	zone := network.Zones[0]
	return fis.NewExperimentTemplate(ctx, name+"-zone-loss", &fis.ExperimentTemplateArgs{
		Description: pulumi.Sprintf("bulwark drill: %s loses zone %s of %s (%s); stops on its SLO alarms", name, zone, region, t.Environment.Name),
		RoleArn:     role.Arn,
		Actions: fis.ExperimentTemplateActionArray{fis.ExperimentTemplateActionArgs{
			Name: pulumi.String("cut-zone"), ActionId: pulumi.String("aws:network:disrupt-connectivity"),
			Parameters: fis.ExperimentTemplateActionParameterArray{
				fis.ExperimentTemplateActionParameterArgs{Key: pulumi.String("duration"), Value: pulumi.String(ZoneLossDuration)},
				fis.ExperimentTemplateActionParameterArgs{Key: pulumi.String("scope"), Value: pulumi.String("all")},
			},
			Target: &fis.ExperimentTemplateActionTargetArgs{Key: pulumi.String("Subnets"), Value: pulumi.String("zone-subnets")},
		}},
		Targets: fis.ExperimentTemplateTargetArray{fis.ExperimentTemplateTargetArgs{
			Name: pulumi.String("zone-subnets"), ResourceType: pulumi.String("aws:ec2:subnet"), SelectionMode: pulumi.String("ALL"),
			ResourceTags: fis.ExperimentTemplateTargetResourceTagArray{
				fis.ExperimentTemplateTargetResourceTagArgs{Key: pulumi.String(contract.TagEnvironment), Value: pulumi.String(t.Environment.Name)},
				fis.ExperimentTemplateTargetResourceTagArgs{Key: pulumi.String(contract.TagRegion), Value: pulumi.String(region)},
			},
			Filters: fis.ExperimentTemplateTargetFilterArray{fis.ExperimentTemplateTargetFilterArgs{Path: pulumi.String("AvailabilityZone"), Values: pulumi.StringArray{pulumi.String(zone)}}},
		}},
		StopConditions: stops,
		Tags:           tags(t, region, name, "Name", prefix, contract.TagScenario, contract.ScenarioZoneLoss),
	}, opts...)
}
