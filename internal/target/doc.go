// Package target is the seam between bulwark's operations and the places
// they run on: Target is everything an operation needs of a target
// (engine settings, the rollout's bake and rollback, drill scenarios, the
// status source, recreate-region, the plan's constraints, the
// replace-on-change inputs a review predicts from, golden images). Each
// target implements it in its own package (internal/awstarget,
// internal/localtarget); cmd/bulwark picks one by the environment's
// target, parses flags, calls it, and renders what it returns.
//
// It holds the interface and the target-neutral values that cross it
// (requests, reports, constraint violations), and no target's code: it
// imports no target package, and no target package's type appears here.
package target
