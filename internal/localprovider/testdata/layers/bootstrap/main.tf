# The end-to-end test's bootstrap layer: built-in resources and local state
# only, so it runs offline. Its output reaches the stacks.
variable "region" {
  type = string
}

resource "terraform_data" "bucket" {
  input = "e2e-state-${var.region}"
}

output "bucket" {
  value = terraform_data.bucket.output
}
