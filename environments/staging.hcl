# staging: AWS, two regions, the second a hot standby; the service runs as
# containers (ECS on Fargate) behind HTTPS; the standby region shares one
# NAT gateway between its zones.
environment "staging" {
  target  = "aws"
  state   = "s3://example-bulwark-state?region=us-east-1"
  secrets = "awskms://alias/bulwark-staging?region=us-east-1"
  targets {
    zone {
      rto = "1m"
      rpo = "0s"
    }
    region {
      rto = "5m"
      rpo = "1m"
    }
  }
}

region "us-east-1" {
  primary = true
  zones   = 3
}

region "us-west-2" {
  zones = 3
  nat   = "single"
}

service "shop" {
  mode    = "hot-standby"
  image   = "shop"
  port    = 8080
  runtime = "container"

  capacity {
    min     = 2
    desired = 2
    max     = 6
  }
  scaling {
    target_cpu = 60
  }
  health {
    path            = "/healthz"
    interval        = "10s"
    unhealthy_after = 3
  }
  dns {
    zone = "staging.shop.example.com"
    name = "www"
    ttl  = 60
  }
  https {
    certificates = {
      "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
      "us-west-2" = "arn:aws:acm:us-west-2:123456789012:certificate/1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1"
    }
  }
  database {
    engine      = "postgres"
    replication = "async"
  }
  backup {
    every   = "1h"
    keep    = "14d"
    copy_to = ["us-west-2"]
  }
  slo {
    availability = "99.9%"
    latency_p99  = "500ms"
  }
}
