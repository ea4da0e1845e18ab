# A dev/staging/prod trio (reference architecture (e) in
# docs/design/reference-architectures.md): one module, used once per environment, whose only
# real difference is `tier`. The tier table (docs/design/tiers.md) decides AZs, NAT, endpoints,
# flow logs, log retention, task counts, database size, Multi-AZ and protection;
# `effective_config` of each environment shows what it chose.
#
# Credentials, region and endpoints come from the standard AWS_* environment variables.

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
      "app"          = var.name
    }
  }
}

module "dev" {
  source = "./modules/app-environment"

  name                 = "${var.name}-dev"
  tier                 = "dev"
  cidr                 = "10.10.0.0/16"
  domain               = "dev.${var.domain}"
  image                = var.image
  database_kms_key_arn = lookup(var.database_kms_key_arns, "dev", null)
  deletion_protection  = var.deletion_protection
  wait_for_deployment  = var.wait_for_deployment
}

module "staging" {
  source = "./modules/app-environment"

  name                 = "${var.name}-staging"
  tier                 = "staging"
  cidr                 = "10.20.0.0/16"
  domain               = "staging.${var.domain}"
  image                = var.image
  database_kms_key_arn = lookup(var.database_kms_key_arns, "staging", null)
  deletion_protection  = var.deletion_protection
  wait_for_deployment  = var.wait_for_deployment
}

module "prod" {
  source = "./modules/app-environment"

  name                 = "${var.name}-prod"
  tier                 = "prod"
  cidr                 = "10.30.0.0/16"
  domain               = var.domain
  image                = var.image
  database_kms_key_arn = lookup(var.database_kms_key_arns, "prod", null)
  deletion_protection  = var.deletion_protection
  wait_for_deployment  = var.wait_for_deployment
}
