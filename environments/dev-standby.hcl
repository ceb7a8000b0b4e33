# dev-standby: dev with a hot standby: west serves only when east, the
# primary, is lost (DNS fails over); synchronous replication, so no loss.
environment "dev-standby" {
  target = "local"
  targets {
    zone {
      rto = "30s"
      rpo = "0s"
    }
    region {
      rto = "1m"
      rpo = "0s"
    }
  }
}

region "east" {
  primary = true
  zones   = 3
}

region "west" {
  zones = 3
}

service "shop" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8080

  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  scaling {
    target_requests = 200
  }
  health {
    path            = "/healthz"
    interval        = "1s"
    unhealthy_after = 2
  }
  dns {
    zone = "shop.test"
    name = "www"
    ttl  = 1
  }
  database {
    engine      = "postgres"
    replication = "sync"
  }
  backup {
    every   = "15m"
    keep    = "7d"
    copy_to = ["west"]
  }
}
