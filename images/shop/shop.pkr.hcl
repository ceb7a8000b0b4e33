# The shop's golden image: Debian with the shop binary as a systemd service.
#
#   make build                       # bin/shop
#   packer init images/shop
#   packer build -var build=shop-$(date +%Y.%m.%d)-1 images/shop
#   bulwark images promote --env prod --image shop --ami <id> --from us-east-1
#
# bulwark checks this file (bulwark images check): ami_regions must cover
# every region of the environment, and the build tag must be set.

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "build" {
  type        = string
  description = "the build's name, recorded as the bulwark:build tag of every copy"
}

variable "source_region" {
  type    = string
  default = "us-east-1"
}

variable "ami_regions" {
  type    = list(string)
  default = ["us-west-2", "eu-west-1"]
}

source "amazon-ebs" "shop" {
  region        = var.source_region
  ami_regions   = var.ami_regions
  ami_name      = "shop-${var.build}"
  instance_type = "t3.small"
  ssh_username  = "admin"
  encrypt_boot  = true
  imds_support  = "v2.0"

  # the base image is looked up at build time only; the result is pinned by
  # ID in manifest.json
  source_ami_filter {
    filters = {
      name                = "debian-13-amd64-*"
      architecture        = "x86_64"
      virtualization-type = "hvm"
    }
    owners      = ["136693071363"] # Debian
    most_recent = true
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags = {
    "bulwark:build" = var.build
    "bulwark:image" = "shop"
  }
}

build {
  sources = ["source.amazon-ebs.shop"]

  provisioner "file" {
    source      = "../../bin/shop"
    destination = "/tmp/shop"
  }

  # bulwark's runtime contract (modules/aws/runtime.go): the unit runs the
  # script user data installs before every start, as root, and reads what it
  # writes; the AWS CLI reads Parameter Store and Secrets Manager for it
  provisioner "shell" {
    inline = [
      "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y awscli python3 curl",
      "sudo install -m 0755 /tmp/shop /usr/local/bin/shop",
      "sudo useradd --system --no-create-home --shell /usr/sbin/nologin shop",
      "printf '[Unit]\\nDescription=bulwark service (shop)\\nAfter=network-online.target\\nWants=network-online.target\\nConditionPathExists=/var/lib/bulwark/runtime.sh\\n[Service]\\nUser=shop\\nExecStartPre=+/bin/bash /var/lib/bulwark/runtime.sh\\nEnvironmentFile=-/run/bulwark/runtime.env\\nExecStart=/usr/local/bin/shop\\nRestart=always\\nRestartSec=2\\n[Install]\\nWantedBy=multi-user.target\\n' | sudo tee /etc/systemd/system/bulwark-service.service",
      "sudo systemctl enable bulwark-service.service",
    ]
  }
}
