environment "dev" {
  target = "local"
  targets {
    region {
      rto = "two minutes" # ERROR: Invalid duration
      rpo = "5s"
    }
    zone {
      rto = "30" # ERROR: Invalid duration
      rpo = "0s"
    }
  }
}
region "east" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  health { interval = "1fortnight" } # ERROR: Invalid duration
  dns {
    zone = "shop.test"
    ttl = "500ms" # ERROR: Invalid DNS TTL
  }
  backup {
    every = "1h"
    keep = "-3d" # ERROR: Invalid duration
  }
}
