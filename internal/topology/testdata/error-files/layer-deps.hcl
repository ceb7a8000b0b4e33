environment "dev" {
  target = "local"
}
region "east" { primary = true }
layer "stranger" {
  source = "layers/ok"
  after  = ["nobody"] # ERROR: Unknown layer dependency
}
layer "self" {
  source = "layers/ok"
  before = ["self"] # ERROR: Unknown layer dependency
}
