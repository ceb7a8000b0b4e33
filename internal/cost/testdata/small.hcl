# a small aws environment for the bill's hand-worked test: two regions,
# two zones each, one hot-standby service on instances with a replicated
# database and backups copied to the standby region
environment "small" {
  target = "aws"
  usage {
    requests_per_month = 20000000
    gb_out_per_month   = 100
  }
}

region "us-east-1" {
  primary = true
  zones   = 2
}

region "us-west-2" {
  zones = 2
  nat   = "single"
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
  dns {
    zone = "shop.example.com"
  }
  database {
    engine = "postgres"
  }
  backup {
    every   = "1h"
    keep    = "7d"
    copy_to = ["us-west-2"]
  }
  usage {
    writes_per_month = 3000000
    database_gb      = 50
  }
}
