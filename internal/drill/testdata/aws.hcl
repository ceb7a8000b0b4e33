# An AWS environment for drills against awsfake.Cloud (a loopback fake of AWS).
environment "drilltest" {
  target = "aws"
  targets {
    instance {
      rto = "30s"
      rpo = "0s"
    }
    zone {
      rto = "1m"
      rpo = "0s"
    }
    region {
      rto = "1m"
      rpo = "5s"
    }
    database {
      rto = "1m"
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
  dns {
    zone = "shop.example.com"
    ttl  = "1s"
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
