environment "dev" {
  target = "local"
  colour = "blue" # ERROR: Unsupported argument
}
region "east" {}
cluster "x" {} # ERROR: Unsupported block type
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
  healthcheck { path = "/" } # ERROR: Unsupported block type
}
