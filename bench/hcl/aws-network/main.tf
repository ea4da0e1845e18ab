# Side B of the network section: the AWS objects side A (../platform-network) creates, written
# by hand as plain resources for hashicorp/aws 3.39.0. A dev environment over 3 AZs with a NAT
# gateway per AZ, no load balancer and no services. Names, CIDRs, AZ choice, policies and the
# `platform:owner` tags follow side A, so the benchmark's ownership-tag census counts both sides
# the same way. The network part is ../aws/main.tf's, grown to 3 AZs and one NAT per AZ.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "3.39.0"
    }
  }
}

variable "name" {
  type = string
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_force_path_style         = true

  endpoints {
    cloudwatchlogs = var.endpoint
    ec2            = var.endpoint
    ecs            = var.endpoint
    elasticache    = var.endpoint
    iam            = var.endpoint
    rds            = var.endpoint
    sts            = var.endpoint
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  owner  = "environment/${var.name}"
  tags   = { "platform:owner" = local.owner }
  az_ids = slice(data.aws_availability_zones.available.zone_ids, 0, 3)
  n      = length(local.az_ids)
  # Side A's layout of 10.0.0.0/16: a private /20 per AZ first, then the public and the data
  # /24s right after them.
  subnets = merge([
    for i, az in local.az_ids : {
      "public-${az}"  = { tier = "public", az = az, cidr = cidrsubnet("10.0.0.0/16", 8, 16 * local.n + i) }
      "private-${az}" = { tier = "private", az = az, cidr = cidrsubnet("10.0.0.0/16", 4, i) }
      "data-${az}"    = { tier = "data", az = az, cidr = cidrsubnet("10.0.0.0/16", 8, 17 * local.n + i) }
    }
  ]...)
}

# ---- Network -------------------------------------------------------------------------------

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = "${var.name}-vpc" })
}

resource "aws_subnet" "this" {
  for_each             = local.subnets
  vpc_id               = aws_vpc.main.id
  cidr_block           = each.value.cidr
  availability_zone_id = each.value.az
  tags                 = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "${var.name}-igw" })
}

resource "aws_eip" "nat" {
  for_each = toset(local.az_ids)
  vpc      = true
  tags     = merge(local.tags, { Name = "${var.name}-nat-${each.key}" })
}

resource "aws_nat_gateway" "this" {
  for_each      = toset(local.az_ids)
  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.this["public-${each.key}"].id
  tags          = merge(local.tags, { Name = "${var.name}-nat-${each.key}" })
  depends_on    = [aws_internet_gateway.main]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route_table" "private" {
  for_each = toset(local.az_ids)
  vpc_id   = aws_vpc.main.id
  tags     = merge(local.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route_table" "data" {
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "${var.name}-data" })
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

# Each AZ's private subnet leaves through the NAT gateway of its own AZ.
resource "aws_route" "private_default" {
  for_each               = aws_route_table.private
  route_table_id         = each.value.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "this" {
  for_each  = local.subnets
  subnet_id = aws_subnet.this[each.key].id
  route_table_id = (
    each.value.tier == "public" ? aws_route_table.public.id :
    each.value.tier == "private" ? aws_route_table.private[each.value.az].id :
    aws_route_table.data.id
  )
}

resource "aws_vpc_endpoint" "gateway" {
  for_each          = toset(["s3", "dynamodb"])
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([aws_route_table.data.id], [for t in aws_route_table.private : t.id])
  tags              = merge(local.tags, { Name = "${var.name}-endpoint-${each.key}" })
}

# ---- Security groups (no load balancer: no ingress) ------------------------------------------

resource "aws_security_group" "data" {
  name        = "${var.name}-data"
  description = "Databases and caches: reachable only from services"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-data" })
}

resource "aws_security_group" "services" {
  name        = "${var.name}-services"
  description = "Tasks of the environment's services"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-services" })
}

resource "aws_security_group_rule" "data_from_services" {
  for_each                 = { postgres = 5432, redis = 6379 }
  security_group_id        = aws_security_group.data.id
  type                     = "ingress"
  protocol                 = "tcp"
  from_port                = each.value
  to_port                  = each.value
  source_security_group_id = aws_security_group.services.id
  description              = "${each.key} from services"
}

resource "aws_security_group_rule" "services_egress" {
  security_group_id = aws_security_group.services.id
  type              = "egress"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
  description       = "Egress to images, APIs and the data tier"
}

# ---- Cluster, logs, data tier subnet groups ------------------------------------------------

resource "aws_ecs_cluster" "main" {
  name               = var.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
    base              = 0
  }

  setting {
    name  = "containerInsights"
    value = "disabled"
  }

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_cloudwatch_log_group" "environment" {
  name              = "/platform/${var.name}"
  retention_in_days = 7
  tags              = merge(local.tags, { Name = "${var.name}-logs" })
}

resource "aws_db_subnet_group" "data" {
  name        = "${var.name}-data"
  description = "Data tier of environment ${var.name}"
  subnet_ids  = [for az in local.az_ids : aws_subnet.this["data-${az}"].id]
  tags        = merge(local.tags, { Name = "${var.name}-data" })
}

resource "aws_elasticache_subnet_group" "data" {
  name        = "${var.name}-data"
  description = "Data tier of environment ${var.name}"
  subnet_ids  = [for az in local.az_ids : aws_subnet.this["data-${az}"].id]
  tags        = merge(local.tags, { Name = "${var.name}-data" })
}
