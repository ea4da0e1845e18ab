output "environment_id" {
  value = platform_environment.main.id
}

output "network" {
  value = {
    vpc_id                  = platform_environment.main.vpc_id
    private_subnet_ids      = platform_environment.main.private_subnet_ids
    services_security_group = platform_service.app.security_group_id
  }
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

output "effective_config" {
  value = platform_environment.main.effective_config
}

output "monthly_cost_usd" {
  value = {
    environment = platform_environment.main.estimated_monthly_cost_usd
    service     = platform_service.app.estimated_monthly_cost_usd
    database    = platform_database.main.estimated_monthly_cost_usd
  }
}

output "uploads_bucket" {
  value = platform_bucket.uploads.bucket_name
}
