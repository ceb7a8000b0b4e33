# An AWS environment for drills against awsfake.Cloud (a loopback fake of
# AWS), at staging's timings: Route 53 checks every 10 s, 3 failures, a
# TTL of 60 s; targets an Aurora global database's failover can meet.
environment "drilltest" {
  target = "aws"
  targets {
    instance {
      rto = "1m"
      rpo = "0s"
    }
    zone {
      rto = "5m"
      rpo = "0s"
    }
    region {
      rto = "5m"
      rpo = "1m"
    }
    database {
      rto = "30m"
      rpo = "1h"
    }
  }
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
  health {
    path            = "/healthz"
    interval        = "10s"
    unhealthy_after = 3
  }
  dns {
    zone = "shop.example.com"
    ttl  = 60
  }
  database {
    engine      = "postgres"
    replication = "async"
  }
  backup {
    every   = "1h"
    keep    = "7d"
    copy_to = ["us-west-2"]
  }
  slo {
    availability = "99.9%"
  }
}
