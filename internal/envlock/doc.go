// Package envlock keeps two operations off one environment at once.
//
// On one machine: an exclusive lock per environment in the state directory
// (flock(2) on <state>/locks/<env>.lock), held by the operation for as long
// as it runs and recorded with who holds it (the operation, its PID, host
// and start), so that a second `bulwark up` started meanwhile waits or says
// which operation holds the environment instead of colliding in the layers'
// working folder or the engine's. The kernel drops the lock when its holder
// exits, killed or not: nothing is left to clear by hand.
//
// Between machines, when the environment's state is on object storage
// (an s3:// backend, lease.go): a lease object in the bucket,
// <prefix>.bulwark/locks/<env>.json, created only if absent (If-None-Match:
// *) and renewed only if unchanged (If-Match: <ETag>) every sixth of its
// term (30 s by default, BULWARK_LOCK_LEASE), so exactly one operator holds
// it. A holder that stops renewing (killed, its machine gone, cut off) lets
// its lease lapse: a waiting operator that has seen it unrenewed for a full
// term, or finds it past its expiry by more than a term, or finds its
// holder's PID gone on this very host, replaces it with a write conditional
// on the ETag it read, so two waiters cannot both take it; the lapsed
// holder is recorded in the lease so that the engine clears the stack locks
// it left (internal/engine). A holder whose renewal is refused has lost the
// environment and is told so (Lock.Lost).
//
// It is not the engine's stack lock (each stack's backend has its own,
// `bulwark unlock` clears a stale one) and it does not talk to the engine.
package envlock
