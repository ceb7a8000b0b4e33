package plan

import (
	"errors"
	"fmt"
)

// What the plan's AWS mocks know of each region: its Application Load
// Balancers' canonical hosted zone and the Availability Zones an account
// sees there. A region missing here is refused with an error naming this
// file, never invented.

// elbHostedZones are the Route 53 hosted zone IDs of Application (and
// Classic) Load Balancers per region, the zoneId an alias record to a load
// balancer names, as listed in "Elastic Load Balancing endpoints and
// quotas": https://docs.aws.amazon.com/general/latest/gr/elb.html
// (Network Load Balancers have other zones; bulwark declares none).
var elbHostedZones = map[string]string{
	"us-east-1":      "Z35SXDOTRQ7X7K",
	"us-east-2":      "Z3AADJGX6KTTL2",
	"us-west-1":      "Z368ELLRRE2KJ0",
	"us-west-2":      "Z1H1FL5HABSF5",
	"ca-central-1":   "ZQSVJUPU6J1EY",
	"eu-west-1":      "Z32O12XQLNTSW2",
	"eu-west-2":      "ZHURV8PSTC4K8",
	"eu-west-3":      "Z3Q77PNBQS71R4",
	"eu-central-1":   "Z215JYRZR1TBD5",
	"eu-north-1":     "Z23TAZ6LKFMNIO",
	"ap-northeast-1": "Z14GRHDCWA56QT",
	"ap-northeast-2": "ZWKZPGTI48KDX",
	"ap-southeast-1": "Z1LMS91P8CMLE5",
	"ap-southeast-2": "Z1GM3OXH4ZPM65",
	"ap-south-1":     "ZP97RAFLXTNZK",
	"sa-east-1":      "Z2P70J7HTTTPLU",
}

// Zone is an Availability Zone as one account sees it: its name, which AWS
// maps to a physical zone independently for each account, and its zone ID,
// which names the same physical zone in every account. See "Availability
// Zone IDs for your AWS resources":
// https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
type Zone struct {
	Name string `json:"name"`
	ID   string `json:"zoneId"`
}

// accountZones are the Availability Zones of the mocks' account
// (MockAccount), per region, as DescribeAvailabilityZones would list them
// with state "available" and opt-in status "opt-in-not-required" (Local and
// Wavelength Zones need an opt-in and are left out). As in real accounts,
// the letters are not always a, b, c (us-west-1 offers two zones, b and c,
// to most accounts; ap-northeast-1 offers a, c and d; ca-central-1 a, b
// and d) and the names map to zone IDs in an account-specific, shuffled
// order, which is why zone IDs, not names, identify a zone across accounts.
var accountZones = map[string][]Zone{
	"us-east-1": {
		{"us-east-1a", "use1-az2"}, {"us-east-1b", "use1-az4"}, {"us-east-1c", "use1-az6"},
		{"us-east-1d", "use1-az1"}, {"us-east-1e", "use1-az3"}, {"us-east-1f", "use1-az5"},
	},
	"us-east-2":      {{"us-east-2a", "use2-az1"}, {"us-east-2b", "use2-az2"}, {"us-east-2c", "use2-az3"}},
	"us-west-1":      {{"us-west-1b", "usw1-az3"}, {"us-west-1c", "usw1-az1"}},
	"us-west-2":      {{"us-west-2a", "usw2-az2"}, {"us-west-2b", "usw2-az1"}, {"us-west-2c", "usw2-az3"}, {"us-west-2d", "usw2-az4"}},
	"ca-central-1":   {{"ca-central-1a", "cac1-az1"}, {"ca-central-1b", "cac1-az2"}, {"ca-central-1d", "cac1-az4"}},
	"eu-west-1":      {{"eu-west-1a", "euw1-az3"}, {"eu-west-1b", "euw1-az1"}, {"eu-west-1c", "euw1-az2"}},
	"eu-west-2":      {{"eu-west-2a", "euw2-az2"}, {"eu-west-2b", "euw2-az3"}, {"eu-west-2c", "euw2-az1"}},
	"eu-west-3":      {{"eu-west-3a", "euw3-az1"}, {"eu-west-3b", "euw3-az2"}, {"eu-west-3c", "euw3-az3"}},
	"eu-central-1":   {{"eu-central-1a", "euc1-az2"}, {"eu-central-1b", "euc1-az3"}, {"eu-central-1c", "euc1-az1"}},
	"eu-north-1":     {{"eu-north-1a", "eun1-az1"}, {"eu-north-1b", "eun1-az2"}, {"eu-north-1c", "eun1-az3"}},
	"ap-northeast-1": {{"ap-northeast-1a", "apne1-az4"}, {"ap-northeast-1c", "apne1-az1"}, {"ap-northeast-1d", "apne1-az2"}},
	"ap-northeast-2": {{"ap-northeast-2a", "apne2-az1"}, {"ap-northeast-2b", "apne2-az2"}, {"ap-northeast-2c", "apne2-az3"}, {"ap-northeast-2d", "apne2-az4"}},
	"ap-southeast-1": {{"ap-southeast-1a", "apse1-az2"}, {"ap-southeast-1b", "apse1-az1"}, {"ap-southeast-1c", "apse1-az3"}},
	"ap-southeast-2": {{"ap-southeast-2a", "apse2-az3"}, {"ap-southeast-2b", "apse2-az1"}, {"ap-southeast-2c", "apse2-az2"}},
	"ap-south-1":     {{"ap-south-1a", "aps1-az1"}, {"ap-south-1b", "aps1-az3"}, {"ap-south-1c", "aps1-az2"}},
	"sa-east-1":      {{"sa-east-1a", "sae1-az1"}, {"sa-east-1b", "sae1-az2"}, {"sa-east-1c", "sae1-az3"}},
}

// ErrUnknownRegion is returned for a region the mocks have no data of.
var ErrUnknownRegion = errors.New("region unknown to the plan's AWS mocks (add it to internal/plan/awsregions.go from the AWS pages cited there)")

// AvailabilityZones are the zones the mocks' account has in a region, in
// name order.
func AvailabilityZones(region string) ([]Zone, error) {
	zones, ok := accountZones[region]
	if !ok {
		return nil, fmt.Errorf("availability zones of %q: %w", region, ErrUnknownRegion)
	}
	return append([]Zone(nil), zones...), nil
}

// ELBHostedZone is the canonical hosted zone ID of a region's Application
// Load Balancers.
func ELBHostedZone(region string) (string, error) {
	z, ok := elbHostedZones[region]
	if !ok {
		return "", fmt.Errorf("load balancer hosted zone of %q: %w", region, ErrUnknownRegion)
	}
	return z, nil
}

// zoneID is the zone ID of a zone name in a region ("" when the account
// has no such zone).
func zoneID(region, name string) string {
	for _, z := range accountZones[region] {
		if z.Name == name {
			return z.ID
		}
	}
	return ""
}
