# One Infracast environment. The tier sets every default not given here (see effective_config);
# the inputs carry what the Infracast design fixes per environment.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    platform = {
      source = "example.local/acme/platform"
    }
  }
}

resource "platform_environment" "main" {
  name                = var.name
  tier                = var.tier
  deletion_protection = var.deletion_protection

  # Three tiers (public, private, data) over two AZs, also in prod (whose default is three).
  network {
    cidr     = "10.0.0.0/16"
    az_count = 2
    nat {
      mode = var.nat_mode
    }
  }

  ingress {
    domain        = var.domain
    http_to_https = true # 80 answers 301 to 443
  }
}

resource "platform_database" "main" {
  environment_id      = platform_environment.main.id
  name                = "app"
  engine_version      = "15" # any 15.x; AWS minor upgrades are not drift
  instance_class      = var.db_instance_class
  multi_az            = var.db_multi_az
  deletion_protection = var.deletion_protection

  storage {
    type              = "gp3"
    allocated_gib     = var.db_storage_gib
    max_allocated_gib = var.db_storage_gib * 5 # storage autoscaling ceiling
  }

  backup {
    retention_days = var.db_backup_days
  }
}

resource "platform_service" "app" {
  environment_id = platform_environment.main.id
  name           = "app"
  image          = var.image
  cpu            = var.cpu
  memory         = var.memory
  port           = 8080
  desired_count  = var.desired_count

  # DATABASE_URL (and PGHOST, PGPORT, ...) from the connection secret; the security group
  # rule RDS <- ECS comes with it, ECS <- ALB with routing.
  database_access = [platform_database.main.id]
  secrets         = var.secrets
  # JWT_SECRET: a random value made in Secrets Manager, injected as a secret, never in state.
  generated_secrets = var.generated_secrets

  routing {
    hosts                = [var.domain]
    deregistration_delay = 30
    health_check {
      path = "/healthz"
    }
  }

  autoscaling {
    min        = var.min_tasks
    max        = var.max_tasks
    cpu_target = var.cpu_target
  }

  deployment {
    wait = var.wait_for_deployment
  }
}
