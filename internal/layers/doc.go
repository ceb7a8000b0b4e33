// Package layers runs an environment's Terraform layers (root modules
// declared with `layer` blocks) through hashicorp/terraform-exec: init,
// plan (and `show -json` of the plan), apply, destroy and `output -json`.
//
// Each layer runs in a working folder under the state directory
// (<state>/layers/<env>/<layer>/): the module's *.tf files are copied
// there before every run, its variables are written to
// bulwark.auto.tfvars.json, and Terraform's local state and .terraform
// folder live beside them, so the project tree is never written to. A
// module that configures its own backend (an S3 bucket) keeps its state
// there instead.
//
// Terraform's diagnostics are passed on with their file and line, the
// file named by its path in the project (layers/bootstrap/main.tf).
//
// It is not a Terraform wrapper for general use: it runs root modules
// without nested local modules outside their folder, and never edits them.
package layers
