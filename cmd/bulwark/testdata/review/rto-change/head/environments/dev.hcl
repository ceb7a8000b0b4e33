environment "dev" {
  target = "local"
  targets {
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
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "shop.test"
    ttl  = 150
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
