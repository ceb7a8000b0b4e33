# Held back: an example bulwark refuses. Every service passes on its own
# (each runs in two regions or more), yet checkout, which runs in all
# three, cannot answer without payments (not in south), and payments
# needs the ledger, which needs a bank reachable from east only: losing
# east takes checkout down everywhere, though each service "survives the
# loss of a region". Its retries multiply too: checkout waits 1 s for
# payments, which tries the ledger three times for 800 ms each.
# `bulwark plan --env environments/held-back/hidden-single-point.hcl`
# exits 1 and names both, with the path and the line.
environment "held-back" {
  target = "local"
}

region "east" {
  primary = true
  zones   = 3
}

region "west" {
  zones = 3
}

region "south" {
  zones = 3
}

external "bank" {
  availability = "99.95%"
  regions      = ["east"]
}

service "checkout" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    path     = "/healthz"
    interval = "1s"
  }
  dns {
    zone = "checkout.test"
    ttl  = 1
  }
  depends_on "payments" {
    need    = "hard"
    timeout = "1s"
    tries   = 2
  }
}

service "payments" {
  mode    = "active-active"
  image   = "shop"
  port    = 8081
  regions = ["east", "west"]
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    path     = "/healthz"
    interval = "1s"
  }
  dns {
    zone = "payments.test"
    ttl  = 1
  }
  depends_on "ledger" {
    need    = "hard"
    timeout = "800ms"
    tries   = 3
    backoff = "100ms"
  }
}

service "ledger" {
  mode    = "active-active"
  image   = "shop"
  port    = 8082
  regions = ["east", "west"]
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  health {
    path     = "/healthz"
    interval = "1s"
  }
  dns {
    zone = "ledger.test"
    ttl  = 1
  }
  depends_on "bank" {
    need    = "hard"
    timeout = "2s"
  }
}
