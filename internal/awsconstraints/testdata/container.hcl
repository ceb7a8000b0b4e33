# Containers (ECS on Fargate) in regions whose zone letters have gaps:
# us-west-1 offers this account b and c only, ap-northeast-1 a, c and d.
environment "fargate" {
  target = "aws"
}
region "us-west-1" {
  primary = true
  zones   = 2
}
region "ap-northeast-1" {
  zones = 3
  nat   = "single"
}
service "api" {
  mode    = "hot-standby"
  image   = "shop"
  port    = 8081
  runtime = "container"
  capacity {
    min     = 2
    desired = 2
    max     = 8
  }
  scaling {
    target_cpu = 60
  }
  dns {
    zone = "fargate.example.com"
    name = "api"
    ttl  = 60
  }
  database {
    engine      = "postgres"
    replication = "async"
  }
  parameters = {
    LOG_LEVEL = "info"
  }
  rollout {
    strategy = "blue-green"
    bake     = "5m"
  }
}
