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
  health { path = "/status/health?deep=1" }
  database { engine = "postgres" }
  write_queue {
    paths = [
      "/orders",
      "/orders", # ERROR: Duplicate write queue path
      "/carts/new",
      "/carts", # ERROR: Overlapping write queue paths
      "orders", # ERROR: Invalid write queue path
      "/a/../b", # ERROR: Invalid write queue path
      "/a//b", # ERROR: Invalid write queue path
      "/a/%2E%2E/b", # ERROR: Invalid write queue path
      "/a b", # ERROR: Invalid write queue path
    ]
    max_age      = "0s" # ERROR: Invalid max_age
    keep         = "30s" # ERROR: Invalid keep
    max_receives = 0 # ERROR: Invalid max_receives
  }
  write_queue { # ERROR: Duplicate block
    paths = ["/other"]
  }
  cache {
    paths = [
      "/orders/recent", # ERROR: Cache on a write path
      "/carts", # ERROR: Cache on a write path
      "/status", # ERROR: Cache on the health check
      "/catalog?page=1", # ERROR: Invalid cache path
      "/catalog",
      "/catalog/", # ERROR: Overlapping cache paths
    ]
    ttl       = "500ms" # ERROR: Invalid ttl
    stale_for = "366d" # ERROR: Invalid stale_for
  }
}
service "billing" {
  mode  = "active-active"
  image = "billing"
  port  = 8081
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "billing.test" }
  write_queue { # ERROR: Write queue without a database
    paths   = ["/invoices"]
    max_age = "1h" # ERROR: Queued writes dropped before the alarm
    keep    = "1h"
  }
  cache {
    paths = [] # ERROR: No cache paths
    ttl   = "0s" # ERROR: Invalid ttl
  }
  depends_on "shop" {
    need       = "soft"
    on_failure = "queue-writes"
  }
}
service "cart" {
  mode  = "active-active"
  image = "shop"
  port  = 8082
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "cart.test" }
  database { engine = "postgres" }
  write_queue {
    paths = ["/"]
    keep  = "2m" # ERROR: Queued writes dropped before the alarm
  }
  cache { # ERROR: Missing required argument
    ttl = "1s"
  }
}
service "reviews" {
  mode  = "active-active"
  image = "shop"
  port  = 8083
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "reviews.test" }
  depends_on "billing" {
    need       = "soft"
    on_failure = "queue-writes" # ERROR: Queued writes without a write queue
  }
  depends_on "cart" {
    need       = "soft"
    on_failure = "serve-cached"
  }
}
