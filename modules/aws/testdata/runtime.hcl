# The runtime contract on aws: instances (vm) and containers of services
# with a PostgreSQL database and parameters, in a primary and a secondary
# region, and a DynamoDB service.
environment "rt" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "us-west-2" {}
service "catalog" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  parameters = {
    LOG_LEVEL = "info"
    GREETING  = "say \"hi\" \\ $HOME 'x'"
  }
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "catalog.example.com" }
  database {
    engine = "postgres"
  }
}
service "cart" {
  mode    = "active-active"
  image   = "shop"
  port    = 8081
  runtime = "container"
  parameters = {
    CURRENCY = "EUR"
  }
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "cart.example.com" }
  database {
    engine = "postgres"
  }
}
service "orders" {
  mode  = "active-active"
  image = "shop"
  port  = 8082
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns { zone = "orders.example.com" }
  database {
    engine = "dynamodb"
  }
}
