environment "dev" {
  target = "local"
}
region "east" {}
external "cardnet" {
  availability = "99.95%"
  regions      = ["north"] # ERROR: Unknown region
}
external "ledger" {
  availability = "100%" # ERROR: Invalid availability
}
external "cart" { # ERROR: External named like a service
  availability = "99.9%"
}
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
  depends_on "cart" { # ERROR: Cycle of hard dependencies
    need = "hard"
  }
  depends_on "cart" { # ERROR: Duplicate dependency
    need = "soft"
  }
  depends_on "shop" { # ERROR: Service depends on itself
    need = "soft"
  }
  depends_on "payments" { # ERROR: Unknown dependency
    need = "hard"
  }
  depends_on "cardnet" {
    need       = "always" # ERROR: Invalid need
    timeout    = "0s" # ERROR: Invalid timeout
    tries      = 0 # ERROR: Invalid tries
    backoff    = "2m" # ERROR: Invalid backoff
    on_failure = "retry" # ERROR: Invalid on_failure
  }
  depends_on "ledger" {
    need       = "hard"
    on_failure = "serve-cached" # ERROR: A hard dependency fails the request
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
  depends_on "shop" {
    need = "hard"
  }
}
