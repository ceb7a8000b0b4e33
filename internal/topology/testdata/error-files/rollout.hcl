environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "shop.test" }
  rollout {
    strategy = "canary"
    canary   = "north" # ERROR: Unknown canary region
  }
}
service "cart" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "cart.test" }
  rollout {
    strategy = "yolo" # ERROR: Invalid rollout strategy
  }
}
service "pay" {
  mode    = "active-active"
  image   = "shop"
  port    = 8082
  regions = ["east"]
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "pay.test" }
  rollout { # ERROR: Canary needs two regions
    strategy = "canary"
  }
}
service "web" {
  mode  = "active-active"
  image = "shop"
  port  = 8083
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "web.test" }
  rollout {
    canary         = "west" # ERROR: Canary without the canary strategy
    max_error_rate = "lots" # ERROR: Invalid error rate
  }
}
