# Encore-style application on AWS (reference architecture (c) in
# docs/design/reference-architectures.md): an environment per stage, each with its own VPC over
# two AZs and three subnet tiers, and the same three services in every stage.
# Each service runs on ECS Fargate with its own task role, its own PostgreSQL database and its
# secrets as environment variables; the stage's Redis cache serves the api service.
# Encore's infrastructure primitives map onto the provider's: a private uploads bucket the api
# writes (`bucket_access`), public static assets behind CloudFront (`cdn`), a pub/sub topic
# billing publishes to (`publish_to`) with a subscribed queue and its dead-letter queue, and an
# invoicer worker that consumes the queue, scales on its depth and runs a nightly cron job.
#
# The stages and services are data (locals below), so adding a service or a stage is one
# entry. Credentials, region and endpoints come from the standard AWS_* environment variables.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    platform = {
      source  = "example.local/acme/platform"
      version = "0.1.0"
    }
  }
}

provider "platform" {
  default_tags {
    tags = {
      "managed-with" = "terraform"
      "app"          = var.app
    }
  }
}

locals {
  # Stage => tier and VPC range. Staging: single NAT, REJECT flow logs kept 30 days, databases
  # protected. Prod: NAT per AZ, essential VPC endpoints, ALL flow logs kept 365 days,
  # Multi-AZ databases and cache. Both stages use two AZs, as Encore does.
  stages = {
    staging = { tier = "staging", cidr = "10.1.0.0/16" }
    prod    = { tier = "prod", cidr = "10.2.0.0/16" }
  }

  # Service => whether the load balancer routes to it, the services it calls, what it may use
  # of the stage's buckets and topics (the provider writes those task-role statements), and
  # any other AWS permissions (its `iam` policy).
  services = {
    api = {
      public = true
      # The services it calls inside the stage, through Service Connect.
      calls      = ["billing", "notify"]
      uploads    = true
      publishes  = false
      statements = []
    }
    billing = {
      public     = false
      calls      = []
      uploads    = false
      publishes  = true
      statements = []
    }
    notify = {
      public    = false
      calls     = []
      uploads   = false
      publishes = false
      statements = [{
        Effect   = "Allow"
        Action   = ["ses:SendEmail", "ses:SendRawEmail"]
        Resource = ["*"]
      }]
    }
  }

  # One entry per (stage, service): "prod/api", ...
  deployments = {
    for pair in setproduct(keys(local.stages), keys(local.services)) :
    "${pair[0]}/${pair[1]}" => { stage = pair[0], service = pair[1] }
  }

  # Services another service calls: Service Connect servers.
  callees = toset(flatten([for s in values(local.services) : s.calls]))

  # Prod answers on the domain itself, other stages on `<stage>.<domain>`.
  hosts = { for stage in keys(local.stages) : stage => stage == "prod" ? var.domain : "${stage}.${var.domain}" }
}

resource "platform_environment" "stage" {
  for_each = local.stages

  name = "${var.app}-${each.key}"
  tier = each.value.tier
  # null keeps the tier's default (prod refuses destroy); false lifts it.
  deletion_protection = var.deletion_protection ? null : false

  network {
    cidr     = each.value.cidr
    az_count = 2
  }

  ingress {
    domain = local.hosts[each.key]
  }

  # A Cloud Map namespace `<app>-<stage>.internal`: services find each other by name.
  service_discovery {}
}

# A database per service: Encore gives each service its own database; until the provider has
# per-service database roles, each gets its own instance.
resource "platform_database" "service" {
  for_each = local.deployments

  environment_id      = platform_environment.stage[each.value.stage].id
  name                = each.value.service
  deletion_protection = var.deletion_protection ? null : false
}

resource "platform_cache" "stage" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "cache"
  engine         = "redis"
  engine_version = "7"
  # Staging: one replica, no failover. Prod: two replicas, Multi-AZ.
}

# User uploads: private, encrypted, TLS only, versioned by tier.
resource "platform_bucket" "uploads" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "uploads"
  force_destroy  = !var.deletion_protection
}

# Public static assets (Encore's `public: true` buckets): the bucket stays private and only its
# CloudFront distribution may read it.
resource "platform_bucket" "assets" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "assets"
  force_destroy  = !var.deletion_protection

  cdn {}
}

# Pub/sub: billing publishes invoice events; the invoices queue is subscribed (raw delivery),
# with a dead-letter queue after 5 failed receives.
resource "platform_topic" "billing_events" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "billing-events"
}

resource "platform_queue" "invoices" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "invoices"
  subscribe_to   = [platform_topic.billing_events[each.key].id]
}

resource "platform_service" "service" {
  for_each = local.deployments

  environment_id = platform_environment.stage[each.value.stage].id
  name           = each.value.service
  image          = "${var.image_repository}/${each.value.service}:${var.image_tag}"
  # CI pushes new images; Terraform deploys the first one and then leaves the image alone.
  image_source = "external"

  # BILLING_URL, NOTIFY_URL, …: the Service Connect endpoints of the services it calls. Built
  # from the namespace rather than read from the callee, which admits this service by ID
  # (a reference both ways would be a cycle).
  environment_variables = merge(
    {
      ENCORE_APP   = var.app
      ENCORE_ENV   = each.value.stage
      SERVICE_NAME = each.value.service
    },
    {
      for callee in local.services[each.value.service].calls :
      "${upper(callee)}_URL" => "http://${callee}.${platform_environment.stage[each.value.stage].service_discovery_namespace_name}:8080"
    }
  )

  # A called service is a Service Connect server and admits exactly its callers on its port.
  dynamic "internal" {
    for_each = contains(local.callees, each.value.service) ? [1] : []
    content {}
  }
  allow_from_services = [
    for caller, svc in local.services :
    "${platform_environment.stage[each.value.stage].id}/${caller}"
    if contains(svc.calls, each.value.service)
  ]
  secrets         = lookup(var.secrets, each.value.service, {})
  database_access = [platform_database.service[each.key].id]
  cache_access    = each.value.service == "api" ? [platform_cache.stage[each.value.stage].id] : []

  # UPLOADS_BUCKET and read/write on its objects; BILLING_EVENTS_TOPIC_ARN and sns:Publish on
  # exactly that topic.
  dynamic "bucket_access" {
    for_each = local.services[each.value.service].uploads ? [1] : []
    content {
      bucket_id = platform_bucket.uploads[each.value.stage].id
      mode      = "read_write"
    }
  }
  publish_to = local.services[each.value.service].publishes ? [platform_topic.billing_events[each.value.stage].id] : []

  # Its own task role, holding only this service's other permissions.
  dynamic "iam" {
    for_each = length(local.services[each.value.service].statements) > 0 ? [1] : []
    content {
      policy_json = jsonencode({
        Version   = "2012-10-17"
        Statement = local.services[each.value.service].statements
      })
    }
  }

  dynamic "routing" {
    for_each = local.services[each.value.service].public ? [1] : []
    content {
      hosts = [local.hosts[each.value.stage]]
    }
  }

  deployment {
    wait = var.wait_for_deployment
  }
}

# The invoicer worker: no port and no routing, so no load balancer rule. It receives from the
# invoices queue (INVOICES_QUEUE_URL), scales on the queue's depth per task, and closes the
# day's invoices every night at 02:00 UTC as a scheduled task of its own task definition.
resource "platform_service" "invoicer" {
  for_each = local.stages

  environment_id = platform_environment.stage[each.key].id
  name           = "invoicer"
  image          = "${var.image_repository}/invoicer:${var.image_tag}"
  image_source   = "external"
  environment_variables = {
    ENCORE_APP = var.app
    ENCORE_ENV = each.key
  }

  consume_from = [platform_queue.invoices[each.key].id]

  autoscaling {
    min               = 1
    max               = 4
    queue_id          = platform_queue.invoices[each.key].id
    messages_per_task = 20
  }

  # Encore's cron job: EventBridge Scheduler runs the current task definition at 02:00 UTC
  # with this command, in the private subnets with the worker's security group.
  schedule {
    name       = "close-day"
    expression = "cron(0 2 * * ? *)"
    command    = ["invoicer", "close-day"]
  }

  deployment {
    wait = var.wait_for_deployment
  }
}
