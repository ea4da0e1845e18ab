# Quickstart: one development environment.
#
# A VPC with public, private and data subnets in two availability zones, an internet gateway,
# one NAT gateway, route tables, S3 and DynamoDB gateway endpoints, security groups, an ECS
# cluster, a log group, the data tier's subnet groups and a shared HTTPS load balancer with an
# ACM certificate. Every AWS object is tagged with its owner and listed in the `resources`
# attribute; `effective_config` shows every default the dev tier chose.
#
# Credentials, region and endpoints come from the standard AWS_* environment variables, so the
# same module runs against AWS or against a local emulator (`make demo`).

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    platform = {
      source  = "example.local/acme/platform"
      version = "0.1.0"
    }
  }
}

provider "platform" {
  default_tags {
    tags = {
      "managed-with" = "terraform"
    }
  }
}

resource "platform_environment" "dev" {
  name = var.name
  tier = "dev" # 2 AZs, a single NAT gateway

  tags = {
    team = var.team
  }

  network {
    cidr = var.cidr
  }

  # A shared load balancer: HTTPS with a DNS-validated certificate, HTTP redirected to HTTPS.
  ingress {
    domain = var.domain
  }
}
