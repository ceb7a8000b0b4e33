environment "dev" {
  target = "local"
}
region "east" {}
service "web" {
  mode  = "active-active"
  image = "shop"
  port  = 80 # ERROR: Reserved port
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "web.test" }
}
service "db" {
  mode  = "active-active"
  image = "shop"
  port  = 10053 # ERROR: Reserved port
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "db.test" }
}
