# Blue-green on AWS: an instance service (two autoscaling groups, switched
# by bulwark at the listener) and a container service (ECS's own blue/green
# deployments), in one region.
environment "bg" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
service "shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 6
  }
  scaling {
    target_requests = 50
  }
  dns { zone = "shop.example.com" }
  rollout {
    strategy = "blue-green"
    bake     = "5m"
  }
}
service "api" {
  mode    = "active-active"
  image   = "shop"
  port    = 8081
  runtime = "container"
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "api.example.com" }
  rollout {
    strategy = "blue-green"
    bake     = "90s"
  }
}
