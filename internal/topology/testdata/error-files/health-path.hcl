# Health-check paths a careless or hostile author could write: each is
# written into HAProxy's httpchk line and a PowerDNS LUA string, so only
# plain paths load.
environment "dev" {
  target = "local"
}
region "east" {
  primary = true
}
region "west" {}
service "s0" { # no leading slash
  mode  = "active-active"
  image = "shop"
  port  = 8080
  dns { zone = "s0.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "healthz" # ERROR: Invalid health check path
  }
}
service "s1" { # LUA
  mode  = "active-active"
  image = "shop"
  port  = 8081
  dns { zone = "s1.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/a')os.execute('id')--" # ERROR: Invalid health check path
  }
}
service "s2" { # a newline escape
  mode  = "active-active"
  image = "shop"
  port  = 8082
  dns { zone = "s2.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/a\nHost: evil" # ERROR: Invalid health check path
  }
}
service "s3" { # quotes
  mode  = "active-active"
  image = "shop"
  port  = 8083
  dns { zone = "s3.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/x\" + \"y" # ERROR: Invalid health check path
  }
}
service "s4" { # a space: HAProxy's httpchk line
  mode  = "active-active"
  image = "shop"
  port  = 8084
  dns { zone = "s4.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/a b" # ERROR: Invalid health check path
  }
}
service "s5" { # an interpolation-like
  mode  = "active-active"
  image = "shop"
  port  = 8085
  dns { zone = "s5.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/$${PATH}" # ERROR: Invalid health check path
  }
}
service "s6" { # HAProxy comment
  mode  = "active-active"
  image = "shop"
  port  = 8086
  dns { zone = "s6.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/a#b" # ERROR: Invalid health check path
  }
}
service "s7" { # non-ASCII
  mode  = "active-active"
  image = "shop"
  port  = 8087
  dns { zone = "s7.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/café" # ERROR: Invalid health check path
  }
}
service "s8" { # too long
  mode  = "active-active"
  image = "shop"
  port  = 8088
  dns { zone = "s8.test" }
  capacity {
    min     = 1
    desired = 1
    max     = 2
  }
  health {
    path = "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" # ERROR: Invalid health check path
  }
}
