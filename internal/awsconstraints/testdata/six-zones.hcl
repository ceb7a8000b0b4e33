# Six zones: us-east-1 offers six (a to f) to this account, us-west-2
# four; instances over every zone, a database instance per zone.
environment "wide" {
  target = "aws"
}
region "us-east-1" {
  primary = true
  zones   = 6
}
region "us-west-2" {
  zones = 4
}
service "shop" {
  mode  = "hot-standby"
  image = "shop"
  port  = 8080
  capacity {
    min     = 6
    desired = 6
    max     = 12
  }
  dns {
    zone = "wide.example.com"
    name = "www"
  }
  database {
    engine = "postgres"
  }
  backup {
    every   = "1h"
    keep    = "14d"
    copy_to = ["us-west-2"]
  }
}
