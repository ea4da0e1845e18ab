# A load-balanced web application with a database and a cache: what an Elastic Beanstalk
# "web server environment" gives, on ECS Fargate (reference architecture (d) in
# docs/design/reference-architectures.md).
#
# One environment (VPC, NAT, endpoints, flow logs by tier) with an HTTPS load balancer for the
# site's name and its www alias; the web service behind it, autoscaled on CPU, with a task role
# in place of Beanstalk's instance profile; RDS PostgreSQL and a Redis-compatible cache it
# reaches through their connection secrets; static assets in a private S3 bucket served by
# CloudFront on cdn.<domain> (Beanstalk's usual S3 + CloudFront pairing).
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

resource "platform_environment" "main" {
  name = var.name
  tier = var.tier
  # null keeps the tier's default (prod refuses destroy); false lifts it.
  deletion_protection = var.deletion_protection ? null : false

  network {
    cidr = var.cidr
  }

  ingress {
    domain             = var.domain
    additional_domains = ["www.${var.domain}"]
  }
}

# PostgreSQL 17; instance class, Multi-AZ, storage and backups by tier.
resource "platform_database" "main" {
  environment_id      = platform_environment.main.id
  name                = "web"
  deletion_protection = var.deletion_protection ? null : false
}

# Valkey 8, the Redis-compatible engine; set engine = "redis" and engine_version = "7" to
# stay on Redis OSS. Node type, replicas and Multi-AZ by tier.
resource "platform_cache" "main" {
  environment_id = platform_environment.main.id
  name           = "sessions"
}

# Static assets: a private bucket that only its CloudFront distribution may read. With a
# us-east-1 certificate for cdn.<domain>, the distribution answers on that name; without one,
# on its own *.cloudfront.net name (see the `assets_url` output).
resource "platform_bucket" "assets" {
  environment_id = platform_environment.main.id
  name           = "assets"
  force_destroy  = !var.deletion_protection

  cdn {
    aliases         = var.cdn_certificate_arn == null ? [] : ["cdn.${var.domain}"]
    certificate_arn = var.cdn_certificate_arn
  }
}

resource "platform_service" "web" {
  environment_id = platform_environment.main.id
  name           = "web"
  image          = var.image
  cpu            = var.cpu
  memory         = var.memory
  port           = var.port
  # Beanstalk platforms let the application write to its disk; nginx and most frameworks do
  # (temp files, pid files). Turn this on once the application writes nowhere.
  read_only_root_filesystem = var.read_only_root_filesystem

  environment_variables = var.environment_variables
  secrets               = var.secrets
  database_access       = [platform_database.main.id] # DATABASE_URL, PGHOST, ...
  cache_access          = [platform_cache.main.id]    # REDIS_URL

  # ASSETS_BUCKET: the build's assets are uploaded here (read and write on its objects only).
  bucket_access {
    bucket_id = platform_bucket.assets.id
    mode      = "read_write"
  }

  routing {
    hosts = [var.domain, "www.${var.domain}"]
    health_check {
      path = var.health_check_path
    }
  }

  autoscaling {
    min        = var.min_tasks
    max        = var.max_tasks
    cpu_target = var.cpu_target
  }

  # The task role replaces the instance profile: the application's own AWS permissions.
  iam {
    policy_json         = var.task_policy_json
    managed_policy_arns = var.task_managed_policy_arns
  }

  deployment {
    # Beanstalk's "rolling" deployments with health checks, plus a rollback that fails apply.
    wait = var.wait_for_deployment
  }
}
