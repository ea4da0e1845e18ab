# One region of Infisical Cloud: a prod-tier environment, its PostgreSQL database and Redis
# cache, and the Infisical service behind the shared load balancer. The caller picks the
# region and account through the `platform` provider it passes in.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    platform = {
      source = "example.local/acme/platform"
    }
  }
}

# Prod defaults, all visible in effective_config: three AZs with a NAT gateway each, the
# essential VPC endpoints (ECR, logs, Secrets Manager, SSM, STS), flow logs of ALL traffic kept
# 365 days, application logs kept 365 days, Container Insights enhanced, secrets recoverable
# for 30 days after deletion.
resource "platform_environment" "main" {
  name                = var.name
  tier                = "prod"
  deletion_protection = var.deletion_protection

  network {
    cidr = var.cidr
  }

  # HTTPS with TLS 1.2/1.3 only; port 80 redirects to 443. Without certificate_arn, ACM
  # issues a certificate for domain once the certificate_validation_records exist in DNS.
  ingress {
    domain          = var.domain
    certificate_arn = var.certificate_arn
  }

  # A Cloud Map namespace `<name>.internal`, the cluster's Service Connect default: the core
  # and license APIs call each other by name.
  service_discovery {}
}

locals {
  # Service Connect endpoints, built from the namespace: each service admits the other by ID,
  # so neither refers to the other and Terraform creates both together.
  namespace   = platform_environment.main.service_discovery_namespace_name
  core_url    = "http://infisical.${local.namespace}:8080"
  license_url = "http://license.${local.namespace}:8080"
}

# PostgreSQL 17, db.m7g.large, Multi-AZ, encrypted, 100 GiB gp3 autoscaling to 1000, backups
# kept 35 days, a final snapshot on destroy: the prod defaults.
resource "platform_database" "main" {
  environment_id      = platform_environment.main.id
  name                = "infisical"
  deletion_protection = var.deletion_protection
}

# Redis 7 on cache.m7g.large with two replicas, Multi-AZ with automatic failover, TLS and an
# auth token kept in Secrets Manager, 7 days of snapshots.
resource "platform_cache" "main" {
  environment_id = platform_environment.main.id
  name           = "infisical"
  engine         = "redis"
  engine_version = "7"
}

resource "platform_service" "infisical" {
  environment_id = platform_environment.main.id
  name           = "infisical"
  image          = var.image
  cpu            = 1024
  memory         = 2048
  port           = 8080

  environment_variables = {
    SITE_URL                    = "https://${var.domain}"
    HOST                        = "0.0.0.0"
    NODE_ENV                    = "production"
    TELEMETRY                   = "false"
    LICENSE_SERVER_URL          = local.license_url
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://localhost:4317"
  }

  # Docker Hub login (images are pulled from Docker Hub), read by the execution role only.
  repository_credentials_secret_arn = var.registry_credentials_secret_arn

  # A Service Connect server at local.core_url, reachable by the license API only.
  internal {}
  allow_from_services = ["${platform_environment.main.id}/license"]

  # The OpenTelemetry collector beside Infisical; it logs to the service's group as `otel`.
  sidecar {
    name                       = "otel"
    image                      = var.otel_collector_image
    essential                  = true
    cpu                        = 128
    memory                     = 256
    port                       = 4317
    use_repository_credentials = var.registry_credentials_secret_arn != null
  }

  # Infisical reads its database URL as DB_CONNECTION_URI: the `url` key of the connection
  # secret. SSM parameters and secrets made alongside (ENCRYPTION_KEY, AUTH_SECRET, SMTP
  # settings) come in through var.secrets; the execution role may read exactly these.
  secrets = merge(var.secrets, {
    DB_CONNECTION_URI = "${platform_database.main.connection_secret_arn}:url::"
  })
  database_access = [platform_database.main.id]
  cache_access    = [platform_cache.main.id] # REDIS_URL, as Infisical expects

  routing {
    hosts = [var.domain]
    health_check {
      path = "/api/status"
    }
  }

  # Prod: 2 to 10 tasks holding 60 % CPU.
  autoscaling {}

  deployment {
    # Apply follows the rollout and fails, with the stopped tasks' reasons, on a rollback.
    wait = var.wait_for_deployment
  }
}

# The license API: a Service Connect server the core API calls at local.license_url, and a
# client of the core API.
resource "platform_service" "license" {
  environment_id = platform_environment.main.id
  name           = "license"
  image          = var.license_image
  port           = 8080

  environment_variables = {
    NODE_ENV = "production"
    CORE_URL = local.core_url
  }
  repository_credentials_secret_arn = var.registry_credentials_secret_arn

  internal {}
  allow_from_services = ["${platform_environment.main.id}/infisical"]

  deployment {
    wait = var.wait_for_deployment
  }
}
