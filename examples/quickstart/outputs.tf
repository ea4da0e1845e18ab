output "vpc_id" {
  value = platform_environment.dev.vpc_id
}

output "az_ids" {
  value = platform_environment.dev.az_ids
}

output "public_subnet_ids" {
  value = platform_environment.dev.public_subnet_ids
}

output "private_subnet_ids" {
  value = platform_environment.dev.private_subnet_ids
}

output "data_subnet_ids" {
  value = platform_environment.dev.data_subnet_ids
}

output "nat_public_ips" {
  value = platform_environment.dev.nat_public_ips
}

output "effective_config" {
  value = platform_environment.dev.effective_config
}

output "cluster_name" {
  value = platform_environment.dev.cluster_name
}

output "security_group_ids" {
  value = platform_environment.dev.security_group_ids
}

output "load_balancer_dns_name" {
  value = platform_environment.dev.load_balancer_dns_name
}

output "certificate_validation_records" {
  description = "Create these in your DNS so ACM issues the certificate."
  value       = platform_environment.dev.certificate_validation_records
}

output "estimated_monthly_cost_usd" {
  value = platform_environment.dev.estimated_monthly_cost_usd
}

output "service_url" {
  value = platform_service.web.url
}

output "service_task_definition_arn" {
  value = platform_service.web.task_definition_arn
}

output "listener_rule_priority" {
  value = platform_service.web.listener_rule_priority
}

output "database_endpoint" {
  value = platform_database.main.endpoint
}

output "database_connection_secret_arn" {
  value = platform_database.main.connection_secret_arn
}

output "cache_primary_endpoint" {
  value = platform_cache.sessions.primary_endpoint
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by resource."
  value = {
    environment = platform_environment.dev.estimated_monthly_cost_usd
    service     = platform_service.web.estimated_monthly_cost_usd
    database    = platform_database.main.estimated_monthly_cost_usd
    cache       = platform_cache.sessions.estimated_monthly_cost_usd
  }
}
