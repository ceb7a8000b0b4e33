environment "dev" {
  target  = "local"
  state   = "file:///tmp/bulwark-state"
  secrets = "passphrase"
  targets {
    zone {
      rto = "30s"
      rpo = "0s"
    }
    region {
      rto = "2m"
      rpo = "5s"
    }
  }
}

region "east" {
  primary = true
  zones   = 3
}
region "west" {}

service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min = 2
    desired = 3
    max = 6
  }
  scaling  { target_cpu = 60 }
  health {
    path = "/healthz"
    interval = "1s"
    unhealthy_after = 2
  }
  dns {
    zone = "shop.test"
    name = "www"
    ttl = 5
  }
  database {
    engine = "postgres"
    replication = "sync"
  }
  backup {
    every = "1h"
    keep = "35d"
    copy_to = ["west"]
  }
  rollout {
    strategy       = "canary"
    bake           = "45s"
    max_error_rate = "0.5%"
  }
  slo {
    availability = "99.95%"
    latency_p99  = "300ms"
  }
}
