output "urls" {
  description = "Public URL of the api service in each stage."
  value = {
    for key, service in platform_service.service : key => service.url if service.url != ""
  }
}

output "load_balancer_dns_names" {
  value = { for stage, env in platform_environment.stage : stage => env.load_balancer_dns_name }
}

output "certificate_validation_records" {
  description = "Create these in DNS so ACM issues each stage's certificate."
  value       = { for stage, env in platform_environment.stage : stage => env.certificate_validation_records }
}

output "vpc_ids" {
  value = { for stage, env in platform_environment.stage : stage => env.vpc_id }
}

output "private_subnet_ids" {
  description = "For resources made alongside (queues' consumers, Lambda functions)."
  value       = { for stage, env in platform_environment.stage : stage => env.private_subnet_ids }
}

output "task_role_arns" {
  description = "Each service's own task role, by `<stage>/<service>`."
  value       = { for key, service in platform_service.service : key => service.task_role_arn }
}

output "service_security_group_ids" {
  value = { for key, service in platform_service.service : key => service.security_group_id }
}

output "database_endpoints" {
  value = { for key, db in platform_database.service : key => db.endpoint }
}

output "cache_primary_endpoints" {
  value = { for stage, cache in platform_cache.stage : stage => cache.primary_endpoint }
}

output "monthly_cost_usd" {
  description = "Fixed monthly charges at us-east-1 list prices, by stage."
  value = {
    for stage, env in platform_environment.stage : stage => {
      environment = env.estimated_monthly_cost_usd
      services    = sum([for key, s in platform_service.service : s.estimated_monthly_cost_usd if split("/", key)[0] == stage])
      databases   = sum([for key, d in platform_database.service : d.estimated_monthly_cost_usd if split("/", key)[0] == stage])
      cache       = platform_cache.stage[stage].estimated_monthly_cost_usd
    }
  }
}

output "internal_endpoints" {
  description = "Service Connect endpoints of the called services, by `<stage>/<service>`."
  value = {
    for key, service in platform_service.service : key => service.internal_endpoint if service.internal_endpoint != ""
  }
}

output "assets_urls" {
  description = "Each stage's public assets, served by CloudFront."
  value       = { for stage, bucket in platform_bucket.assets : stage => bucket.url }
}

output "uploads_buckets" {
  value = { for stage, bucket in platform_bucket.uploads : stage => bucket.bucket_name }
}

output "invoices_queue_urls" {
  value = { for stage, queue in platform_queue.invoices : stage => queue.queue_url }
}

output "billing_events_topic_arns" {
  value = { for stage, topic in platform_topic.billing_events : stage => topic.topic_arn }
}
