# A service whose data tier is a DynamoDB global table over three regions.
environment "catalog" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "us-west-2" {}
region "eu-west-1" {}
service "catalog" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  scaling {
    target_requests = 50
  }
  dns { zone = "catalog.example.com" }
  database {
    engine              = "dynamodb"
    deletion_protection = true
  }
}
