output "urls" {
  description = "Public URL of each region's deployment."
  value = {
    us = module.us.url
    eu = module.eu.url
  }
}

output "load_balancer_dns_names" {
  description = "Point each domain at its load balancer (CNAME, or a Route 53 alias with load_balancer_zone_ids)."
  value = {
    us = module.us.load_balancer_dns_name
    eu = module.eu.load_balancer_dns_name
  }
}

output "load_balancer_zone_ids" {
  value = {
    us = module.us.load_balancer_zone_id
    eu = module.eu.load_balancer_zone_id
  }
}

output "certificate_validation_records" {
  description = "Create these in DNS so ACM issues each region's certificate (empty with a given certificate_arn)."
  value = {
    us = module.us.certificate_validation_records
    eu = module.eu.certificate_validation_records
  }
}

output "vpc_ids" {
  value = {
    us = module.us.vpc_id
    eu = module.eu.vpc_id
  }
}

output "nat_public_ips" {
  description = "Egress addresses of each region, for allow-lists at SMTP relays and integrations."
  value = {
    us = module.us.nat_public_ips
    eu = module.eu.nat_public_ips
  }
}

output "database_endpoints" {
  value = {
    us = module.us.database_endpoint
    eu = module.eu.database_endpoint
  }
}

output "cache_primary_endpoints" {
  value = {
    us = module.us.cache_primary_endpoint
    eu = module.eu.cache_primary_endpoint
  }
}

output "log_group_names" {
  description = "Application and flow-log groups of each region, both kept 365 days."
  value = {
    us = module.us.log_group_names
    eu = module.eu.log_group_names
  }
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by region and resource."
  value = {
    us = module.us.monthly_cost_usd
    eu = module.eu.monthly_cost_usd
  }
}

output "internal_endpoints" {
  description = "Service Connect endpoints of the core and license APIs, per region."
  value = {
    us = module.us.internal_endpoints
    eu = module.eu.internal_endpoints
  }
}
