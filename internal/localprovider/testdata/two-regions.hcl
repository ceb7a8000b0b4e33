# The local target's end-to-end test environment: two regions, one service.
environment "e2e" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 28080
  capacity {
    min     = 1
    desired = 2
    max     = 3
  }
  health {
    interval        = "500ms"
    unhealthy_after = 2
  }
  dns {
    zone = "shop.test"
    ttl  = 1
  }
  database {
    engine      = "postgres"
    replication = "sync"
  }
  backup {
    every   = "1h"
    keep    = "1d"
    copy_to = ["west"]
  }
  slo {
    availability = "99.9%"
    latency_p99  = "300ms"
  }
}
# A Terraform layer before the stacks: its output is passed into them.
layer "bootstrap" {
  source = "testdata/layers/bootstrap"
  before = ["stacks"]
  vars   = { region = "east" }
}
