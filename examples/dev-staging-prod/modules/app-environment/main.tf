# One environment of the trio. Everything not set here comes from the tier.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    platform = {
      source = "example.local/acme/platform"
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
    domain = var.domain
  }
}

# Always encrypted: with the given KMS key, else the AWS-managed one.
resource "platform_database" "main" {
  environment_id      = platform_environment.main.id
  name                = "app"
  kms_key_arn         = var.database_kms_key_arn
  deletion_protection = var.deletion_protection ? null : false
}

# User uploads: private, encrypted, TLS only; versioned with 30/90-day noncurrent expiry in
# staging and prod (dev keeps no versions). Destroy refuses while it holds objects, so the
# uploads outlive a mistaken destroy; force_destroy follows deletion_protection.
resource "platform_bucket" "uploads" {
  environment_id = platform_environment.main.id
  name           = "uploads"
  force_destroy  = !var.deletion_protection
}

resource "platform_service" "app" {
  environment_id  = platform_environment.main.id
  name            = "app"
  image           = var.image
  database_access = [platform_database.main.id]

  # UPLOADS_BUCKET, and read/write on exactly that bucket's objects.
  bucket_access {
    bucket_id = platform_bucket.uploads.id
    mode      = "read_write"
  }

  routing {
    hosts = [var.domain]
  }

  # dev 1-2 tasks, staging 1-4, prod 2-10; CPU target 70 % (prod 60 %).
  autoscaling {}

  deployment {
    wait = var.wait_for_deployment
  }
}
