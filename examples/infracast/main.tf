# Infracast: one application in a dev and a prod environment from the same module (reference
# architecture (b) in docs/design/reference-architectures.md). Both are a three-tier VPC
# 10.0.0.0/16 over two AZs with an HTTPS load balancer (80 redirects to 443), an ECS Fargate
# service answering GET /healthz on 8080 and a PostgreSQL 15 database; security groups follow
# ALB -> ECS -> RDS. What differs between the environments is spelled out in the two module
# calls below.
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
  source = "./modules/infracast-env"

  name                = "${var.name}-dev"
  tier                = "dev"
  domain              = var.dev_domain
  image               = var.image
  secrets             = var.dev_secrets
  wait_for_deployment = var.wait_for_deployment

  nat_mode = "single" # one NAT gateway

  cpu           = 512
  memory        = 1024
  desired_count = 1
  min_tasks     = 1
  max_tasks     = 3
  cpu_target    = 80

  db_instance_class   = "db.t3.medium"
  db_multi_az         = false
  db_storage_gib      = 20
  db_backup_days      = 7
  deletion_protection = false
}

module "prod" {
  source = "./modules/infracast-env"

  name                = "${var.name}-prod"
  tier                = "prod"
  domain              = var.prod_domain
  image               = var.image
  secrets             = var.prod_secrets
  wait_for_deployment = var.wait_for_deployment

  nat_mode = "per_az" # two NAT gateways, one per AZ

  cpu           = 1024
  memory        = 2048
  desired_count = 2
  min_tasks     = 2
  max_tasks     = 10
  cpu_target    = 70

  db_instance_class   = "db.r5.large"
  db_multi_az         = true
  db_storage_gib      = 100
  db_backup_days      = 35
  deletion_protection = var.prod_deletion_protection
}
