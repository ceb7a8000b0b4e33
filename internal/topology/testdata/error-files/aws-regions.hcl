environment "prod" {
  target = "aws"
}
region "us-east-1" { primary = true }
region "east" {} # ERROR: Not an AWS region code
region "us-west-2" { zones = 1 } # ERROR: Too few zones for AWS
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
