// Package envlock keeps two operations off one environment at once on one
// machine: an exclusive lock per environment in the state directory
// (flock(2) on <state>/locks/<env>.lock), held by the operation for as long
// as it runs and recorded with who holds it (the operation, its PID, host
// and start), so that a second `bulwark up` started meanwhile waits or says
// which operation holds the environment instead of colliding in the layers'
// working folder or the engine's. The kernel drops the lock when its holder
// exits, killed or not: nothing is left to clear by hand.
//
// It is not the engine's stack lock (each stack's backend has its own,
// `bulwark unlock` clears a stale one) nor a lock between machines: team
// state on object storage needs the backend's lock.
package envlock
