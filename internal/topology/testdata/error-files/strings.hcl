# Strings that reach other programs' configuration (HAProxy, PowerDNS,
# Prometheus, Terraform, Pulumi, AWS): each refused at its own line.
environment "dev-" { # ERROR: Invalid name
  target  = "local"
  state   = "file:///tmp/my state" # ERROR: Invalid state backend
  secrets = "awskms://alias/key\nrm -rf /" # ERROR: Invalid secrets provider
}
region "east" {
  primary = true
}
region "west" {}
service "shop" {
  mode  = "active-active"
  image = "../shop" # ERROR: Invalid image name
  port  = 8080
  parameters = {
    GREETING = "hello\u0000world" # ERROR: Invalid parameter value
    QUOTED   = "it's \"fine\"; $(data, not code)"
  }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  dns {
    zone = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    name = "www" # ERROR: DNS name too long
  }
}
service "cart" {
  mode  = "active-active"
  image = "shop"
  port  = 8081
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  dns {
    zone = "Cart.test" # ERROR: Invalid DNS zone
    name = "w w" # ERROR: Invalid DNS name
  }
}
layer "../../etc" { # ERROR: Invalid name
  source = "layers/ok"
}
layer "vars" {
  source = "layers/ok"
  vars = {
    "bad name" = "x" # ERROR: Invalid variable name
    ok_name    = "any value: it's JSON-encoded"
  }
}
