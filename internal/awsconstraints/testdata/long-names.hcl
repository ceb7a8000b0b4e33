# Names at the topology loader's limit (32 characters: a stack name, a DNS
# label and a file name take them), in the regions with the longest codes
# this account has, with everything that derives names from them: a
# database, backups copied across regions with restore tests, blue-green
# groups, an SLO.
environment "production-payments-europe-east1" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "us-west-2" {}
service "checkout-orchestrator-service-v2" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "payments.example.com"
    name = "checkout"
  }
  database {
    engine = "postgres"
  }
  backup {
    every         = "1h"
    keep          = "35d"
    copy_to       = ["us-west-2"]
    restore_tests = true
  }
  rollout {
    strategy = "blue-green"
    bake     = "10m"
  }
  slo {
    availability = "99.9%"
    latency_p99  = "300ms"
  }
}
