resource "terraform_data" "x" {
  nonsense = 1
}
