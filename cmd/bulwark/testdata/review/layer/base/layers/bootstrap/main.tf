variable "environment" {
  type = string
}

resource "terraform_data" "state_bucket" {
  input = "bulwark-${var.environment}-state"
}
