// Package receipt lets a preview say "nothing to change" for a stack
// without running the engine, when nothing the engine's preview of it
// would read changed since the engine last found it had nothing to change.
//
// A receipt is written for a stack when the engine reported, for it, a
// preview with only unchanged steps, or (where Book.TrustUp says an up's
// result is what a preview compares against, as for the local target's
// own provider) an up that succeeded. It holds a fingerprint of what that
// preview read: the program's requests (plan.Digest: every registration
// with its inputs, secrets included, dependencies and options, every data
// source call, the outputs), the builds of the program, the provider
// plugins and the engine's CLI, the engine's settings and the stack's
// settings file, the state of the stack and of each stack whose outputs
// its program reads, and the passphrase. A preview computes the same
// fingerprint; when it equals the receipt's, the preview's answer is the
// receipt's (the same unchanged steps), and the engine is not run. Any
// difference, or anything that cannot be read without the engine (a
// backend other than a file backend, a state not yet written), runs the
// engine as before.
//
// The fingerprint is an HMAC-SHA256 under a key kept beside the receipts
// (32 random bytes, mode 0600) and, when the passphrase is not empty, a
// key derived from it with PBKDF2 (SHA-256, 1,000,000 rounds, as costly as
// the engine's own passphrase check), so a receipt is no faster oracle for
// a secret or the passphrase than the state itself.
//
// What it does not do: find changes made outside bulwark (a preview never
// reads what runs: `bulwark drift` and `up --refresh` do), or stand in for
// an up, a refresh or a destroy, which always run the engine.
package receipt
