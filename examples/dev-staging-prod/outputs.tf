output "urls" {
  value = {
    dev     = module.dev.url
    staging = module.staging.url
    prod    = module.prod.url
  }
}

output "load_balancer_dns_names" {
  description = "CNAME (or alias) targets for each environment's name."
  value = {
    dev     = module.dev.load_balancer_dns_name
    staging = module.staging.load_balancer_dns_name
    prod    = module.prod.load_balancer_dns_name
  }
}

output "certificate_validation_records" {
  description = "Create these in DNS so ACM issues each environment's certificate."
  value = {
    dev     = module.dev.certificate_validation_records
    staging = module.staging.certificate_validation_records
    prod    = module.prod.certificate_validation_records
  }
}

output "network" {
  description = "VPC and private subnets of each environment, for resources made alongside (API Gateway VPC links, Lambda functions)."
  value = {
    dev     = module.dev.network
    staging = module.staging.network
    prod    = module.prod.network
  }
}

output "database_endpoints" {
  value = {
    dev     = module.dev.database_endpoint
    staging = module.staging.database_endpoint
    prod    = module.prod.database_endpoint
  }
}

output "effective_config" {
  description = "What each tier resolved, environment by environment."
  value = {
    dev     = module.dev.effective_config
    staging = module.staging.effective_config
    prod    = module.prod.effective_config
  }
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by environment and resource."
  value = {
    dev     = module.dev.monthly_cost_usd
    staging = module.staging.monthly_cost_usd
    prod    = module.prod.monthly_cost_usd
  }
}

output "uploads_buckets" {
  description = "Each stage's uploads bucket (the app reads its name from UPLOADS_BUCKET)."
  value = {
    dev     = module.dev.uploads_bucket
    staging = module.staging.uploads_bucket
    prod    = module.prod.uploads_bucket
  }
}
