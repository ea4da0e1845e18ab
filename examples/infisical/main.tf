# Infisical Cloud: the same production stack in the US and in the EU (reference architecture
# (a) in docs/design/reference-architectures.md).
#
# Each region gets a prod-tier environment (three AZs, a NAT gateway per AZ, essential VPC
# endpoints, ALL-traffic flow logs kept 365 days, a shared HTTPS load balancer), a Multi-AZ
# PostgreSQL database, a Multi-AZ Redis 7 replication group and the Infisical service on ECS
# Fargate behind the load balancer. One module, used twice through two provider aliases; give
# each alias its own `assume_role` to keep the regions in separate accounts.
#
# Credentials and endpoints come from the standard AWS_* environment variables; the region is
# set on each alias, so AWS_REGION does not matter here.

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
  alias  = "us"
  region = var.us_region

  # Present only when a role is given: the US account's deployer role.
  dynamic "assume_role" {
    for_each = var.us_role_arn == null ? [] : [var.us_role_arn]
    content {
      role_arn = assume_role.value
    }
  }

  default_tags {
    tags = {
      "managed-with" = "terraform"
      "data-region"  = "us"
    }
  }
}

provider "platform" {
  alias  = "eu"
  region = var.eu_region

  dynamic "assume_role" {
    for_each = var.eu_role_arn == null ? [] : [var.eu_role_arn]
    content {
      role_arn = assume_role.value
    }
  }

  default_tags {
    tags = {
      "managed-with" = "terraform"
      "data-region"  = "eu"
    }
  }
}

module "us" {
  source = "./modules/infisical-region"
  providers = {
    platform = platform.us
  }

  name                = "${var.name}-us"
  cidr                = "10.10.0.0/16"
  domain              = var.us_domain
  certificate_arn     = var.us_certificate_arn
  image               = var.image
  secrets             = var.us_secrets
  deletion_protection = var.deletion_protection

  license_image                   = var.license_image
  otel_collector_image            = var.otel_collector_image
  registry_credentials_secret_arn = lookup(var.registry_credentials_secret_arns, "us", null)
  wait_for_deployment             = var.wait_for_deployment
}

module "eu" {
  source = "./modules/infisical-region"
  providers = {
    platform = platform.eu
  }

  name                = "${var.name}-eu"
  cidr                = "10.20.0.0/16" # distinct from the US range, so the VPCs can be peered later
  domain              = var.eu_domain
  certificate_arn     = var.eu_certificate_arn
  image               = var.image
  secrets             = var.eu_secrets
  deletion_protection = var.deletion_protection

  license_image                   = var.license_image
  otel_collector_image            = var.otel_collector_image
  registry_credentials_secret_arn = lookup(var.registry_credentials_secret_arns, "eu", null)
  wait_for_deployment             = var.wait_for_deployment
}
