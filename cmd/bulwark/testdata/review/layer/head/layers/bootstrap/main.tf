variable "environment" {
  type = string
}

resource "terraform_data" "state_bucket" {
  input = "bulwark-${var.environment}-state-v2"
}

resource "terraform_data" "lock_table" {
  input = "bulwark-${var.environment}-locks"
}
