# A bootstrap layer that needs nothing but Terraform itself: the built-in
# terraform_data resource and the local backend.
variable "region" {
  type = string
}

resource "terraform_data" "bucket" {
  input = "bulwark-state-${var.region}"
}

output "bucket" {
  value = terraform_data.bucket.output
}

output "token" {
  value     = "s3cr3t-${var.region}"
  sensitive = true
}
