package awstarget

import (
	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// zone-loss: only an experiment cuts a zone's network on AWS; the
// regional stack declares one per service ("AZ Availability: Power
// Interruption"), tagged contract.ScenarioZoneLoss, which the drill finds
// when no --fis-template is given. The load balancer routes around the
// zone and the groups refill it: there is nothing to run after it.
func init() {
	register(drill.ZoneLoss, scenario{
		disruption:       topology.DisruptionZone,
		experimentOnly:   `AWS FIS's "AZ Availability: Power Interruption" scenario`,
		declaredTemplate: contract.ScenarioZoneLoss,
	})
}
