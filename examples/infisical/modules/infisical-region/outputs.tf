output "environment_id" {
  value = platform_environment.main.id
}

output "vpc_id" {
  value = platform_environment.main.vpc_id
}

output "nat_public_ips" {
  value = platform_environment.main.nat_public_ips
}

output "url" {
  value = platform_service.infisical.url
}

output "load_balancer_dns_name" {
  value = platform_environment.main.load_balancer_dns_name
}

output "load_balancer_zone_id" {
  value = platform_environment.main.load_balancer_zone_id
}

output "certificate_validation_records" {
  value = platform_environment.main.certificate_validation_records
}

output "database_endpoint" {
  value = platform_database.main.endpoint
}

output "database_connection_secret_arn" {
  value = platform_database.main.connection_secret_arn
}

output "cache_primary_endpoint" {
  value = platform_cache.main.primary_endpoint
}

output "cache_replication_group_id" {
  value = platform_cache.main.replication_group_id
}

output "service_task_role_arn" {
  value = platform_service.infisical.task_role_arn
}

output "log_group_names" {
  value = {
    environment = platform_environment.main.log_group_name
    service     = platform_service.infisical.log_group_name
    flow_logs   = platform_environment.main.flow_log_group_name
  }
}

output "monthly_cost_usd" {
  value = {
    environment = platform_environment.main.estimated_monthly_cost_usd
    service     = platform_service.infisical.estimated_monthly_cost_usd
    database    = platform_database.main.estimated_monthly_cost_usd
    cache       = platform_cache.main.estimated_monthly_cost_usd
  }
}

output "internal_endpoints" {
  description = "Service Connect endpoints of the core and license APIs."
  value = {
    core    = platform_service.infisical.internal_endpoint
    license = platform_service.license.internal_endpoint
  }
}
