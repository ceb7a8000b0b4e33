# Two services with parameters: instances (vm) and containers.
environment "params" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "us-west-2" {}
service "catalog" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  parameters = {
    LOG_LEVEL = "info"
    GREETING  = "hello"
  }
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "catalog.example.com" }
}
service "cart" {
  mode    = "active-active"
  image   = "shop"
  port    = 8081
  runtime = "container"
  parameters = {
    CURRENCY = "EUR"
  }
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "cart.example.com" }
}
