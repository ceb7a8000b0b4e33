# A DynamoDB global table over three regions of three continents, served
# by instances, at the zone apex of its hosted zone.
environment "tables" {
  target = "aws"
}
region "us-east-1" {
  primary = true
}
region "eu-west-1" {}
region "us-west-2" {}
service "catalog" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  capacity {
    min     = 2
    desired = 2
    max     = 4
  }
  dns {
    zone = "tables.example.com"
  }
  database {
    engine              = "dynamodb"
    deletion_protection = true
  }
  slo {
    availability = "99.95%"
  }
}
