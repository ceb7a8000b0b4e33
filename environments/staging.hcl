# staging: AWS, two regions, the second a hot standby.
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
}

service "shop" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8080

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
  database {
    engine      = "postgres"
    replication = "async"
  }
  backup {
    every   = "1h"
    keep    = "14d"
    copy_to = ["us-west-2"]
  }
}
