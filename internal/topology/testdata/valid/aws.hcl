environment "staging" {
  target  = "aws"
  state   = "s3://bulwark-state?region=us-east-1"
  secrets = "awskms://alias/bulwark?region=us-east-1"
}
region "us-east-1" { primary = true }
region "us-west-2" { zones = 4 }
service "shop" {
  mode    = "hot-standby"
  image   = "shop"
  port    = 8080
  regions = ["us-west-2", "us-east-1"]
  capacity {
    min = 2
    desired = 2
    max = 4
  }
  dns {
    zone = "shop.example.com"
    name = "api"
    ttl = 30
  }
}
