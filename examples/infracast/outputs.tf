output "urls" {
  value = {
    dev  = module.dev.url
    prod = module.prod.url
  }
}

output "load_balancer_dns_names" {
  description = "CNAME (or alias) targets for each environment's domain."
  value = {
    dev  = module.dev.load_balancer_dns_name
    prod = module.prod.load_balancer_dns_name
  }
}

output "certificate_validation_records" {
  description = "Create these in DNS so ACM issues each environment's certificate."
  value = {
    dev  = module.dev.certificate_validation_records
    prod = module.prod.certificate_validation_records
  }
}

output "vpc_ids" {
  value = {
    dev  = module.dev.vpc_id
    prod = module.prod.vpc_id
  }
}

output "nat_public_ips" {
  value = {
    dev  = module.dev.nat_public_ips
    prod = module.prod.nat_public_ips
  }
}

output "database_endpoints" {
  value = {
    dev  = module.dev.database_endpoint
    prod = module.prod.database_endpoint
  }
}

output "database_connection_secret_arns" {
  value = {
    dev  = module.dev.database_connection_secret_arn
    prod = module.prod.database_connection_secret_arn
  }
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by environment and resource."
  value = {
    dev  = module.dev.monthly_cost_usd
    prod = module.prod.monthly_cost_usd
  }
}
