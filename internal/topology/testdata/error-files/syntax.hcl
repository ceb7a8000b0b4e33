environment "dev" {
  target = "local"
}
region "east" {
  zones = 3 3 # ERROR: Missing newline after argument
}
