# One region: every tier in us-east-1, instances (runtime "vm"), an Aurora
# global database of one cluster, backups kept in the same region, an SLO
# over a 7-day window (its burn-rate alarms' periods scale with it).
environment "solo" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  scaling {
    target_requests = 50
  }
  health {
    path            = "/healthz"
    interval        = "30s"
    unhealthy_after = 2
  }
  dns {
    zone = "solo.example.com"
    name = "www"
  }
  database {
    engine = "postgres"
  }
  backup {
    every = "6h"
    keep  = "7d"
  }
  slo {
    availability = "99.9%"
    latency_p99  = "250ms"
    window       = "7d"
  }
}
