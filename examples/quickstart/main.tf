# Quickstart: one development environment with a web service, its database and its cache.
#
# A VPC with public, private and data subnets in two availability zones, an internet gateway,
# one NAT gateway, route tables, S3 and DynamoDB gateway endpoints, security groups, an ECS
# cluster, a log group, the data tier's subnet groups and a shared HTTPS load balancer with an
# ACM certificate. Every AWS object is tagged with its owner and listed in the `resources`
# attribute; `effective_config` shows every default the dev tier chose. On top of it: an RDS
# PostgreSQL database, a Valkey cache and an ECS Fargate service behind the load balancer that
# reads both through their connection secrets.
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

resource "platform_database" "main" {
  environment_id = platform_environment.dev.id
  name           = "main" # PostgreSQL 17, db.t4g.micro, 20 GiB gp3 autoscaling to 50, encrypted
}

resource "platform_cache" "sessions" {
  environment_id = platform_environment.dev.id
  name           = "sessions" # Valkey 8, cache.t4g.micro, TLS and an auth token
}

resource "platform_service" "web" {
  environment_id = platform_environment.dev.id
  name           = "web"
  image          = var.image
  port           = 80

  environment_variables = {
    LOG_LEVEL = "info"
  }
  # DATABASE_URL, PGHOST, ... and REDIS_URL, from Secrets Manager
  database_access = [platform_database.main.id]
  cache_access    = [platform_cache.sessions.id]

  routing {
    hosts = [var.domain]
    health_check {
      path = "/"
    }
  }

  autoscaling {
    max = 3
  }

  deployment {
    # Against real AWS, leave the default (true): apply follows the rollout and fails on a
    # rollback. The local emulator never starts tasks, so the demo does not wait.
    wait = var.wait_for_deployment
  }
}
