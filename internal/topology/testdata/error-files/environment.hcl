environment "dev" {
  target  = "gcp" # ERROR: Invalid target
  state   = "/var/lib/state" # ERROR: Invalid state backend
  secrets = "rot13" # ERROR: Invalid secrets provider
}
region "east" {}
service "shop" {
  mode  = "active-passive" # ERROR: Invalid mode
  image = "shop"
  port  = 8080
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "Shop..test" } # ERROR: Invalid DNS zone
  database {
    engine = "mysql" # ERROR: Unsupported database engine
    replication = "eventual" # ERROR: Invalid replication
  }
}
