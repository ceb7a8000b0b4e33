# The bootstrap layer of environments/dev.hcl: what a team would keep in
# Terraform before the stacks (a state bucket, a key, a DNS zone), here with
# Terraform's built-in terraform_data resource and the local backend only,
# so the whole path runs offline. Its outputs reach every stack ("layers").
variable "environment" {
  type = string
}

variable "zone" {
  type = string
}

resource "terraform_data" "state_bucket" {
  input = "bulwark-${var.environment}-state"
}

resource "terraform_data" "zone" {
  input = var.zone
}

output "state_bucket" {
  value = terraform_data.state_bucket.output
}

output "zone" {
  value = terraform_data.zone.output
}
