environment "dev" {
  target = "local"
}
region "east" {
  primary = "yes please" # ERROR: Incorrect attribute value type
  zones   = 2.5 # ERROR: Incorrect attribute value type
}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = "http" # ERROR: Incorrect attribute value type
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
  backup {
    every = "1h"
    keep = "35d"
    copy_to = "east" # ERROR: Incorrect attribute value type
  }
}
