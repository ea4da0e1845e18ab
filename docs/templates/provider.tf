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
  region = "eu-west-1"

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/platform-deployer"
    session_name = "terraform"
  }

  default_tags {
    tags = {
      cost-center = "platform"
    }
  }
}
