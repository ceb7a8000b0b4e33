environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
layer "ok" {
  source = "layers/ok"
}
layer "missing" {
  source = "layers/nope" # ERROR: Layer source not found
}
layer "early" {
  source = "layers/ok"
  before = ["stacks"]
  vars = {
    endpoint = stacks.east.endpoint # ERROR: Stacks run later
    bucket   = layers.late.bucket # ERROR: Layer runs later
    other    = layers.ghost.name # ERROR: Unknown layer
    env      = var.x # ERROR: Unknown variable
  }
}
layer "late" {
  source = "layers/ok"
  after  = ["stacks"]
  vars = {
    endpoint = stacks.south.endpoint # ERROR: Unknown stack
    bucket   = layers.ok.bucket
  }
}
layer "ok" { # ERROR: Duplicate layer
  source = "layers/ok"
}
