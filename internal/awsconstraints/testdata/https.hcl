# HTTPS with each region's ACM certificate, hot standby with failover
# records, one service at the zone apex and one at www.
environment "secure" {
  target = "aws"
}
region "eu-west-1" {
  primary = true
}
region "us-east-1" {}
service "web" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8443
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "secure.example.com"
    name = "@"
    ttl  = 60
  }
  https {
    certificates = {
      "eu-west-1" = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
      "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1"
    }
  }
}
service "app" {
  mode    = "active-active"
  image   = "shop"
  port    = 8444
  runtime = "container"
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "secure.example.com"
    name = "app"
  }
  https {
    certificates = {
      "eu-west-1" = "arn:aws:acm:eu-west-1:123456789012:certificate/2d3e4f50-6172-8394-a5b6-c7d8e9f0a1b2"
      "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/3e4f5061-7283-94a5-b6c7-d8e9f0a1b2c3"
    }
  }
}
