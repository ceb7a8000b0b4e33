# dev-degrade: the local target's graceful degradation, on this machine.
# The shop keeps taking writes while its database cannot (a write queue
# per region, drained into the database once it is back), serves its
# catalog from a cache while every origin is down, and answers without
# its reviews, degraded, when they are gone or slow.
environment "dev-degrade" {
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
  zones   = 2
}

region "west" {
  zones = 2
}

service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8090

  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    path            = "/healthz"
    interval        = "1s"
    unhealthy_after = 2
  }
  dns {
    zone = "degrade.test"
    name = "www"
    ttl  = 1
  }
  database {
    engine      = "postgres"
    replication = "sync"
  }
  # a write the database cannot take now is kept in the region's queue,
  # answered 202, and written once the database is back
  write_queue {
    paths   = ["/writes"]
    max_age = "1m"
    keep    = "1d"
  }
  # the catalog is served from a cache in front of the load balancers,
  # stale for up to an hour while every origin fails
  cache {
    paths     = ["/catalog"]
    ttl       = "2s"
    stale_for = "1h"
  }
  # the page answers without its reviews (degraded) when they fail; the
  # client gives them 300ms a try, twice, 50ms apart
  depends_on "reviews" {
    need       = "soft"
    timeout    = "300ms"
    tries      = 2
    backoff    = "50ms"
    on_failure = "serve-cached"
  }
  slo {
    availability = "99.9%"
    latency_p99  = "1s"
    window       = "30d"
  }
}

service "reviews" {
  mode  = "active-active"
  image = "shop"
  port  = 8091

  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    path            = "/healthz"
    interval        = "1s"
    unhealthy_after = 2
  }
  dns {
    zone = "degrade.test"
    name = "reviews"
    ttl  = 1
  }
}
