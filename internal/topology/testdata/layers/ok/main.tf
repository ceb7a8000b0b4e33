# A layer for the loader's tests: the loader only checks that it exists.
output "bucket" {
  value = "bulwark-state"
}
