environment "stage" {
  target = "aws"
}
region "us-east-1" { primary = true }
region "us-west-2" {}
service "shop" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "shop.example.com" }
}
