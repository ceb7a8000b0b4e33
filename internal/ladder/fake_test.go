package ladder

import (
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// fakePrices are the fixed monthly prices of the fake catalog, per
// resource: an instance of an Auto Scaling group (its desired capacity),
// an Aurora instance, a load balancer, a backup vault, a NAT gateway (no
// service's), a Route 53 health check.
var fakePrices = map[string]float64{
	"aws:autoscaling/group:Group":             50,
	"aws:rds/clusterInstance:ClusterInstance": 200,
	"aws:lb/loadBalancer:LoadBalancer":        20,
	"aws:backup/vault:Vault":                  5,
	"aws:ec2/natGateway:NatGateway":           30,
	"aws:route53/healthCheck:HealthCheck":     1,
	"aws:backup/plan:Plan":                    0, // fakeCopyPrice per copy action
}

// fakeCopyPrice is a month of one backup plan's copies to one region.
const fakeCopyPrice = 8

// fakeCosting prices a plan at fakePrices; a resource is a service's when
// its name is the service's or starts with it and a dash. AsAWS renames
// the regions with a fixed mapping.
type fakeCosting struct{}

func (f fakeCosting) AsAWS(t *topology.Topology) (*topology.Topology, map[string]string, error) {
	return t, map[string]string{"east": "us-east-1", "west": "us-west-2"}, nil
}

func (f fakeCosting) Estimate(t *topology.Topology, p *plan.Plan) (Bill, error) {
	b := Bill{ByService: map[string]float64{}}
	for _, s := range p.Stacks {
		for _, r := range s.Resources {
			price, ok := fakePrices[r.Type]
			if !ok || !r.Custom {
				continue
			}
			switch r.Type {
			case "aws:autoscaling/group:Group":
				n, _ := r.Inputs["desiredCapacity"].(float64)
				price *= n
			case "aws:backup/plan:Plan":
				rules, _ := r.Inputs["rules"].([]any)
				price = 0
				for _, rule := range rules {
					copies, _ := rule.(map[string]any)["copyActions"].([]any)
					price += fakeCopyPrice * float64(len(copies))
				}
			}
			b.Total += price
			for _, svc := range t.Services {
				if r.Name == svc.Name || strings.HasPrefix(r.Name, svc.Name+"-") {
					b.ByService[svc.Name] += price
				}
			}
		}
	}
	return b, nil
}
