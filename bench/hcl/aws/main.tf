# Side B: the AWS objects side A creates, written by hand as plain resources for hashicorp/aws
# 3.39.0. Names, CIDRs, AZ choice, ports, policies and the `platform:owner` tags follow side A,
# so the benchmark's ownership-tag census counts both sides the same way.

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

variable "certificate_arn" {
  type = string
}

variable "domain" {
  type = string
}

variable "services" {
  type = list(string)
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
    acm            = var.endpoint
    cloudwatchlogs = var.endpoint
    ec2            = var.endpoint
    ecs            = var.endpoint
    elasticache    = var.endpoint
    elb            = var.endpoint # ELBv2 in 3.x
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
  az_ids = slice(data.aws_availability_zones.available.zone_ids, 0, 2)
  # Side A's layout of 10.0.0.0/16: private /20s first, then public and data /24s.
  subnets = merge([
    for i, az in local.az_ids : {
      "public-${az}"  = { tier = "public", az = az, cidr = cidrsubnet("10.0.0.0/16", 8, 32 + i) }
      "private-${az}" = { tier = "private", az = az, cidr = cidrsubnet("10.0.0.0/16", 4, i) }
      "data-${az}"    = { tier = "data", az = az, cidr = cidrsubnet("10.0.0.0/16", 8, 34 + i) }
    }
  ]...)
  nat_az = local.az_ids[0]
  assume_ecs_tasks = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
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
  vpc  = true
  tags = merge(local.tags, { Name = "${var.name}-nat-${local.nat_az}" })
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.this["public-${local.nat_az}"].id
  tags          = merge(local.tags, { Name = "${var.name}-nat-${local.nat_az}" })
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

resource "aws_route" "private_default" {
  for_each               = aws_route_table.private
  route_table_id         = each.value.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main.id
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

# ---- Security groups -----------------------------------------------------------------------

resource "aws_security_group" "data" {
  name        = "${var.name}-data"
  description = "Databases and caches: reachable only from services"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-data" })
}

resource "aws_security_group" "load_balancer" {
  name        = "${var.name}-load_balancer"
  description = "Load balancer: HTTP and HTTPS from the allowed CIDRs"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-load_balancer" })
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

resource "aws_security_group_rule" "load_balancer_from_anywhere" {
  for_each          = { HTTP = 80, HTTPS = 443 }
  security_group_id = aws_security_group.load_balancer.id
  type              = "ingress"
  protocol          = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_blocks       = ["0.0.0.0/0"]
  description       = "${each.key} from 0.0.0.0/0"
}

resource "aws_security_group_rule" "load_balancer_to_services" {
  security_group_id        = aws_security_group.load_balancer.id
  type                     = "egress"
  protocol                 = "tcp"
  from_port                = 0
  to_port                  = 65535
  source_security_group_id = aws_security_group.services.id
  description              = "To service tasks"
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

resource "aws_security_group_rule" "services_from_load_balancer" {
  security_group_id        = aws_security_group.services.id
  type                     = "ingress"
  protocol                 = "tcp"
  from_port                = 0
  to_port                  = 65535
  source_security_group_id = aws_security_group.load_balancer.id
  description              = "From the load balancer"
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

# ---- Load balancer ---------------------------------------------------------------------------

resource "aws_lb" "main" {
  name                       = "${var.name}-lb"
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.load_balancer.id]
  subnets                    = [for az in local.az_ids : aws_subnet.this["public-${az}"].id]
  idle_timeout               = 60
  drop_invalid_header_fields = true
  enable_deletion_protection = false
  tags                       = merge(local.tags, { Name = "${var.name}-lb" })
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Not Found"
      status_code  = "404"
    }
  }
}

# ---- Services --------------------------------------------------------------------------------

resource "aws_security_group" "service" {
  for_each    = toset(var.services)
  name        = "${var.name}-svc-${each.key}"
  description = "Tasks of service ${each.key} in environment ${var.name}"
  vpc_id      = aws_vpc.main.id
  tags        = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}" }
}

resource "aws_security_group_rule" "load_balancer_to_service" {
  for_each                 = toset(var.services)
  security_group_id        = aws_security_group.load_balancer.id
  type                     = "egress"
  protocol                 = "tcp"
  from_port                = 8080
  to_port                  = 8080
  source_security_group_id = aws_security_group.service[each.key].id
  description              = "To service ${each.key}"
}

resource "aws_security_group_rule" "service_egress" {
  for_each          = toset(var.services)
  security_group_id = aws_security_group.service[each.key].id
  type              = "egress"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
  description       = "Egress to images, AWS APIs, databases and caches"
}

resource "aws_security_group_rule" "service_from_load_balancer" {
  for_each                 = toset(var.services)
  security_group_id        = aws_security_group.service[each.key].id
  type                     = "ingress"
  protocol                 = "tcp"
  from_port                = 8080
  to_port                  = 8080
  source_security_group_id = aws_security_group.load_balancer.id
  description              = "From the load balancer"
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = toset(var.services)
  name              = "/platform/${var.name}/${each.key}"
  retention_in_days = 7
  tags              = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}-logs" }
}

resource "aws_iam_role" "execution" {
  for_each           = toset(var.services)
  name               = "platform-${var.name}-${each.key}-exec-us-east-1"
  assume_role_policy = local.assume_ecs_tasks

  inline_policy {
    name = "execution"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Action = "ecr:GetAuthorizationToken", Effect = "Allow", Resource = "*" },
        {
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
          Effect   = "Allow"
          Resource = "*"
        },
        {
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Effect   = "Allow"
          Resource = "arn:aws:logs:us-east-1:*:log-group:/platform/${var.name}/${each.key}:*"
        },
      ]
    })
  }

  tags = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}-execution" }
}

resource "aws_iam_role" "task" {
  for_each           = toset(var.services)
  name               = "platform-${var.name}-${each.key}-task-us-east-1"
  assume_role_policy = local.assume_ecs_tasks

  inline_policy {
    name = "ecs-exec"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Action = [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ]
        Effect   = "Allow"
        Resource = "*"
      }]
    })
  }

  tags = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}-task" }
}

resource "aws_lb_target_group" "service" {
  for_each             = toset(var.services)
  name                 = "${var.name}-${each.key}-8080"
  port                 = 8080
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 5

  health_check {
    path                = "/healthz"
    matcher             = "200-399"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}-8080" }
}

resource "aws_lb_listener_rule" "service" {
  for_each     = toset(var.services)
  listener_arn = aws_lb_listener.https.arn
  priority     = 100 + index(var.services, each.key)

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }

  condition {
    host_header {
      values = ["${each.key}.${var.domain}"]
    }
  }

  condition {
    path_pattern {
      values = ["/*"]
    }
  }
}

resource "aws_ecs_task_definition" "service" {
  for_each                 = toset(var.services)
  family                   = "${var.name}-${each.key}"
  cpu                      = "256"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  container_definitions = jsonencode([{
    name                   = each.key
    image                  = "public.ecr.aws/nginx/nginx:1.27"
    essential              = true
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = 8080, protocol = "tcp" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = each.key
      }
    }
  }])

  tags = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}" }
}

resource "aws_ecs_service" "service" {
  for_each                           = toset(var.services)
  name                               = each.key
  cluster                            = aws_ecs_cluster.main.arn
  task_definition                    = aws_ecs_task_definition.service[each.key].arn
  desired_count                      = 1
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  health_check_grace_period_seconds  = 30
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 200
  enable_execute_command             = true
  wait_for_steady_state              = false

  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
    base              = 0
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = [for az in local.az_ids : aws_subnet.this["private-${az}"].id]
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.service[each.key].arn
    container_name   = each.key
    container_port   = 8080
  }

  tags = { "platform:owner" = "service/${var.name}/${each.key}", Name = "${var.name}-${each.key}" }

  # The target group must be attached to the load balancer before the service uses it.
  depends_on = [aws_lb_listener_rule.service]

  # moto 5.2.5's CreateService drops the capacity strategy, and 3.39 replaces a service whose
  # strategy differs; the other dropped settings are stored by the in-place update that follows.
  lifecycle {
    ignore_changes = [capacity_provider_strategy]
  }
}
