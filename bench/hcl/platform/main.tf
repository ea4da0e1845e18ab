# Side A: one dev environment behind an imported certificate, and one routed service per name
# in var.services. Endpoints come from AWS_ENDPOINT_URL (the benchmark's proxy).

terraform {
  required_providers {
    platform = {
      source  = "example.local/acme/platform"
      version = "0.1.0"
    }
  }
}

variable "name" {
  type = string
}

variable "certificate_arn" {
  type = string
}

variable "domain" {
  type = string
}

variable "services" {
  type = list(string)
}

provider "platform" {}

resource "platform_environment" "main" {
  name = var.name
  tier = "dev"

  ingress {
    certificate_arn = var.certificate_arn
  }
}

resource "platform_service" "svc" {
  for_each = toset(var.services)

  environment_id = platform_environment.main.id
  name           = each.key
  image          = "public.ecr.aws/nginx/nginx:1.27"
  port           = 8080

  routing {
    hosts = ["${each.key}.${var.domain}"]
  }

  # moto never starts a task, so a rollout never finishes.
  deployment {
    wait = false
  }
}
