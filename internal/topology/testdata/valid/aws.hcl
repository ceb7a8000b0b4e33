environment "staging" {
  target  = "aws"
  state   = "s3://bulwark-state?region=us-east-1"
  secrets = "awskms://alias/bulwark?region=us-east-1"
}
region "us-east-1" { primary = true }
region "us-west-2" {
  zones = 4
  nat   = "single"
}
service "shop" {
  mode    = "hot-standby"
  image   = "shop"
  port    = 8080
  regions = ["us-west-2", "us-east-1"]
  runtime = "container"
  capacity {
    min = 2
    desired = 2
    max = 4
  }
  dns {
    zone = "shop.example.com"
    name = "api"
    ttl = 30
  }
  https {
    certificates = {
      "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
      "us-west-2" = "arn:aws:acm:us-west-2:123456789012:certificate/66666666-7777-8888-9999-000000000000"
    }
  }
  database {
    engine = "dynamodb"
  }
}
