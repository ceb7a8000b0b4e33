# dev: the local target, on this machine. Two regions serving at once.
environment "dev" {
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
  mode  = "active-active"
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
  # a new image goes to west first, is watched for 10s, then east follows;
  # each group replaces its instances one at a time and rolls back an image
  # whose instances fail their health checks
  rollout {
    strategy = "canary"
    canary   = "west"
    bake     = "10s"
  }
  # what the service promises, judged at its load balancers: Prometheus
  # alerts when the error budget burns too fast, `bulwark status` shows
  # what is left, and a drill reports what it spent
  slo {
    availability = "99.9%"
    latency_p99  = "300ms"
    window       = "30d"
  }
}

# Terraform's part: a root module applied before the stacks (see README,
# "Terraform layers"); its outputs reach every stack.
layer "bootstrap" {
  source = "layers/bootstrap"
  before = ["stacks"]
  vars = {
    environment = "dev"
    zone        = "shop.test"
  }
}
