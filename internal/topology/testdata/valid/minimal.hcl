environment "tiny" {
  target = "local"
}
region "solo" {}
service "billing" {
  mode  = "active-active"
  image = "billing"
  port  = 9000
  capacity {
    min = 1
    desired = 1
    max = 1
  }
  dns { zone = "billing.test" }
}
