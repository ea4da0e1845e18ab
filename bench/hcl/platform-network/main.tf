# Side A of the network section: one dev environment over 3 AZs with a NAT gateway in each,
# and no ingress and no services. Endpoints come from AWS_ENDPOINT_URL (the benchmark's proxy).

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

provider "platform" {}

resource "platform_environment" "main" {
  name = var.name
  tier = "dev"

  network {
    az_count = 3

    nat {
      mode = "per_az"
    }
  }
}
