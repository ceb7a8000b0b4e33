environment "dev" {
  target = "local"
}
region "east" { primary = true }
region "west" { primary = true } # ERROR: More than one primary region
service "shop" {
  mode  = "active-active"
  image = "nope" # ERROR: Unknown image
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
}
