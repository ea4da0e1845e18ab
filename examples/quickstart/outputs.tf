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
