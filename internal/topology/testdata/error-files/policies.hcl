environment "dev" {
  target = "local"
}
region "east" {}
policy "zone-spread" {
  enforcement = "strict" # ERROR: Invalid enforcement
}
policy "zone-spread" { # ERROR: Duplicate policy
  enforcement = "advisory"
}
