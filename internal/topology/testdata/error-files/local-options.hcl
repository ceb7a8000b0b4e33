environment "dev" {
  target = "local"
}
region "east" {}
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
  https { # ERROR: HTTPS is not supported on the local target
    certificates = {}
  }
  database {
    engine = "dynamodb" # ERROR: Unsupported database engine
  }
}
