environment "dev" {
  target = "local"
}
region "east" {}
service "a" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min = 3 # ERROR: Invalid capacity
    desired = 2
    max = 6
  }
  dns { zone = "a.test" }
}
service "b" {
  mode  = "active-active"
  image = "shop"
  port  = 70000 # ERROR: Invalid port
  capacity {
    min = 1
    desired = 5 # ERROR: Invalid capacity
    max = 4
  }
  dns { zone = "b.test" }
}
service "c" { # ERROR: Missing capacity block
  mode  = "active-active"
  image = "shop"
  port  = 8080
  dns { zone = "c.test" }
}
