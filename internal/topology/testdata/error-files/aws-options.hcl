environment "prod" {
  target = "aws"
}
region "us-east-1" {
  primary = true
  nat     = "none" # ERROR: Invalid NAT
}
region "us-west-2" {}
service "shop" {
  mode    = "active-active"
  image   = "shop"
  port    = 8080
  runtime = "lambda" # ERROR: Invalid runtime
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "shop.test" }
  https { # ERROR: HTTPS without a certificate
  }
  database {
    engine      = "dynamodb"
    replication = "sync" # ERROR: Invalid replication
  }
}
service "api" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "api.test" }
  https {
    certificates = { # ERROR: Certificate from another region # ERROR: Unknown region # ERROR: Invalid certificate
      "us-east-1"    = "arn:aws:acm:us-west-2:123456789012:certificate/abc"
      "eu-central-1" = "arn:aws:acm:eu-central-1:123456789012:certificate/abc"
      "us-west-2"    = "not-an-arn"
    }
  }
  database {
    engine = "mysql" # ERROR: Unsupported database engine
  }
}
service "web" {
  mode  = "active-active"
  image = "shop"
  port  = 8082
  capacity {
    min = 1
    desired = 1
    max = 2
  }
  dns { zone = "web.test" }
  https {
    certificates = { # ERROR: HTTPS without a certificate
      "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    }
  }
}
