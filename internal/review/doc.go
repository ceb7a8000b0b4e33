// Package review compares two offline plans of an environment, as a pull
// request changes it: per stack the resources added, removed, updated (with
// the input paths that changed) and replaced (an input changed that the
// resource type cannot update in place); the policy results (new violations,
// fixed ones); the RTO/RPO assessment before and after; and the image
// manifests (which regions get a new image, and whether every region gets
// the same build). It renders one Markdown comment, or JSON.
//
// A side is the document `bulwark plan --format json` writes (Side), so the
// base revision may be planned by its own code in a temporary git worktree
// (Checkout) and read back here.
//
// Values Pulumi marks secret ("[secret]") and inputs whose names say they
// hold secrets (password, secret, token, private key) are never shown:
// the review says that they changed, not what to.
//
// It is not a preview: it knows the code and the environment files, not
// the current state of the cloud. The engine's own preview diff against
// the state is added where the engine can preview without credentials.
package review
