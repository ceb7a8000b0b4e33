# Two local regions and no services: the engine tests' environment.
environment "dev" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
