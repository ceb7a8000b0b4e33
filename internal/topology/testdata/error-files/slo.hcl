environment "dev" {
  target = "local"
}
region "east" {}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "shop.test" }
  slo {
    availability = "100%" # ERROR: Invalid availability
    latency_p99  = "0.5us" # ERROR: Invalid latency objective
    window       = "1d" # ERROR: Invalid SLO window
  }
}
service "cart" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "cart.test" }
  slo {
    availability = 0.999 # ERROR: Invalid availability
    window       = "forever" # ERROR: Invalid duration
  }
}
service "web" {
  mode  = "active-active"
  image = "shop"
  port  = 8082
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "web.test" }
  slo { # ERROR: Missing required argument
    latency_p99 = "300ms"
  }
  slo { # ERROR: Duplicate block
    availability = "99%"
  }
}
