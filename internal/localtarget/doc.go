// Package localtarget is the local target's seam: Target implements
// target.Target for environments whose target is local. It configures the
// engine to use bulwark's own provider plugin (internal/localprovider) and
// starts the control plane (internal/localcloud) first, gives the
// orchestrator the canary's bake (HAProxy's counters) and the images to
// roll back to, runs the drill scenarios (one file each, scenario_*.go,
// registered by name), reads status from the environment's Prometheus,
// and recreates a lost region. It also serves the control plane and the
// provider plugin when the binary is started as them, and reports what
// the control plane runs (`bulwark local`).
//
// It is not the control plane (internal/localcloud) nor the provider
// (internal/localprovider): it composes them into what the operations need.
package localtarget
