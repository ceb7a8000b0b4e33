package awstarget

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// StopConditions are an AWS environment's paging CloudWatch alarms
// (bulwark-<env>-...; their descriptions carry the severity) in every
// region of the environment and in us-east-1, where Route 53's health
// check alarms live. An alarm's region is the one its name holds; a name
// with no region of the environment is outside every blast radius.
type StopConditions struct {
	Ops      *awsrunbook.Clients
	Topology *topology.Topology
}

// Breached lists the paging alarms in ALARM outside the given regions.
func (c *StopConditions) Breached(ctx context.Context, outside []string) ([]string, error) {
	alarms, err := c.Ops.EnvironmentAlarms(ctx, c.Topology.Environment.Name, c.Topology.RegionNames())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range alarms {
		if sev, _ := slo.AlarmSeverity(a.Description); sev != slo.Page {
			continue
		}
		region, _ := slo.AlarmScope(c.Topology, a.Name)
		if region != "" && slices.Contains(outside, region) {
			continue
		}
		out = append(out, fmt.Sprintf("%s (page) since %s", a.Name, a.Since.Format(time.TimeOnly)))
	}
	slices.Sort(out)
	return out, nil
}
