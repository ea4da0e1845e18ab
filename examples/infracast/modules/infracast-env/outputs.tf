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
  value = platform_service.app.url
}

output "load_balancer_dns_name" {
  value = platform_environment.main.load_balancer_dns_name
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

output "service_security_group_id" {
  value = platform_service.app.security_group_id
}

output "monthly_cost_usd" {
  value = {
    environment = platform_environment.main.estimated_monthly_cost_usd
    service     = platform_service.app.estimated_monthly_cost_usd
    database    = platform_database.main.estimated_monthly_cost_usd
  }
}
