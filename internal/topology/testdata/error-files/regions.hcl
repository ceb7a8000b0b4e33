environment "dev" {
  target = "local"
}
region "east" {} # ERROR: No primary region
region "west" {}
region "global" {} # ERROR: Reserved region name
service "shop" {
  mode    = "hot-standby" # ERROR: Hot standby needs two regions
  image   = "shop"
  port    = 8080
  regions = ["east"]
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
  backup {
    every = "1h"
    keep = "35d"
    copy_to = ["north"] # ERROR: Unknown region
  }
}
