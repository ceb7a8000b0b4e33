environment "dev" {
  target = "local"
}
environment "dev2" { # ERROR: Duplicate environment block
  target = "local"
}
region "east" { primary = true }
region "east" {} # ERROR: Duplicate region
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
}
service "shop" { # ERROR: Duplicate service
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  capacity { # ERROR: Duplicate block
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
}
