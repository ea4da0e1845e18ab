# An environment managed by another stack.
data "platform_environment" "prod" {
  name = "prod"
}

# Plain aws_* resources can join its network.
resource "aws_security_group" "batch" {
  name   = "prod-batch"
  vpc_id = data.platform_environment.prod.vpc_id
}

output "private_subnet_ids" {
  value = data.platform_environment.prod.private_subnet_ids
}
