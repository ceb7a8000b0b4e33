environment "dev" {
  target = "local"
}
region "east" { primary = true }
layer "network" { # ERROR: Layer cycle
  source = "layers/ok"
  after  = ["dns"]
}
layer "dns" {
  source = "layers/ok"
  after  = ["network"]
}
