package aws

import (
	"errors"
	"fmt"
	"strings"

	pulumiaws "github.com/pulumi/pulumi-aws/sdk/v7/go/aws"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Network is a region's VPC: per zone a public subnet (the load balancer,
// the NAT gateway) and a private subnet (instances, databases), and a NAT
// gateway per zone so that losing a zone never cuts the others' egress, or
// one NAT gateway in the first zone when the region says nat = "single".
type Network struct {
	pulumi.ResourceState
	VpcID            pulumi.IDOutput
	Zones            []string
	PublicSubnetIDs  pulumi.StringArray
	PrivateSubnetIDs pulumi.StringArray
}

// NetworkArgs is what NewNetwork needs.
type NetworkArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	// Provider is the region's provider, which answers the zones lookup.
	Provider pulumi.ProviderResource
}

// ErrTooFewZones is returned when a region offers the account fewer zones
// than the environment asks for.
var ErrTooFewZones = errors.New("too few availability zones")

// availableZones is the region's first n availability zones as the
// account sees them: zone names map to physical zones differently per
// account, letters can be missing (us-west-1 offers b and c to many
// accounts) and some zones need an opt-in, so they are asked for, never
// made up (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html).
// Local Zones and Wavelength Zones, which need an opt-in, are left out.
func availableZones(ctx *pulumi.Context, region string, n int, provider pulumi.ProviderResource) ([]string, error) {
	var opts []pulumi.InvokeOption
	if provider != nil {
		opts = append(opts, pulumi.Provider(provider))
	}
	res, err := pulumiaws.GetAvailabilityZones(ctx, &pulumiaws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []pulumiaws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("availability zones of %s: %w", region, err)
	}
	if len(res.Names) < n {
		return nil, fmt.Errorf("%w: region %s offers %d (%s) and the environment asks for %d", ErrTooFewZones, region, len(res.Names), strings.Join(res.Names, ", "), n)
	}
	return res.Names[:n], nil
}

// regionIndex numbers a region in the environment (its VPC's second octet),
// so that regions never overlap and can be peered.
func regionIndex(t *topology.Topology, region string) int {
	for i, r := range t.Regions {
		if r.Name == region {
			return 10 + i
		}
	}
	return 10
}

// NewNetwork declares a region's network.
func NewNetwork(ctx *pulumi.Context, name string, a NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	zones, err := availableZones(ctx, a.Region.Name, a.Region.Zones, a.Provider)
	if err != nil {
		return nil, err
	}
	n := &Network{Zones: zones}
	if err := ctx.RegisterComponentResource(contract.TypeAWSNetwork, name, n, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(n)
	octet := regionIndex(a.Topology, a.Region.Name)
	tag := func(what string) pulumi.StringMap {
		m := tags(a.Topology, a.Region.Name, "")
		m["Name"] = pulumi.Sprintf("%s-%s-%s", a.Topology.Environment.Name, a.Region.Name, what)
		return m
	}
	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock: pulumi.Sprintf("10.%d.0.0/16", octet), EnableDnsHostnames: pulumi.Bool(true), EnableDnsSupport: pulumi.Bool(true),
		Tags: tag("vpc"),
	}, child)
	if err != nil {
		return nil, err
	}
	n.VpcID = vpc.ID()
	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: tag("igw")}, child)
	if err != nil {
		return nil, err
	}
	public, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tag("public"),
	}, child)
	if err != nil {
		return nil, err
	}
	var nats []*ec2.NatGateway
	for i, zone := range n.Zones {
		pub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-public-%s", name, zone), &ec2.SubnetArgs{
			VpcId: vpc.ID(), AvailabilityZone: pulumi.String(zone), CidrBlock: pulumi.Sprintf("10.%d.%d.0/24", octet, i),
			MapPublicIpOnLaunch: pulumi.Bool(false), Tags: tag("public-" + zone),
		}, child)
		if err != nil {
			return nil, err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%s", name, zone), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: public.ID(),
		}, child); err != nil {
			return nil, err
		}
		priv, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.SubnetArgs{
			VpcId: vpc.ID(), AvailabilityZone: pulumi.String(zone), CidrBlock: pulumi.Sprintf("10.%d.%d.0/24", octet, 100+i),
			Tags: tag("private-" + zone),
		}, child)
		if err != nil {
			return nil, err
		}
		// a NAT gateway per zone: a zone's loss leaves the others' egress;
		// with nat = "single", the first zone's serves every zone (the
		// names match, so moving between the two keeps the first zone's)
		if a.Region.NAT != topology.NATSingle || i == 0 {
			eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-%s", name, zone), &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: tag("nat-" + zone)}, child)
			if err != nil {
				return nil, err
			}
			nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-%s", name, zone), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(), SubnetId: pub.ID(), Tags: tag("nat-" + zone),
			}, child, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return nil, err
			}
			nats = append(nats, nat)
		}
		nat := nats[len(nats)-1]
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   tag("private-" + zone),
		}, child)
		if err != nil {
			return nil, err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, child); err != nil {
			return nil, err
		}
		n.PublicSubnetIDs = append(n.PublicSubnetIDs, pub.ID().ToStringOutput())
		n.PrivateSubnetIDs = append(n.PrivateSubnetIDs, priv.ID().ToStringOutput())
	}
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId": vpc.ID(), "publicSubnetIds": n.PublicSubnetIDs, "privateSubnetIds": n.PrivateSubnetIDs,
	})
}
