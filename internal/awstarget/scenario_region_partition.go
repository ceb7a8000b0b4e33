package awstarget

import (
	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// region-partition: only an experiment cuts a region's connectivity on
// AWS ("Cross-Region: Connectivity"); what follows is a region's loss:
// the runbook fails the writers over (RegionLoss's recovery and restore).
func init() {
	register(drill.RegionPartition, scenario{
		disruption:      topology.DisruptionRegion,
		experimentOnly:  `AWS FIS's "Cross-Region: Connectivity" scenario`,
		afterExperiment: regionLossAfterExperiment,
	})
}
