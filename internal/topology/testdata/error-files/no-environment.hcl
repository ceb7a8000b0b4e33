# ERROR: Missing environment block
region "east" {}
