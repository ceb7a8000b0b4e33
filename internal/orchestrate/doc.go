// Package orchestrate runs an engine verb over every stack of an environment
// in the right order: regional stacks concurrently (bounded), then the global
// stack, which reads their outputs; destroy runs the other way round.
//
// A failed regional stack does not stop its siblings (regions are
// independent) but does stop the global stack. Cancelling the context stops
// what runs (the engine is interrupted cleanly) and starts nothing new.
//
// It does not talk to Pulumi itself: it drives any Engine (internal/engine's
// Runner in production, a fake in tests).
package orchestrate
