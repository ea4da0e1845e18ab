output "url" {
  value = platform_service.web.url
}

output "load_balancer_dns_name" {
  description = "Target of the site's DNS records: an alias (with load_balancer_zone_id) or a CNAME for both names."
  value       = platform_environment.main.load_balancer_dns_name
}

output "load_balancer_zone_id" {
  value = platform_environment.main.load_balancer_zone_id
}

output "certificate_validation_records" {
  description = "Create these in DNS so ACM issues the certificate for the site and its www name."
  value       = platform_environment.main.certificate_validation_records
}

output "vpc_id" {
  value = platform_environment.main.vpc_id
}

output "private_subnet_ids" {
  value = platform_environment.main.private_subnet_ids
}

output "nat_public_ips" {
  value = platform_environment.main.nat_public_ips
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

output "task_role_arn" {
  description = "The application's role; grant it access to buckets or queues made alongside."
  value       = platform_service.web.task_role_arn
}

output "log_group_name" {
  value = platform_service.web.log_group_name
}

output "effective_config" {
  description = "Every setting the tier resolved for the environment."
  value       = platform_environment.main.effective_config
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by resource."
  value = {
    environment = platform_environment.main.estimated_monthly_cost_usd
    service     = platform_service.web.estimated_monthly_cost_usd
    database    = platform_database.main.estimated_monthly_cost_usd
    cache       = platform_cache.main.estimated_monthly_cost_usd
  }
}

output "assets_url" {
  description = "Where the static assets are served: https://cdn.<domain> with cdn_certificate_arn, else the distribution's own name."
  value       = platform_bucket.assets.url
}

output "assets_cdn_domain_name" {
  description = "Target of cdn.<domain>'s DNS record (a CNAME, or an alias to CloudFront's zone)."
  value       = platform_bucket.assets.cdn_domain_name
}

output "assets_bucket" {
  value = platform_bucket.assets.bucket_name
}
