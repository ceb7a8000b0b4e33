# prod: AWS, three regions serving at once.
environment "prod" {
  target  = "aws"
  state   = "s3://example-bulwark-state?region=us-east-1"
  secrets = "awskms://alias/bulwark-prod?region=us-east-1"
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
      rto = "2m"
      rpo = "5s"
    }
    database {
      rto = "2m"
      rpo = "5s"
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

region "eu-west-1" {
  zones = 3
}

# a card network the payments service calls; its provider promises 99.99%
# and answers from everywhere (no regions: a global endpoint)
external "cardnet" {
  availability = "99.99%"
}

service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080

  # no order without a payment: shop cannot answer without payments; it
  # waits 3 s a try, twice, longer than payments' whole budget on the card
  # network (1 s, twice, 100 ms between: 2.1 s)
  depends_on "payments" {
    need    = "hard"
    timeout = "3s"
    tries   = 2
    backoff = "200ms"
  }

  capacity {
    min     = 3
    desired = 4
    max     = 12
  }
  scaling {
    target_cpu = 55
  }
  health {
    path            = "/healthz"
    interval        = "10s"
    unhealthy_after = 3
  }
  dns {
    zone = "shop.example.com"
    name = "www"
    ttl  = 30
  }
  database {
    engine              = "postgres"
    replication         = "async"
    deletion_protection = true
  }
  backup {
    every   = "1h"
    keep    = "35d"
    copy_to = ["us-west-2", "eu-west-1"]
    restore_tests = true
  }
  # every region at once, each on a second group beside the serving one:
  # switched at the load balancer once healthy, the old group kept for the
  # bake, then removed
  rollout {
    strategy = "blue-green"
    bake     = "10m"
  }
  slo {
    availability = "99.95%"
    latency_p99  = "300ms"
    window       = "30d"
  }
}

service "payments" {
  mode  = "active-active"
  image = "shop"
  port  = 8081

  depends_on "cardnet" {
    need    = "hard"
    timeout = "1s"
    tries   = 2
    backoff = "100ms"
  }

  capacity {
    min     = 3
    desired = 3
    max     = 9
  }
  health {
    path            = "/healthz"
    interval        = "10s"
    unhealthy_after = 3
  }
  dns {
    zone = "payments.example.com"
    name = "api"
    ttl  = 30
  }
  database {
    engine              = "postgres"
    replication         = "async"
    deletion_protection = true
  }
  backup {
    every   = "1h"
    keep    = "35d"
    copy_to = ["us-west-2", "eu-west-1"]
  }
  slo {
    availability = "99.95%"
    latency_p99  = "500ms"
    window       = "30d"
  }
}
