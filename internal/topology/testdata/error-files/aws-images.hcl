environment "prod" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "us-west-2" {}
region "eu-west-1" {}
service "shop" {
  mode  = "active-active"
  image = "shop" # ERROR: Image not promoted to a region
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
}
service "billing" {
  mode    = "active-active"
  image   = "billing" # ERROR: Unusable image manifest
  port    = 8081
  regions = ["us-east-1"]
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "billing.test" }
}
service "web" {
  mode    = "active-active"
  image   = "shop"
  port    = 8082
  runtime = "container"
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "web.test" }
}
